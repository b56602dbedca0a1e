"""What ``qlearning.lookahead`` changes where the suite found it hardest: the bounded pie's ten-round chain of ties.

Usage::

    .venv/bin/python benchmarks/bench_lookahead.py [--lookahead 0,1] [--seeds 0,1,2,3] [--steps 1000000]

Trains ``barg_alternating_10`` on ``split_pie_bounded`` (the suite's task and budget: 100,000 decisions per
round) once per lookahead value and seed, in this process with one torch thread, and prints for each: the final
greedy players' distance to the exact SPE as played per first proposer, the decisions after which the greedy
outcome logged at checkpoints first stayed within 0.02 (one grid step) for both first proposers until the end,
and the training wall time. Every responder of that game's discrete SPE is exactly indifferent, so self-play
closes in on it one grid step at a time: a step waits for the proposer's estimate of a claim the responder has
only just started to accept, which epsilon-greedy play tries a few times per update (issue 26). Times depend
on machine load: compare within a run.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from infobargain.evaluation.benchmarks import benchmarks
from infobargain.evaluation.exploitability import exact_exploitability
from infobargain.evaluation.metrics import distance
from infobargain.evaluation.suite import TASKS, task_steps
from infobargain.evaluation.verdict import DEFAULT_TOLERANCE
from infobargain.game.protocol import ROLES
from infobargain.training.api import train_players

TASK = next(task for task in TASKS if task.name == "barg_alternating_10")
GAME = "split_pie_bounded"


def settled_at(run: Path, targets: dict[str, np.ndarray]) -> int | None:
    """The decisions after which every later checkpoint's greedy outcome is within tolerance for both first
    proposers (``None``: the last one is not)."""
    with open(run / "metrics.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["greedy/sender_first/sender_payoff"] not in ("", "nan")]
    settled: int | None = None
    for row in rows:
        within = all(
            distance(np.array([float(row[f"greedy/{first}_first/{role}_payoff"]) for role in ROLES]), targets[first])
            <= DEFAULT_TOLERANCE
            for first in ROLES
        )
        settled = (settled if settled is not None else int(row["step"])) if within else None
    return settled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lookahead", default="0,1", help="lookahead values (default: 0,1)")
    parser.add_argument("--seeds", default="0,1,2,3")
    parser.add_argument("--steps", type=int, default=task_steps(TASK, None), help="decisions (default: the suite's)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    env_kwargs = TASK.env_kwargs(GAME, "frontier", 25)
    targets = {first: payoffs.payoffs for first, payoffs in benchmarks(env_kwargs).spe_played.items()}
    print(f"{TASK.name} on {GAME}, {args.steps:,} decisions per training; distances to the SPE as played")
    for lookahead in (int(value) for value in args.lookahead.split(",")):
        for seed in (int(value) for value in args.seeds.split(",")):
            with tempfile.TemporaryDirectory() as folder:
                started = time.perf_counter()
                players = train_players(
                    env_kwargs, total_steps=args.steps, seed=seed, run_dir=folder, settings={"lookahead": lookahead}
                )
                wall = time.perf_counter() - started
                pair = exact_exploitability(players["sender"], players["receiver"], env_kwargs)
                final = {first: distance(pair.by_first[first].value, targets[first]) for first in ROLES}
                settled = settled_at(Path(folder), targets)
            when = f"within {DEFAULT_TOLERANCE} from {settled:,} decisions on" if settled else "not within at the end"
            print(
                f"lookahead {lookahead}, seed {seed}: sender first {final['sender']:.4f}, receiver first "
                f"{final['receiver']:.4f}; {when}; {wall:.0f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
