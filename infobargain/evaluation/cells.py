"""Reading a leaderboard cell file back: nothing read from disk is published unchecked.

A cell file (``OUT/cells/ALGORITHM/TASK-GAME/seedN.json``) is reused only when it is a JSON object of the
expected shape, for the expected cell (algorithm, task, game, seed) and settings, with every figure a finite
number in its range: outcomes inside the game's payoff box, rates in [0, 1], distances, gains, times and
decisions not negative. Anything else (empty, truncated, binary, hand-edited) is named in one line on stderr
and the cell is computed again.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from infobargain.game.protocol import ROLES

PAYOFF_TOLERANCE = 1e-6
"""How far outside the game's payoff box a stored outcome may lie (rounding of expected payoffs)."""
NON_NEGATIVE = ("distance_to_spe_played", "distance_to_spe_continuous", "paper_metric_error", "wall_s", "decisions")
"""Row figures that are never negative."""
OPTIONAL_FIGURES = ("nash_conv", "gain_sender", "gain_receiver", "agreement_round", "spe_agreement_round")
"""Row figures that may be absent (null) but are finite when present."""


class CellError(ValueError):
    """A cell file that cannot be reused."""


class OtherSettings(CellError):
    """A sound cell computed with other settings (a new budget, grid, ...): replaced without a word."""


def _number(value: Any, where: str, low: float = -math.inf, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CellError(f"{where}: expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise CellError(f"{where}: {value} is not finite")
    if not low <= value <= high:
        raise CellError(f"{where}: {value:g} is outside [{low:g}, {high:g}]")
    return float(value)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CellError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _point(value: Any, where: str, box: Sequence[tuple[float, float]]) -> None:
    point = _mapping(value, where)
    for role, (low, high) in zip(ROLES, box, strict=True):
        _number(point.get(role), f"{where}.{role}", low - PAYOFF_TOLERANCE, high + PAYOFF_TOLERANCE)


def check_cell(
    cell: Any, identity: Mapping[str, Any], settings: Mapping[str, Any], box: Sequence[tuple[float, float]]
) -> dict[str, Any]:
    """``cell`` when it is a reusable cell for ``identity`` (its algorithm, task, game and seed) and ``settings``,
    with outcomes inside ``box`` (the (low, high) payoff range per role); else :class:`CellError` saying what is
    wrong."""
    document = dict(_mapping(cell, "the file"))
    for key, expected in identity.items():
        if document.get(key) != expected:
            raise CellError(f"{key}: expected {expected!r}, got {str(document.get(key))[:40]!r}")
    if document.get("settings") != dict(settings):
        raise OtherSettings("it was computed with other settings")
    _number(document.get("decisions"), "decisions", 0)
    _number(document.get("wall_s"), "wall_s", 0)
    _mapping(document.get("options", {}), "options")
    notes = document.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
        raise CellError("notes: expected a list of texts")
    rows = document.get("rows")
    if not isinstance(rows, list) or not rows:
        raise CellError("rows: expected a non-empty list")
    for index, raw in enumerate(rows):
        where = f"rows[{index}]"
        row = _mapping(raw, where)
        if row.get("first_proposer") not in ROLES:
            raise CellError(f"{where}.first_proposer: expected one of {ROLES}")
        for key, expected in identity.items():
            if row.get(key) != expected:
                raise CellError(f"{where}.{key}: expected {expected!r}")
        for name in ("outcome", "spe_played", "spe_continuous"):
            _point(row.get(name), f"{where}.{name}", box)
        for name in NON_NEGATIVE:
            _number(row.get(name), f"{where}.{name}", 0)
        _number(row.get("deal_rate"), f"{where}.deal_rate", 0, 1)
        _number(row.get("proposer_payoff"), f"{where}.proposer_payoff")
        for name in OPTIONAL_FIGURES:
            if row.get(name) is not None:
                _number(row[name], f"{where}.{name}", 0 if name.endswith("agreement_round") else -math.inf)
    if "curve" in document:
        _curve(document["curve"])
    return document


def _curve(curve: Any) -> None:
    """A sample-efficiency curve's points: decisions and distances not negative, NashConv finite when given."""
    if not isinstance(curve, list) or not curve:
        raise CellError("curve: expected a non-empty list")
    for index, raw in enumerate(curve):
        where = f"curve[{index}]"
        point = _mapping(raw, where)
        if point.get("first_proposer") not in ROLES:
            raise CellError(f"{where}.first_proposer: expected one of {ROLES}")
        _number(point.get("decisions"), f"{where}.decisions", 0)
        _number(point.get("distance_to_spe_played"), f"{where}.distance_to_spe_played", 0)
        if point.get("nash_conv") is not None:
            _number(point["nash_conv"], f"{where}.nash_conv")


def read_json_cell(path: Path, check: Callable[[Any], dict[str, Any]]) -> dict[str, Any] | None:
    """The cell stored at ``path`` as ``check`` returns it, None when there is none or it cannot be reused (then
    one line on stderr names the file and the reason, unless only the settings changed: :class:`OtherSettings`)."""
    if not path.exists():
        return None
    try:
        return check(json.loads(path.read_bytes()))
    except OtherSettings:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, CellError, RecursionError) as error:
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        print(f"benchmark: cell {path} is not usable ({reason}); computing it again", file=sys.stderr)
        return None


def read_cell(
    path: Path, identity: Mapping[str, Any], settings: Mapping[str, Any], box: Sequence[tuple[float, float]]
) -> dict[str, Any] | None:
    """The leaderboard cell stored at ``path`` when it can be reused (see :func:`check_cell` and
    :func:`read_json_cell`)."""
    return read_json_cell(path, lambda cell: check_cell(cell, identity, settings, box))


def payoff_box(env_kwargs: Mapping[str, Any]) -> list[tuple[float, float]]:
    """Per role, the lowest and highest payoff the game ``env_kwargs`` describes can give (its feasible set
    and disagreement point)."""
    import numpy as np

    from infobargain.envs.information_bargaining_v1 import raw_env

    env = raw_env(**{key: value for key, value in env_kwargs.items() if key != "render_mode"})
    env.reset(seed=0)
    points = np.vstack([env.problem.feasible.vertices, env.problem.d[None, :]])
    return [(float(low), float(high)) for low, high in zip(points.min(axis=0), points.max(axis=0), strict=True)]
