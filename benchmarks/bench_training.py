"""Training speed: environment steps and wall-clock seconds until learned players are within 0.02 of the exact SPE.

Usage::

    .venv/bin/python benchmarks/bench_training.py [--only mappo,qlearning,sb3,ibr] [--protocols ultimatum,alternating]
        [--mappo-steps 400000] [--qlearning-steps 1200000] [--sb3-steps 24576] [--ibr-steps 49152] [--ibr-rounds 4] [--seed 0]

Game: the paper instance (``pure_math``), frontier offers (the env's default ``grid_size``, 25), coin-flip first proposer (one run
learns both first proposers), ``ultimatum`` and ``alternating`` (``break_off`` 0.1, ``max_rounds`` 10).
Target: the greedy players' exact expected outcome (one expected-mode episode per first proposer) within 0.02 of
the exact SPE of the game the env plays (the discretised one; the continuous SPE is printed beside it), for both
first proposers: both payoffs for self-play (mappo, qlearning, ibr), the learner's own payoff for sb3 (a learner facing the
exact SPE player may break its indifferences differently, e.g. reject an offer worth exactly its disagreement
value). The table also shows from which step the target held for good.

- **mappo**: the library's multi-agent PPO (``run_training`` with ``run.algorithm = "mappo"``); the greedy outcome
  of every checkpoint is computed afterwards with ``mappo.greedy_outcome``, its time is the run's ``wall_time``
  at that step. Steps are decisions of both players.
- **qlearning**: the library's self-play Q-learning (``run.algorithm = "qlearning"``), traced the same way from
  its averaged networks (the ones it saves as players).
- **sb3**: MaskablePPO learning one side against the exact-SPE opponent; steps are the learner's decisions.
- **ibr**: iterated best response (MaskablePPO, ``--ibr-rounds`` rounds, starting against a random player);
  steps are both learners' decisions; only rows where both sides have trained count.

SB3 and IBR log the greedy outcome in every metrics row (one per rollout), with their ``wall_time``. Times are
training time on this machine with one torch thread (``run.threads = 1``), setup excluded. Each run stops at its
step budget; when the target is not reached the table shows the closest row instead.
"""

from __future__ import annotations

import argparse
import csv
import math
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from infobargain.agents.analytic import game_problem
from infobargain.agents.learned import load_torch_player
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.game.protocol import ROLES
from infobargain.theory.spe import subgame_perfect
from infobargain.training.config import RunConfig
from infobargain.training.mappo import greedy_outcome
from infobargain.training.qlearning import saved_player
from infobargain.training.runner import run_training

TOLERANCE = 0.02
MAPPO_TARGET_S = 60.0
PROTOCOLS: dict[str, dict[str, Any]] = {
    "ultimatum": {"protocol": "ultimatum"},
    "alternating": {"protocol": "alternating", "break_off": 0.1, "max_rounds": 10},
}
SB3_SETTINGS = {"learning_rate": 3e-3, "n_steps": 128, "batch_size": 128, "n_envs": 4}
"""Faster than the SB3Section defaults on these small games (the acceptance tests use the same)."""

Outcome = dict[str, NDArray[np.float64]]


@dataclass
class Trace:
    """The greedy outcome at successive points of one run."""

    steps: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    total_seconds: float = math.nan


@dataclass
class Row:
    algorithm: str
    protocol: str
    trace: Trace
    targets: Outcome
    coordinates: tuple[int, ...] = (0, 1)
    """The payoffs that must match: both for self-play, the learner's own against a fixed SPE opponent."""

    def deviation(self, outcome: Outcome) -> float:
        columns = list(self.coordinates)
        return max(float(np.max(np.abs(outcome[f][columns] - target[columns]))) for f, target in self.targets.items())

    def within(self) -> list[bool]:
        return [self.deviation(outcome) <= TOLERANCE for outcome in self.trace.outcomes]

    def reached(self) -> int | None:
        """Index of the first point within the tolerance."""
        return next((index for index, ok in enumerate(self.within()) if ok), None)

    def stable(self) -> int | None:
        """Index from which every later point stays within the tolerance (``None`` if the last one is not)."""
        within = self.within()
        if not within or not within[-1]:
            return None
        index = len(within) - 1
        while index > 0 and within[index - 1]:
            index -= 1
        return index


def config_for(algorithm: str, protocol: str, steps: int, seed: int) -> RunConfig:
    config = RunConfig()
    config.run.algorithm, config.run.total_steps, config.run.seed = algorithm, steps, seed
    config.env.update(PROTOCOLS[protocol])
    for key, value in SB3_SETTINGS.items():
        setattr(config.sb3, key, value)
    return config


def spe_targets(env_kwargs: Mapping[str, Any], *, discrete: bool = True) -> Outcome:
    """The exact SPE outcome per first proposer (of the discretised game the env plays, or the continuous one)."""
    targets = {}
    for first in ROLES:
        env = raw_env(**{**env_kwargs, "first_proposer": first})
        problem = game_problem(env) if discrete else env.problem
        targets[first] = np.asarray(subgame_perfect(problem, env.rules, first).payoffs, dtype=np.float64)
    return targets


def read_rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def train(config: RunConfig, run_dir: Path) -> float:
    started = time.perf_counter()
    run_training(config, run_dir, show_progress=False)
    return time.perf_counter() - started


PLAYED_NETWORKS = {"mappo": "networks", "qlearning": "averaged"}
"""The checkpoint entry holding the networks a run's saved players are made of."""


def checkpoint_trace(config: RunConfig, run_dir: Path) -> Trace:
    """Train (mappo or qlearning), then replay every numbered checkpoint greedily."""
    config.run.checkpoint_every = 5
    trace = Trace(total_seconds=train(config, run_dir))
    wall = {int(float(row["step"])): float(row["wall_time"]) for row in read_rows(run_dir)}
    env = raw_env(**config.env)
    networks = [load_torch_player(run_dir / "players" / f"{role}.pt", env, role).module for role in ROLES]
    for path in sorted((run_dir / "checkpoints").glob("step_*.pt")):
        state = torch.load(path, weights_only=False)
        for network, saved in zip(networks, state[PLAYED_NETWORKS[config.run.algorithm]], strict=True):
            network.load_state_dict(saved)
        trace.steps.append(int(state["step"]))
        trace.seconds.append(wall[int(state["step"])])
        players = networks
        if config.run.algorithm == "qlearning":  # saved players carry the centre and tie-break; checkpoints do not
            centre = state["centre"].numpy()
            players = [saved_player(network, config.qlearning.accept_bonus, centre) for network in networks]
        trace.outcomes.append({first: np.asarray(v) for first, v in greedy_outcome(config, players).items()})
    return trace


def metrics_trace(config: RunConfig, run_dir: Path, *, min_phase: int = 0) -> Trace:
    """Train (SB3 or IBR), then read the greedy outcome logged in every metrics row."""
    trace = Trace(total_seconds=train(config, run_dir))
    for row in read_rows(run_dir):
        if float(row.get("ibr/phase", 0)) < min_phase:
            continue
        trace.steps.append(int(float(row["step"])))
        trace.seconds.append(float(row["wall_time"]))
        trace.outcomes.append(
            {
                first: np.array(
                    [
                        float(row[f"greedy/{first}_first/sender_payoff"]),
                        float(row[f"greedy/{first}_first/receiver_payoff"]),
                    ]
                )
                for first in ROLES
            }
        )
    return trace


def pair(outcome: Outcome) -> str:
    return "  ".join(f"{first[0].upper()}:({v[0]:.3f},{v[1]:.3f})" for first, v in outcome.items())


def print_table(rows: list[Row], seed: int) -> None:
    header = (
        f"{'algorithm':<25} {'protocol':<12} {'steps to target':>15} {'s to target':>11} {'stays from':>10} "
        f"{'run s':>6} {'final |dev|':>11}  final greedy outcome (S first, R first)"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        trace, index = row.trace, row.reached()
        final = trace.outcomes[-1] if trace.outcomes else None
        final_dev = row.deviation(final) if final is not None else math.nan
        if index is not None:
            steps, seconds = f"{trace.steps[index]:,}", f"{trace.seconds[index]:.1f}"
        else:
            closest = min(range(len(trace.outcomes)), key=lambda k: row.deviation(trace.outcomes[k]), default=None)
            steps = "not reached"
            seconds = f"(best {row.deviation(trace.outcomes[closest]):.3f})" if closest is not None else "-"
        stable = row.stable()
        stays = f"{trace.steps[stable]:,}" if stable is not None else "-"
        print(
            f"{row.algorithm:<25} {row.protocol:<12} {steps:>15} {seconds:>11} {stays:>10} {trace.total_seconds:>6.1f} "
            f"{final_dev:>11.3f}  {pair(final) if final is not None else '-'}"
        )
    print(
        f"\ntolerance {TOLERANCE} for both first proposers: both payoffs for mappo, qlearning and ibr, the learner's own for sb3 "
        f"(its opponent is the exact SPE player); 'stays from': the step after which every check stayed within; "
        f"'run s': the whole run (setup and full budget); seed {seed}"
    )
    for protocol in dict.fromkeys(row.protocol for row in rows):
        env_kwargs = {**RunConfig().env, **PROTOCOLS[protocol]}
        print(
            f"exact SPE, {protocol:<11}: discretised {pair(spe_targets(env_kwargs))}   "
            f"continuous {pair(spe_targets(env_kwargs, discrete=False))}"
        )
    for row in rows:
        if row.algorithm == "mappo":
            index = row.reached()
            met = index is not None and row.trace.seconds[index] <= MAPPO_TARGET_S
            print(
                f"target (issue): mappo within {TOLERANCE} of the SPE in <= {MAPPO_TARGET_S:.0f} s, {row.protocol}: {'met' if met else 'NOT met'}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", default="mappo,qlearning,sb3,ibr", help="comma-separated: mappo, qlearning, sb3, ibr")
    parser.add_argument("--protocols", default="ultimatum,alternating")
    parser.add_argument("--mappo-steps", type=int, default=400_000, help="decisions of both players")
    parser.add_argument("--qlearning-steps", type=int, default=1_200_000, help="decisions of both players")
    parser.add_argument("--sb3-steps", type=int, default=24_576, help="learner decisions per side")
    parser.add_argument("--ibr-steps", type=int, default=49_152, help="decisions over all phases")
    parser.add_argument("--ibr-rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-training-") as scratch:
        folder = Path(scratch)
        for protocol in args.protocols.split(","):
            targets = spe_targets({**RunConfig().env, **PROTOCOLS[protocol]})
            for algorithm, steps in (("mappo", args.mappo_steps), ("qlearning", args.qlearning_steps)):
                if algorithm in wanted:
                    config = config_for(algorithm, protocol, steps, args.seed)
                    trace = checkpoint_trace(config, folder / f"{algorithm}-{protocol}")
                    rows.append(Row(algorithm, protocol, trace, targets))
                    print(f"[done] {algorithm} {protocol}", flush=True)
            if "sb3" in wanted:
                for learner in ROLES:
                    config = config_for("sb3", protocol, args.sb3_steps, args.seed)
                    config.sb3.learner, config.sb3.opponent = learner, "spe"
                    trace = metrics_trace(config, folder / f"sb3-{learner}-{protocol}")
                    me = (ROLES.index(learner),)
                    rows.append(Row(f"sb3 MaskablePPO {learner}", protocol, trace, targets, me))
                    print(f"[done] sb3 {learner} vs spe, {protocol}", flush=True)
            if "ibr" in wanted:
                config = config_for("sb3_ibr", protocol, args.ibr_steps, args.seed)
                config.sb3_ibr.rounds = args.ibr_rounds
                trace = metrics_trace(config, folder / f"ibr-{protocol}", min_phase=1)
                rows.append(Row(f"ibr ({args.ibr_rounds} rounds)", protocol, trace, targets))
                print(f"[done] ibr {protocol}", flush=True)
    print()
    print_table(rows, args.seed)


if __name__ == "__main__":
    main()
