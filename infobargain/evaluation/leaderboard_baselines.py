"""Published leaderboards as baselines: compare a new algorithm against them without training them again.

A leaderboard document (``leaderboard.json``) keeps every finished cell (``cell_results``) beside its tables, so
its cells can join a later run's. The package ships one full run of the default leaderboard
(:func:`shipped_path`); ``infobargain benchmark --algorithms mine`` adds its cells for every algorithm it does
not train itself. A baseline is only comparable when it was run with the same budget, offer space and grid,
rollout episodes and seeds (its games may be a superset: the run's games are taken from it), by a version of the
library that writes the same :data:`LEADERBOARD_FORMAT`; anything else is refused (:class:`BaselineError`) rather
than mixed in. Every cell read from it is checked like a cell read back from disk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

LEADERBOARD_FORMAT = 1
"""The version of the leaderboard document's layout (bumped when a cell or a figure changes meaning)."""
COMPARED = ("budget", "offer_space", "grid_size", "episodes", "seeds")
"""The settings a baseline must share with the run it joins."""


class BaselineError(ValueError):
    """A baseline file that cannot join this run (unreadable, another format, other settings)."""


def shipped_path() -> Path:
    """The published full run of the default leaderboard shipped with the package (it may be absent)."""
    return Path(str(resources.files("infobargain.evaluation") / "data" / "leaderboard" / "leaderboard.json"))


def read_baseline(path: Path) -> dict[str, Any]:
    """The leaderboard document at ``path``; :class:`BaselineError` when it is unreadable or of another format."""
    try:
        document = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise BaselineError(f"baselines {path}: not a readable leaderboard ({type(error).__name__})") from None
    if not isinstance(document, dict) or not isinstance(document.get("cell_results"), list):
        raise BaselineError(f"baselines {path}: not a leaderboard document with its cells")
    if document.get("format") != LEADERBOARD_FORMAT:
        raise BaselineError(
            f"baselines {path}: written by infobargain {document.get('infobargain_version', 'unknown')} in "
            f"leaderboard format {document.get('format')!r}; this version reads format {LEADERBOARD_FORMAT} "
            "(train the baselines again: --baselines retrain)"
        )
    return document


def mismatch(document: Mapping[str, Any], settings: Mapping[str, Any], games: Sequence[str]) -> str | None:
    """Why the baseline ``document`` cannot join a run with ``settings`` (budget, offer space, grid, episodes,
    seeds) on ``games`` (``TASK:GAME`` names), or None when it can."""
    theirs = document.get("settings", {})
    for key in COMPARED:
        if theirs.get(key) != settings[key]:
            return f"they were run with {key} {theirs.get(key)!r}, this run has {settings[key]!r}"
    missing = [game for game in games if game not in theirs.get("tasks", [])]
    if missing:
        return f"they were not run on {missing[0]}" + (
            f" and {len(missing) - 1} more games" if len(missing) > 1 else ""
        )
    return None


def baseline_cells(
    document: Mapping[str, Any], trained_here: Sequence[str], games: Sequence[str], check: Any
) -> list[dict[str, Any]]:
    """The baseline's cells on ``games`` of the algorithms not in ``trained_here``, each passed through ``check``
    (the cell check of a cell read back: it raises ``CellError`` on anything unsound)."""
    from infobargain.evaluation.cells import CellError

    chosen = []
    for index, cell in enumerate(document["cell_results"]):
        if not isinstance(cell, Mapping):
            raise BaselineError(f"baselines: cell {index} is not an object")
        if cell.get("algorithm") in trained_here or f"{cell.get('task')}:{cell.get('game')}" not in games:
            continue
        try:
            chosen.append({**check(cell), "resumed": True})
        except CellError as error:
            raise BaselineError(f"baselines: cell {index} ({cell.get('algorithm')}) is not sound: {error}") from None
    return chosen
