"""Evaluating a training run directory (docs/design.md contract 5), the step that ends every training run.

A run directory holds ``config.toml`` with the env arguments in an ``[env]`` table, the saved players
``players/sender.*`` and ``players/receiver.*`` (loadable with :func:`~infobargain.agents.load_policy`) and,
optionally, ``metrics.csv`` (a ``step`` column and any numeric metrics) and ``inputs/``, the copies of the
instance files it was trained on (:data:`~infobargain.training.config.INPUTS`), which are read instead of the
originals. :func:`evaluate_run` writes ``evaluation.json``, ``report.md`` and the figures into it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from infobargain.evaluation.evaluate import ExploitabilityMode, evaluate_players
from infobargain.evaluation.generalist import DEFAULT_INSTANCES, evaluate_across, format_summary, write_across
from infobargain.evaluation.players import PlayerSpec
from infobargain.evaluation.report import write_evaluation
from infobargain.evaluation.run_files import read_run
from infobargain.evaluation.zero_shot import DEFAULT_PER_SIZE, evaluate_generalist, format_zero_shot, write_zero_shot
from infobargain.game.config import ENV_DEFAULTS
from infobargain.game.distributions import InstanceDistribution, RandomSizes, resolve_game
from infobargain.training.config import split_mixture


def played_env(run_env: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], str]:
    """The env a run's players are evaluated in, and the protocol variants they play (``[env] protocols`` of a
    generalist; none once ``overrides`` name a game or protocol: the players then play that one)."""
    env_kwargs, protocols = split_mixture({**run_env, **(overrides or {})})
    return env_kwargs, "" if {"game", "protocol"} & set(overrides or {}) else protocols


def is_generalist(env_kwargs: Mapping[str, Any], protocols: str) -> bool:
    """Whether a run trained one pair across protocols or sizes (its report is the zero-shot report of
    :mod:`infobargain.evaluation.zero_shot`)."""
    return bool(protocols) or isinstance(resolve_game(env_kwargs.get("game", ENV_DEFAULTS.game)), RandomSizes)


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
    instances: int | None = None,
    best_response_steps: int = 100_000,
    env_overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Evaluate a run's saved players in its env; write ``evaluation.json``, ``report.md`` (and figures) into the
    run directory (or ``out_dir``). ``cross_play``: more players to put in a cross-play matrix with the run's
    two. A run trained on a distribution of games is scored zero-shot on ``instances`` held-out draws of it
    (:mod:`infobargain.evaluation.generalist`; default :data:`DEFAULT_INSTANCES`); a generalist's run (several
    protocols or sizes) on ``instances`` per protocol and size and on structured and paper games
    (:mod:`infobargain.evaluation.zero_shot`; default :data:`DEFAULT_PER_SIZE`). ``env_overrides``: env parameters that replace the run's (its
    players on another game or protocol; the offer encoding must stay the run's, since its players read it).
    Returns the evaluation document."""
    run = read_run(run_dir)
    env_kwargs, protocols = played_env(run.env_kwargs, env_overrides)
    target = Path(out_dir) if out_dir is not None else run.path
    if is_generalist(env_kwargs, protocols):
        if cross_play:
            raise ValueError("cross-play: needs one fixed game; this run was trained on a mixture of games")
        zero_shot = evaluate_generalist(
            run.sender,
            run.receiver,
            env_kwargs,
            protocols,
            instances=instances or DEFAULT_PER_SIZE,
            seed=seed,
            progress=progress,
        )
        zero_shot["run"] = str(run.path)
        write_zero_shot(zero_shot, target, figures=figures)
        return zero_shot
    if isinstance(resolve_game(env_kwargs.get("game", ENV_DEFAULTS.game)), InstanceDistribution):
        if cross_play:
            raise ValueError("cross-play: needs one fixed game; this run was trained on a distribution of games")
        across = evaluate_across(
            run.sender, run.receiver, env_kwargs, instances=instances or DEFAULT_INSTANCES, seed=seed, progress=progress
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
    if "cells" in result:
        return format_zero_shot(result)
    if "held_out" in result:
        return format_summary(result)
    from infobargain.evaluation.verdict import format_verdict

    return format_verdict(result["verdict"])
