"""Wall time of the leaderboard's grid with ``--jobs 1``, ``--jobs 2`` and a local Ray instance of 2 workers.

For each way of running the cells it trains the whole grid afresh (a new folder: nothing is read back) and prints
the wall time, the cells per minute, and per algorithm its training decisions per second and mean training time
per cell. The default is the default leaderboard (every built-in algorithm that can run here, the 18 games, 3
seeds, the default budget); options choose a subset to measure on a small machine::

    python benchmarks/bench_leaderboard.py --algorithms regret,qlearning --tasks sig_ultimatum_sender --seeds 1 \\
        --modes jobs1,jobs2

Ray is only used where it is installed (``ray2`` is skipped with a note otherwise). Figures depend on the load of
the machine: measure on a quiet one, or say it was not.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MODES = ("jobs1", "jobs2", "ray2")


def _runner(mode: str) -> Any:
    from infobargain.evaluation.cell_runner import process_runner, ray_runner

    return ray_runner("local", 2) if mode == "ray2" else process_runner(int(mode.removeprefix("jobs")))


def measure(mode: str, algorithms: Sequence[str], arguments: dict[str, Any], keep: Path | None) -> dict[str, Any]:
    """One fresh run of the grid in ``mode``: wall time, cells per minute, per algorithm decisions/s."""
    from infobargain.evaluation.leaderboard import run_leaderboard

    with tempfile.TemporaryDirectory() as scratch:
        out = keep / mode if keep else Path(scratch)
        started = time.perf_counter()
        document = run_leaderboard(algorithms, runner=_runner(mode), out=out, show_progress=False, **arguments)
        wall = time.perf_counter() - started
    per_algorithm = {}
    for name, entry in document["summary"].items():
        cells = len(document["settings"]["tasks"]) * len(entry["seeds"])
        train_s = entry["wall_s"]["mean"] * len(entry["seeds"])
        decisions = entry["decisions"]["mean"] * cells
        per_algorithm[name] = {
            "decisions_per_s": decisions / train_s if train_s else None,
            "training_s_per_cell": train_s / cells,
            "budget": document["algorithms"][name]["budget"],
        }
    return {
        "mode": mode,
        "wall_s": wall,
        "cells": document["cells"],
        "cells_per_minute": 60 * document["cells"]["total"] / wall,
        "algorithms": per_algorithm,
    }


def main(argv: Sequence[str] | None = None) -> None:
    import torch

    from infobargain.evaluation.leaderboard import DEFAULT_ALGORITHMS, check_algorithms

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algorithms", default=",".join(DEFAULT_ALGORITHMS))
    parser.add_argument("--tasks", default=None, help="TASK, GAME or TASK:GAME patterns, comma-separated")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=200_000)
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--modes", default=",".join(MODES), help=f"a subset of {','.join(MODES)}")
    parser.add_argument("--keep", type=Path, default=None, help="keep each mode's run folder under this one")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    chosen, skipped = check_algorithms(args.algorithms.split(","), skip_unavailable=True)
    for note in skipped:
        print(f"note: {note}")
    arguments = {
        "tasks": args.tasks.split(",") if args.tasks else None,
        "budget": args.budget,
        "seeds": list(range(args.seeds)),
        "episodes": args.episodes,
    }
    results = []
    for mode in args.modes.split(","):
        if mode == "ray2" and not _has_ray():
            print("note: ray2 skipped: Ray is not installed here")
            continue
        result = measure(mode, [algorithm.name for algorithm in chosen], arguments, args.keep)
        results.append(result)
        cells = result["cells"]
        print(
            f"{mode}: {result['wall_s']:.1f} s wall, {cells['total']} cells ({cells['failed']} failed), "
            f"{result['cells_per_minute']:.2f} cells/min on {os.cpu_count()} cores",
            flush=True,
        )
        for name, entry in result["algorithms"].items():
            print(
                f"  {name:10s} {entry['decisions_per_s']:9.0f} decisions/s, {entry['training_s_per_cell']:7.1f} s "
                f"training per cell (budget {entry['budget']:,})",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps({"arguments": vars(args) | {"keep": None, "json": None}, "results": results}))


def _has_ray() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None


if __name__ == "__main__":
    main()
