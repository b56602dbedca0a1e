"""Evaluating a training run directory (docs/design.md contract 5), the step that ends every training run.

A run directory holds ``config.toml`` with the env arguments in an ``[env]`` table, the saved players
``players/sender.*`` and ``players/receiver.*`` (loadable with :func:`~infobargain.agents.load_policy`) and,
optionally, ``metrics.csv`` (a ``step`` column and any numeric metrics) and ``inputs/``, the copies of the
instance files it was trained on (:data:`~infobargain.training.config.INPUTS`), which are read instead of the
originals. :func:`evaluate_run` writes ``evaluation.json``, ``report.md`` and the figures into it.
"""

from __future__ import annotations

import filecmp
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infobargain.evaluation.evaluate import ExploitabilityMode, evaluate_players
from infobargain.evaluation.generalist import DEFAULT_INSTANCES, evaluate_across, format_summary, write_across
from infobargain.evaluation.players import PlayerSpec
from infobargain.evaluation.report import write_evaluation
from infobargain.game.config import ENV_DEFAULTS
from infobargain.game.distributions import InstanceDistribution, resolve_game
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


def evaluate_run(
    run_dir: Path,
    *,
    episodes: int = 200,
    seed: int = 0,
    workers: int | None = None,
    exploitability: ExploitabilityMode = "auto",
    both_first: bool = False,
    cross_play: Sequence[PlayerSpec] | None = None,
    cross_play_episodes: int = 20,
    figures: bool = True,
    out_dir: Path | None = None,
    progress: bool | None = None,
    instances: int = DEFAULT_INSTANCES,
    best_response_steps: int = 100_000,
    env_overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Evaluate a run's saved players in its env; write ``evaluation.json``, ``report.md`` (and figures) into the
    run directory (or ``out_dir``). ``cross_play``: more players to put in a cross-play matrix with the run's
    two. A run trained on a distribution of games is scored zero-shot on ``instances`` held-out draws of it
    (:mod:`infobargain.evaluation.generalist`). ``env_overrides``: env parameters that replace the run's (its
    players on another game or protocol; the offer encoding must stay the run's, since its players read it).
    Returns the evaluation document."""
    run = read_run(run_dir)
    env_kwargs = {**run.env_kwargs, **(env_overrides or {})}
    target = Path(out_dir) if out_dir is not None else run.path
    if isinstance(resolve_game(env_kwargs.get("game", ENV_DEFAULTS.game)), InstanceDistribution):
        if cross_play:
            raise ValueError("cross-play: needs one fixed game; this run was trained on a distribution of games")
        across = evaluate_across(
            run.sender, run.receiver, env_kwargs, instances=instances, seed=seed, progress=progress
        )
        across["run"] = str(run.path)
        write_across(across, target, figures=figures)
        return across
    result = evaluate_players(
        run.sender,
        run.receiver,
        env_kwargs,
        episodes=episodes,
        seed=seed,
        workers=workers,
        exploitability=exploitability,
        both_first=both_first,
        best_response_steps=best_response_steps,
        progress=progress,
    )
    result["run"] = str(run.path)
    extra: dict[str, str] = {}
    if cross_play:
        from infobargain.evaluation.crossplay import cross_play as play_all

        matrix = play_all(
            [run.sender, *cross_play],
            env_kwargs,
            receivers=[run.receiver, *cross_play],
            episodes=cross_play_episodes,
            seed=seed,
            workers=workers,
        )
        if any(path.suffix == ".png" for path in matrix.write(target, plot=figures)):
            extra["cross-play payoffs"] = "cross_play.png"
        result["cross_play"] = matrix.to_json()
    write_evaluation(
        result, target, env_kwargs=env_kwargs, metrics_csv=run.metrics_csv, figures=figures, extra_figures=extra
    )
    return result


def format_result(result: Mapping[str, Any]) -> str:
    """What ``train`` and ``evaluate`` print: the verdict, or the zero-shot summary of a distribution's run."""
    if "held_out" in result:
        return format_summary(result)
    from infobargain.evaluation.verdict import format_verdict

    return format_verdict(result["verdict"])
