"""Learning speed of the leaderboard's algorithms on the main job's game: decisions/s and wall time to the SPE.

Usage::

    .venv/bin/python benchmarks/bench_learning.py [--algorithms qlearning,regret,mappo,ippo,sb3_ibr,rllib_ppo]
        [--budget 1200000] [--budget-for sb3_ibr=200000,...] [--seeds 3]

Game: ``configs/paper_selfplay.toml``'s ``[env]`` (the paper instance, alternating offers, break-off 0.1, 10
rounds, coin-flip first proposer, frontier grid 25, the env's default). Each algorithm trains through the leaderboard's registry
(:mod:`infobargain.training.algorithms`) with the same budget in decisions and seeds 0..N-1.

**Reached** means the pair's exact expected outcome is within 0.02 (Euclidean) of the exact SPE of the game as
played, for *both* first proposers. The time to reach it is the training's own clock at the first point of its
trace that is within: ``regret`` keeps a snapshot of its strategies every 1 % of the budget; ``qlearning``,
``mappo`` and ``ippo`` score every numbered checkpoint's players exactly (its ``wall_time`` from
``metrics.csv``); ``sb3_ibr`` reads the greedy outcome it logs in every metrics row once both sides have trained; ``rllib_ppo`` has no trace, so only its final players
count (time = its whole run). Decisions/s is decisions used over training wall time. Figures are medians over the
seeds ("not reached" when the median seed does not reach it); each seed's final distance is listed too, for
comparing two versions seed by seed. Times depend on machine load: compare within a run.

``qlearning`` at the default budget is the main job itself (``scripts/main.sh``: its config's settings are the
algorithm's defaults). At the default budget and seeds, every algorithm's row (each seed's final distance to the
SPE as played and to the continuous SPE per first proposer, the final pair's exact NashConv, the median
decisions/s and time to 0.02) goes to the ``"leaderboard"`` section of ``benchmarks/results/learning.json``, the
file the README's learning figures are checked against.
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from learning_results import read_results, record

from infobargain.agents.tabular import TabularPolicy
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.evaluation.benchmarks import Benchmarks, benchmarks
from infobargain.evaluation.exploitability import exact_exploitability
from infobargain.evaluation.metrics import distance
from infobargain.game.protocol import ROLES
from infobargain.training.algorithms import algorithms
from infobargain.training.config import RunConfig
from infobargain.training.regret import RegretSettings, train_regret
from infobargain.training.rundir import numbered_checkpoints
from infobargain.training.runner import train_algorithm

TOLERANCE = 0.02
CONFIG = Path(__file__).resolve().parents[1] / "configs" / "paper_selfplay.toml"
DEFAULT_BUDGET = 1_200_000
DEFAULT_SEEDS = 3
Point = tuple[int, float, float]
"""(decisions, training seconds, distance to the SPE as played: the worse first proposer)."""


@dataclass
class Run:
    """One training of one algorithm: its trace, what it used, and its final pair judged exactly."""

    points: list[Point]
    decisions: int
    seconds: float
    final: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per first proposer: ``distance_to_spe_played``, ``distance_to_spe_continuous``; and ``nash_conv``."""


def final_figures(sender: Any, receiver: Any, env_kwargs: Mapping[str, Any], bench: Benchmarks) -> dict[str, Any]:
    """The final pair's exact outcome per first proposer against both SPEs, with the pair's NashConv."""
    exploit = exact_exploitability(sender, receiver, env_kwargs)
    figures: dict[str, Any] = {}
    for first in ROLES:
        outcome = np.asarray(exploit.by_first[first].value)
        figures[first] = {
            "distance_to_spe_played": distance(outcome, bench.spe_played[first].payoffs),
            "distance_to_spe_continuous": distance(outcome, bench.spe_continuous[first].payoffs),
        }
    figures["nash_conv"] = float(exploit.nash_conv)
    return figures


def main_game() -> dict[str, Any]:
    return dict(RunConfig.load(CONFIG).env)


def distance_of(outcome: Mapping[str, Any], targets: Mapping[str, np.ndarray]) -> float:
    return max(float(np.linalg.norm(np.asarray(outcome[first]) - targets[first])) for first in ROLES)


def played_targets(bench: Benchmarks) -> dict[str, np.ndarray]:
    """The SPE of the game as played, per first proposer."""
    return {first: np.asarray(bench.spe_played[first].payoffs) for first in ROLES}


def pair_distance(sender: Any, receiver: Any, env_kwargs: Mapping[str, Any], bench: Benchmarks) -> float:
    exploit = exact_exploitability(sender, receiver, env_kwargs)
    return distance_of({first: f.value for first, f in exploit.by_first.items()}, played_targets(bench))


def regret_trace(env_kwargs: dict[str, Any], budget: int, seed: int, bench: Benchmarks) -> Run:
    result = train_regret(env_kwargs, budget=budget, seed=seed, settings=RegretSettings(), snapshot_every=budget // 100)
    env = raw_env(**env_kwargs)

    def pair(table: np.ndarray) -> tuple[TabularPolicy, TabularPolicy]:
        return TabularPolicy(table, env, "sender"), TabularPolicy(table, env, "receiver")

    points = [(used, wall, pair_distance(*pair(t), env_kwargs, bench)) for used, wall, t in result.snapshots]
    return Run(points, result.decisions, result.wall_s, final_figures(*pair(result.probabilities), env_kwargs, bench))


def _metrics(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def checkpoint_trace(name: str) -> Callable[[dict[str, Any], int, int, Benchmarks], Run]:
    """Score every numbered checkpoint of a ``mappo``, ``ippo`` or ``qlearning`` run exactly: its players as the
    algorithm's registry entry rebuilds them (``Algorithm.players_at``, what ``benchmark --curves`` scores)."""

    def trace(env_kwargs: dict[str, Any], budget: int, seed: int, bench: Benchmarks) -> Run:
        with tempfile.TemporaryDirectory() as folder:
            run_dir = Path(folder)
            started = time.perf_counter()
            trained = train_algorithm(name, env_kwargs, budget=budget, seed=seed, run_dir=run_dir, keep_history=True)
            total = time.perf_counter() - started
            wall = {int(float(row["step"])): float(row["wall_time"]) for row in _metrics(run_dir)}
            algorithm = algorithms()[name]
            points = []
            for step, path in numbered_checkpoints(run_dir / "checkpoints").items():
                players = algorithm.players_at(run_dir, path)
                assert players is not None, f"{name} rebuilds no checkpoint's players"
                points.append((step, wall[step], pair_distance(*players, env_kwargs, bench)))
            final = final_figures(trained.sender, trained.receiver, env_kwargs, bench)
            return Run(points, trained.decisions, total, final)

    return trace


def ibr_trace(env_kwargs: dict[str, Any], budget: int, seed: int, bench: Benchmarks) -> Run:
    with tempfile.TemporaryDirectory() as folder:
        run_dir = Path(folder)
        started = time.perf_counter()
        trained = train_algorithm("sb3_ibr", env_kwargs, budget=budget, seed=seed, run_dir=run_dir)
        total = time.perf_counter() - started
        points = []
        for row in _metrics(run_dir):
            if float(row.get("ibr/phase", 0)) < 1:  # only once both sides have trained
                continue
            outcome = {
                first: np.array([float(row[f"greedy/{first}_first/{side}_payoff"]) for side in ROLES])
                for first in ROLES
            }
            points.append(
                (int(float(row["step"])), float(row["wall_time"]), distance_of(outcome, played_targets(bench)))
            )
        final = final_figures(trained.sender, trained.receiver, env_kwargs, bench)
        return Run(points, trained.decisions, total, final)


def final_only(name: str) -> Callable[[dict[str, Any], int, int, Benchmarks], Run]:
    def trace(env_kwargs: dict[str, Any], budget: int, seed: int, bench: Benchmarks) -> Run:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            trained = train_algorithm(name, env_kwargs, budget=budget, seed=seed, run_dir=Path(folder))
            total = time.perf_counter() - started
            final = final_figures(trained.sender, trained.receiver, env_kwargs, bench)
            distance = max(final[first]["distance_to_spe_played"] for first in ROLES)
            return Run([(trained.decisions, total, distance)], trained.decisions, total, final)

    return trace


TRACES = {
    "qlearning": checkpoint_trace("qlearning"),
    "regret": regret_trace,
    "mappo": checkpoint_trace("mappo"),
    "ippo": checkpoint_trace("ippo"),
    "sb3_ibr": ibr_trace,
    "rllib_ppo": final_only("rllib_ppo"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algorithms", default=",".join(TRACES))
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET, help="decisions (the main job's budget)")
    parser.add_argument("--budget-for", default="", metavar="ALG=N,...", help="a smaller budget for slow algorithms")
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    env_kwargs = main_game()
    bench = benchmarks(env_kwargs)
    targets = played_targets(bench)
    budgets = {name: args.budget for name in TRACES}
    for item in filter(None, args.budget_for.split(",")):
        name, _, value = item.partition("=")
        budgets[name.strip()] = int(value)
    print(f"game: {CONFIG.name} [env]; SPE as played: " + ", ".join(f"{f} first {targets[f].round(4)}" for f in ROLES))
    print(
        f"{'algorithm':<10} {'budget':>9} {'decisions/s':>12} {'s to 0.02 (median)':>19} {'reached':>8} "
        f"{'final distance (median)':>24} {'run s (median)':>15}"
    )
    rows: dict[str, Any] = {}
    for name in args.algorithms.split(","):
        if name not in TRACES or name not in algorithms():
            print(f"{name:<10} unknown (known: {', '.join(TRACES)})")
            continue
        missing = algorithms()[name].missing()
        if missing:
            print(f"{name:<10} skipped: {missing}")
            continue
        runs = [TRACES[name](env_kwargs, budgets[name], seed, bench) for seed in range(args.seeds)]
        reach = [next((wall for _, wall, distance in run.points if distance <= TOLERANCE), math.inf) for run in runs]
        finals = [run.points[-1][2] if run.points else math.nan for run in runs]
        rate = statistics.median(run.decisions / run.seconds for run in runs)
        median = statistics.median(reach)
        shown = f"{median:.1f}" if math.isfinite(median) else "not reached"
        reached = sum(math.isfinite(r) for r in reach)
        print(
            f"{name:<10} {budgets[name]:>9,} {rate:>12,.0f} {shown:>19} {f'{reached}/{args.seeds}':>8} "
            f"{statistics.median(finals):>24.4f} {statistics.median(run.seconds for run in runs):>15.1f}"
            f"   per seed: {', '.join(f'{final:.4f}' for final in finals)}",
            flush=True,
        )
        rows[name] = {
            "budget": budgets[name],
            "decisions_per_s": rate,
            "seconds_to_reach": median if math.isfinite(median) else None,
            "reached_seeds": reached,
            "final_distance": finals,
            "final_by_seed": [run.final for run in runs],
        }
    if args.budget == DEFAULT_BUDGET and args.seeds == DEFAULT_SEEDS and not args.budget_for:
        record("leaderboard", {**read_results().get("leaderboard", {}), **rows})


if __name__ == "__main__":
    main()
