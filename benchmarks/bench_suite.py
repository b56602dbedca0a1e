"""Wall time of ``infobargain suite`` with its default trained players, trainings one at a time vs in parallel,
and what those players reach.

Runs ``run_suite`` (the paper's 7 tasks, 18 trainings) once per ``--jobs`` value, in this process (each parallel
training in its own process), and prints wall and CPU seconds (this process and its children), the speed-up over
the first value, and whether the issue-14 target (at most 120 s on 2 cores) is met. It also checks that every
run produced the same table rows (the players do not depend on ``--jobs``). Each further ``--seeds`` value runs
the suite once more (with the last ``--jobs`` value) for its verdict. With the default tasks and budget, every
seed's verdict (rows reached, MAE against the continuous SPE, the rows missed) goes to the ``"suite"`` section of
``benchmarks/results/learning.json``, the file the README's suite figures are checked against, as soon as that
seed is done (replacing that seed's entry, keeping the others: seeds may run in separate processes).

Usage::

    .venv/bin/python benchmarks/bench_suite.py                      # --jobs 1 then all cores: about 4 minutes
    .venv/bin/python benchmarks/bench_suite.py --jobs 2 --seeds 0 1 2   # the README's verdicts, seeds 0-2
    .venv/bin/python benchmarks/bench_suite.py --tasks barg_ultimatum --steps 20000   # a quick smoke run
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from learning_results import read_results, record

from infobargain.evaluation.suite import run_suite
from infobargain.evaluation.verdict import format_suite_verdict, suite_verdict

TARGET_SECONDS = 120.0  # issue 14: the default suite on 2 cores
BUDGET = "the default: 100,000 decisions per protocol round"


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the training processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_suite(
    jobs: int, tasks: list[str] | None, steps: int | None, seed: int
) -> tuple[float, float, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as folder:
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = run_suite(tasks=tasks, total_steps=steps, run_dir=Path(folder), jobs=jobs, seed=seed)
        return time.perf_counter() - wall, cpu_seconds() - cpu, result


def seed_figures(result: dict[str, Any]) -> dict[str, Any]:
    """What the results file keeps of one seed's suite: the verdict's counts, MAE and missed rows."""
    verdict = suite_verdict(result)
    return {key: verdict[key] for key in ("rows", "reached", "mae_vs_spe_continuous", "missed", "tolerance")}


def main(argv: list[str] | None = None) -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, cores], help=f"values to time (default: 1 {cores})")
    parser.add_argument("--tasks", nargs="+", default=None, help="a subset of the suite's tasks (default: all)")
    parser.add_argument(
        "--steps", type=int, default=None, help="training decisions per task and game (default: the suite's)"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="suite seeds (default: 0)")
    args = parser.parse_args(argv)

    print(
        f"infobargain suite, default trained players; {cores} cores; load average {os.getloadavg()[0]:.2f}", flush=True
    )
    timings: list[tuple[int, float, float]] = []
    rows: list[Any] = []
    quoted = args.tasks is None and args.steps is None  # the settings the README quotes

    def keep(seed: int, result: dict[str, Any]) -> None:
        print(f"seed {seed}: {format_suite_verdict(suite_verdict(result))}", flush=True)
        if quoted:
            section = read_results().get("suite", {"budget": BUDGET, "seeds": {}})
            record("suite", {"budget": BUDGET, "seeds": {**section["seeds"], str(seed): seed_figures(result)}})

    for jobs in args.jobs:
        wall, cpu, result = timed_suite(jobs, args.tasks, args.steps, args.seeds[0])
        timings.append((jobs, wall, cpu))
        rows.append(result["rows"])
        print(f"--jobs {jobs}: {wall:7.1f} s wall, {cpu:7.1f} s CPU", flush=True)
    keep(args.seeds[0], result)
    for seed in args.seeds[1:]:
        keep(seed, timed_suite(args.jobs[-1], args.tasks, args.steps, seed)[2])
    first = timings[0][1]
    for jobs, wall, _ in timings[1:]:
        print(f"--jobs {jobs} vs --jobs {timings[0][0]}: {first / wall:.2f}x faster")
    print(f"same table rows for every --jobs: {all(played == rows[0] for played in rows)}")
    if quoted:
        best = min(wall for _, wall, _ in timings)
        verdict = "meets" if best <= TARGET_SECONDS else "misses"
        print(f"the default suite {verdict} the target (at most {TARGET_SECONDS:.0f} s): {best:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
