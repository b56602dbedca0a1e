"""Reading a training run directory (docs/design.md contract 5): its env arguments and saved players.

A run directory holds ``config.toml`` with the env arguments in an ``[env]`` table, the saved players
``players/sender.*`` and ``players/receiver.*`` and, optionally, ``metrics.csv`` and ``inputs/``, the copies of
the instance files it was trained on (:data:`~infobargain.training.config.INPUTS`), which are read instead of the
originals. :mod:`infobargain.evaluation.runs` evaluates runs; the suite reads them as players.
"""

from __future__ import annotations

import filecmp
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infobargain.training.config import kept_copy

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None  # type: ignore[assignment]


@dataclass(frozen=True)
class RunDirectory:
    """What evaluation needs from a run directory."""

    path: Path
    env_kwargs: dict[str, Any]
    sender: Path
    receiver: Path
    metrics_csv: Path | None


def _load_toml(path: Path) -> dict[str, Any]:
    if tomllib is None:
        try:
            import tomli as toml_reader  # type: ignore[import-not-found]
        except ModuleNotFoundError:
            raise ImportError("reading config.toml on Python 3.10 needs tomli: pip install tomli") from None
    else:
        toml_reader = tomllib
    try:
        with open(path, "rb") as handle:
            return dict(toml_reader.load(handle))
    except toml_reader.TOMLDecodeError as error:
        raise ValueError(f"config: {path} is not valid TOML ({error})") from None


def _player(run: Path, role: str) -> Path:
    found = sorted((run / "players").glob(f"{role}.*"))
    if not found:
        raise ValueError(f"run: no saved {role} in {run / 'players'} (expected players/{role}.*)")
    return found[0]


def _kept_game(run: Path, game: str) -> str:
    """The game a run was trained on: its copy in ``RUN/inputs`` when the game is a file or folder the run kept
    (an original changed since is said on stderr, and the copy is used), a path relative to the run, else
    ``game`` itself (a scenario name)."""
    original = Path(game)
    kept = kept_copy(run, game)
    if kept is not None:
        if original.exists() and not _same(original, kept):
            print(f"note: {game} changed since the run was trained; using the run's copy, {kept}", file=sys.stderr)
        return str(kept)
    if game.endswith(".json") and not original.is_absolute() and (run / game).exists():
        return str(run / game)
    return game


def _same(original: Path, kept: Path) -> bool:
    """Whether a file or a folder of files holds what the run kept."""
    if original.is_dir() != kept.is_dir():
        return False
    if not original.is_dir():
        return filecmp.cmp(original, kept, shallow=False)
    compared = filecmp.dircmp(original, kept)
    return not (compared.left_only or compared.right_only or compared.diff_files or compared.funny_files)


def read_run(run_dir: str | Path) -> RunDirectory:
    """Parse a run directory; raises ``ValueError`` naming what is missing."""
    run = Path(run_dir)
    if not run.is_dir():
        raise ValueError(f"run: {run} is not a directory")
    config_path = run / "config.toml"
    if not config_path.exists():
        raise ValueError(f"run: {run} has no config.toml")
    config = _load_toml(config_path)
    env = config.get("env")
    if not isinstance(env, dict):
        raise ValueError(f"config: {config_path} has no [env] table")
    env_kwargs = dict(env)
    game = env_kwargs.get("game")
    if isinstance(game, str):
        env_kwargs["game"] = _kept_game(run, game)
    metrics = run / "metrics.csv"
    return RunDirectory(
        run, env_kwargs, _player(run, "sender"), _player(run, "receiver"), metrics if metrics.exists() else None
    )
