"""Learning speed of the leaderboard's algorithms on the main job's game: decisions/s and wall time to the SPE.

Usage::

    .venv/bin/python benchmarks/bench_learning.py [--algorithms regret,mappo,ippo,sb3_ibr,rllib_ppo]
        [--budget 1200000] [--budget-for sb3_ibr=200000,...] [--seeds 3]

Game: ``configs/paper_selfplay.toml``'s ``[env]`` (the paper instance, alternating offers, break-off 0.1, 10
rounds, coin-flip first proposer, frontier grid 22). Each algorithm trains through the leaderboard's registry
(:mod:`infobargain.training.algorithms`) with the same budget in decisions and seeds 0..N-1.

**Reached** means the pair's exact expected outcome is within 0.02 (Euclidean) of the exact SPE of the game as
played, for *both* first proposers. The time to reach it is the training's own clock at the first point of its
trace that is within: ``regret`` keeps a snapshot of its strategies every 1 % of the budget; ``mappo``/``ippo``
replay every numbered checkpoint (its ``wall_time`` from ``metrics.csv``); ``sb3_ibr`` reads the greedy outcome it
logs in every metrics row once both sides have trained; ``rllib_ppo`` has no trace, so only its final players
count (time = its whole run). Decisions/s is decisions used over training wall time. Figures are medians over the
seeds ("not reached" when the median seed does not reach it); each seed's final distance is listed too, for
comparing two versions seed by seed. Times depend on machine load: compare within a run.
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from infobargain.agents.learned import load_torch_player
from infobargain.agents.tabular import TabularPolicy
from infobargain.envs.information_bargaining_v0 import raw_env
from infobargain.evaluation.benchmarks import benchmarks
from infobargain.evaluation.exploitability import exact_exploitability
from infobargain.game.protocol import ROLES
from infobargain.training.algorithms import algorithms
from infobargain.training.config import RunConfig
from infobargain.training.mappo import greedy_outcome
from infobargain.training.regret import RegretSettings, train_regret
from infobargain.training.runner import train_algorithm

TOLERANCE = 0.02
CONFIG = Path(__file__).resolve().parents[1] / "configs" / "paper_selfplay.toml"
Point = tuple[int, float, float]
"""(decisions, training seconds, distance to the SPE as played: the worse first proposer)."""


def main_game() -> dict[str, Any]:
    return dict(RunConfig.load(CONFIG).env)


def distance_of(outcome: Mapping[str, Any], targets: Mapping[str, np.ndarray]) -> float:
    return max(float(np.linalg.norm(np.asarray(outcome[first]) - targets[first])) for first in ROLES)


def pair_distance(
    sender: Any, receiver: Any, env_kwargs: Mapping[str, Any], targets: Mapping[str, np.ndarray]
) -> float:
    exploit = exact_exploitability(sender, receiver, env_kwargs)
    return distance_of({first: f.value for first, f in exploit.by_first.items()}, targets)


def regret_trace(env_kwargs: dict[str, Any], budget: int, seed: int, targets: Any) -> tuple[list[Point], int, float]:
    result = train_regret(env_kwargs, budget=budget, seed=seed, settings=RegretSettings(), snapshot_every=budget // 100)
    env = raw_env(**env_kwargs)
    points = [
        (
            used,
            wall,
            pair_distance(TabularPolicy(t, env, "sender"), TabularPolicy(t, env, "receiver"), env_kwargs, targets),
        )
        for used, wall, t in result.snapshots
    ]
    return points, result.decisions, result.wall_s


def _metrics(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def ppo_trace(name: str) -> Callable[[dict[str, Any], int, int, Any], tuple[list[Point], int, float]]:
    def trace(env_kwargs: dict[str, Any], budget: int, seed: int, targets: Any) -> tuple[list[Point], int, float]:
        with tempfile.TemporaryDirectory() as folder:
            run_dir = Path(folder)
            started = time.perf_counter()
            trained = train_algorithm(name, env_kwargs, budget=budget, seed=seed, run_dir=run_dir, keep_history=True)
            total = time.perf_counter() - started
            wall = {int(float(row["step"])): float(row["wall_time"]) for row in _metrics(run_dir)}
            config = RunConfig.load(run_dir / "config.toml")
            env = raw_env(**env_kwargs)
            networks = [load_torch_player(run_dir / "players" / f"{role}.pt", env, role).module for role in ROLES]
            points = []
            for path in sorted((run_dir / "checkpoints").glob("step_*.pt")):
                state = torch.load(path, weights_only=False, map_location="cpu")
                for network, saved in zip(networks, state["networks"], strict=True):
                    network.load_state_dict(saved)
                step = int(state["step"])
                points.append((step, wall[step], distance_of(greedy_outcome(config, networks), targets)))
            return sorted(points), trained.decisions, total

    return trace


def ibr_trace(env_kwargs: dict[str, Any], budget: int, seed: int, targets: Any) -> tuple[list[Point], int, float]:
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
            points.append((int(float(row["step"])), float(row["wall_time"]), distance_of(outcome, targets)))
        return points, trained.decisions, total


def final_only(name: str) -> Callable[[dict[str, Any], int, int, Any], tuple[list[Point], int, float]]:
    def trace(env_kwargs: dict[str, Any], budget: int, seed: int, targets: Any) -> tuple[list[Point], int, float]:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            trained = train_algorithm(name, env_kwargs, budget=budget, seed=seed, run_dir=Path(folder))
            total = time.perf_counter() - started
            distance = pair_distance(trained.sender, trained.receiver, env_kwargs, targets)
            return [(trained.decisions, total, distance)], trained.decisions, total

    return trace


TRACES = {
    "regret": regret_trace,
    "mappo": ppo_trace("mappo"),
    "ippo": ppo_trace("ippo"),
    "sb3_ibr": ibr_trace,
    "rllib_ppo": final_only("rllib_ppo"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algorithms", default=",".join(TRACES))
    parser.add_argument("--budget", type=int, default=1_200_000, help="decisions (the main job's budget)")
    parser.add_argument("--budget-for", default="", metavar="ALG=N,...", help="a smaller budget for slow algorithms")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    env_kwargs = main_game()
    bench = benchmarks(env_kwargs)
    targets = {first: np.array(bench.spe_played[first].payoffs) for first in ROLES}
    budgets = {name: args.budget for name in TRACES}
    for item in filter(None, args.budget_for.split(",")):
        name, _, value = item.partition("=")
        budgets[name.strip()] = int(value)
    print(f"game: {CONFIG.name} [env]; SPE as played: " + ", ".join(f"{f} first {targets[f].round(4)}" for f in ROLES))
    print(
        f"{'algorithm':<10} {'budget':>9} {'decisions/s':>12} {'s to 0.02 (median)':>19} {'reached':>8} "
        f"{'final distance (median)':>24} {'run s (median)':>15}"
    )
    for name in args.algorithms.split(","):
        if name not in TRACES or name not in algorithms():
            print(f"{name:<10} unknown (known: {', '.join(TRACES)})")
            continue
        missing = algorithms()[name].missing()
        if missing:
            print(f"{name:<10} skipped: {missing}")
            continue
        reach, rates, finals, totals = [], [], [], []
        for seed in range(args.seeds):
            points, used, total = TRACES[name](env_kwargs, budgets[name], seed, targets)
            reach.append(next((wall for _, wall, distance in points if distance <= TOLERANCE), math.inf))
            rates.append(used / total)
            finals.append(points[-1][2] if points else math.nan)
            totals.append(total)
        median = statistics.median(reach)
        shown = f"{median:.1f}" if math.isfinite(median) else "not reached"
        reached = f"{sum(math.isfinite(r) for r in reach)}/{args.seeds}"
        print(
            f"{name:<10} {budgets[name]:>9,} {statistics.median(rates):>12,.0f} {shown:>19} {reached:>8} "
            f"{statistics.median(finals):>24.4f} {statistics.median(totals):>15.1f}"
            f"   per seed: {', '.join(f'{final:.4f}' for final in finals)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
