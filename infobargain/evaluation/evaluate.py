"""Evaluate a pair of players against theory: rollouts, metrics, exploitability, as one JSON-ready document.

:func:`evaluate_players` is the entry point for any pair in any env configuration; the report writer
(:mod:`infobargain.evaluation.report`) turns its result into ``evaluation.json``, ``report.md`` and figures.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from infobargain.agents import player_label
from infobargain.evaluation.benchmarks import Benchmarks, benchmarks
from infobargain.evaluation.diagnostics import round_diagnostics
from infobargain.evaluation.exploitability import exact_exploitability, rl_exploitability
from infobargain.evaluation.metrics import score
from infobargain.evaluation.players import PlayerSpec
from infobargain.evaluation.rollout import Episode, rollout
from infobargain.evaluation.verdict import verdict
from infobargain.game.instance import Instance
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import ROLES, Role

ExploitabilityMode = Literal["auto", "exact", "rl", "none"]
EXPLOITABILITY_MODES: tuple[ExploitabilityMode, ...] = ("auto", "exact", "rl", "none")

INTERVAL_NOTE = (
    "± is the half-width of a 95 % Student-t confidence interval over episodes. In expected mode nature's moves "
    "are replaced by their expectations, so deterministic players give identical episodes and zero-width intervals."
)


def jsonable_env(env_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The env arguments in JSON form (an ``Instance`` as its contract-1 dict, other objects by name)."""
    result: dict[str, Any] = {}
    for key, value in env_kwargs.items():
        if isinstance(value, Instance):
            result[key] = value.to_dict()
        elif isinstance(value, SplitPie):
            result[key] = value.name
        elif isinstance(value, Path):
            result[key] = str(value)
        elif value is None or isinstance(value, (str, int, float, bool)):
            result[key] = value
        else:
            result[key] = repr(value)
    return result


def _play(
    sender: PlayerSpec, receiver: PlayerSpec, kwargs: dict[str, Any], both_first: bool, **options: Any
) -> list[Episode]:
    if not both_first:
        return rollout(sender, receiver, kwargs, **options)
    episodes: list[Episode] = []
    for first in ROLES:
        episodes += rollout(sender, receiver, {**kwargs, "first_proposer": first}, **options)
    return episodes


def _exploitability(
    mode: ExploitabilityMode,
    sender: PlayerSpec,
    receiver: PlayerSpec,
    kwargs: dict[str, Any],
    bench: Benchmarks,
    firsts: tuple[Role, ...],
    best_response_steps: int,
    seed: int,
) -> dict[str, Any] | None:
    if mode == "none":
        return None
    interactive = [name for name in map(player_label, (sender, receiver)) if name == "human" or name.startswith("llm:")]
    if mode == "auto" and interactive:
        return {
            "method": "not computed",
            "note": f"{interactive[0]} is not probed in every situation automatically; ask for it explicitly",
        }
    if mode == "rl":
        return rl_exploitability(sender, receiver, kwargs, total_steps=best_response_steps, seed=seed)
    if not bench.discrete:
        if mode == "exact":
            raise ValueError("exploitability: 'exact' needs a discrete offer space ('grid' or 'frontier')")
        return {
            "method": "not computed",
            "note": "the exact best response needs a discrete offer space; ask for an RL best response (a lower bound)",
        }
    return exact_exploitability(sender, receiver, kwargs, firsts=firsts).to_json()


def evaluate_players(
    sender: PlayerSpec,
    receiver: PlayerSpec,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    episodes: int = 100,
    seed: int = 0,
    workers: int | None = None,
    both_first: bool = False,
    exploitability: ExploitabilityMode = "auto",
    best_response_steps: int = 100_000,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Play ``sender`` against ``receiver`` and score the outcomes against the exact benchmarks.

    Args:
        sender, receiver: player names (:func:`~infobargain.agents.make_policy`), saved-player paths or ``Policy``
            objects.
        env_kwargs: arguments of :class:`~infobargain.envs.information_bargaining_v1.raw_env`.
        episodes: episodes per first-proposer setting (with ``both_first``, that many with each side first).
        seed: the rollout seed (episode ``i`` depends only on ``(seed, i)``).
        workers: processes for the rollouts (``None``: automatic; ``1``: serial).
        both_first: play the configuration once with each side proposing first (needed for the realized
            advantage split when the env fixes the first proposer).
        exploitability: ``"auto"`` (exact on discrete offer spaces, else skipped), ``"exact"``, ``"rl"`` (an RL best
            response, a lower bound, trained for ``best_response_steps``) or ``"none"``.

    Returns:
        A JSON-ready dict: players, env, benchmarks, per-first-proposer statistics, advantages, exploitability,
        the round-by-round comparison with the SPE (:mod:`infobargain.evaluation.diagnostics`, where the exact
        exploitability is computed) and the verdict (:mod:`infobargain.evaluation.verdict`).
    """
    if exploitability not in EXPLOITABILITY_MODES:
        raise ValueError(f"exploitability: must be one of {EXPLOITABILITY_MODES}, got {exploitability!r}")
    started = time.perf_counter()
    kwargs = dict(env_kwargs or {})
    bench = benchmarks(kwargs)
    played = _play(
        sender, receiver, kwargs, both_first, episodes=episodes, seed=seed, workers=workers, progress=progress
    )
    scored = score(played, bench)
    firsts = tuple(first for first in ROLES if first in scored["by_first_proposer"])
    exploit = _exploitability(exploitability, sender, receiver, kwargs, bench, firsts, best_response_steps, seed)
    from infobargain import __version__

    document: dict[str, Any] = {
        "infobargain_version": __version__,
        "players": {"sender": player_label(sender), "receiver": player_label(receiver)},
        "env": jsonable_env(kwargs),
        "realization": kwargs.get("realization", "expected"),
        "episodes": len(played),
        "seed": seed,
        "both_first": both_first,
        "interval_note": INTERVAL_NOTE,
        "benchmarks": bench.to_json(),
        **scored,
        "exploitability": exploit,
    }
    if exploit is not None and str(exploit.get("method", "")).startswith("exact"):  # every situation can be probed
        document["rounds"] = round_diagnostics(sender, receiver, kwargs, bench, firsts)
    document["verdict"] = verdict(document)
    document["elapsed_s"] = time.perf_counter() - started
    return document
