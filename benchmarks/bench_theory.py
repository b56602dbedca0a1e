"""Wall time of a full ``infobargain.theory.solve`` (every benchmark, coin-flip first proposer).

Usage::

    .venv/bin/python benchmarks/bench_theory.py [--repeats 21] [--repeats-medium 5] [--repeats-large 1] [--seeds 3]

For the paper instance and random 5×5, 20×20 and 50×50 instances (``--seeds`` seeds each) it prints the median
and interquartile range of the wall time, the number of feasible-polygon vertices and the number of LPs one solve
runs, then whether the issue's targets (≤ 20 ms for the paper instance, ≤ 1 s for 50×50) are met by the median.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from infobargain.game import Instance, random_instance, scenario
from infobargain.game.protocol import Protocol
from infobargain.theory import ObedienceLP, solve

PROTOCOL = Protocol(first_proposer="coin_flip")
TARGETS_S = {"paper": 0.020, "50x50": 1.0}


@dataclass
class Row:
    group: str
    label: str
    times: list[float]
    vertices: int
    lps: int


@contextmanager
def counting_lps() -> Iterator[list[int]]:
    """Count calls of :meth:`ObedienceLP.maximize` (one LP solve each) while the block runs."""
    counter = [0]
    original: Callable[..., Any] = ObedienceLP.maximize

    def counted(self: ObedienceLP, *args: Any, **kwargs: Any) -> Any:
        counter[0] += 1
        return original(self, *args, **kwargs)

    ObedienceLP.maximize = counted  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        ObedienceLP.maximize = original  # type: ignore[method-assign]


def measure(group: str, instance: Instance, repeats: int) -> Row:
    """Time ``repeats`` solves; the LP counter's overhead (one Python call per LP) is negligible beside an LP."""
    times = []
    for _ in range(repeats):
        with counting_lps() as counter:
            start = time.perf_counter()
            report = solve(instance, PROTOCOL)
            times.append(time.perf_counter() - start)
    return Row(group, instance.name, times, len(report["feasible_set"]), counter[0])


def quartiles(times: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return float(q1), float(median), float(q3)


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1e3:10.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="timed solves of the paper and 5×5 instances")
    parser.add_argument("--repeats-medium", type=int, default=5, help="timed solves of each 20×20 instance")
    parser.add_argument("--repeats-large", type=int, default=1, help="timed solves of each 50×50 instance (slow)")
    parser.add_argument("--seeds", type=int, default=3, help="random instances per size")
    parser.add_argument("--skip-large", action="store_true", help="leave out the 50×50 instances")
    args = parser.parse_args(argv)
    if min(args.repeats, args.repeats_medium, args.repeats_large, args.seeds) < 1:
        parser.error("repetitions and seeds must be at least 1")

    paper = scenario("pure_math")
    assert isinstance(paper, Instance)
    solve(paper, PROTOCOL)  # warm-up: imports and the solver's first construction

    plan: list[tuple[str, list[Instance], int]] = [("paper", [paper], args.repeats)]
    plan.append(("5x5", [random_instance(5, 5, seed) for seed in range(args.seeds)], args.repeats))
    plan.append(("20x20", [random_instance(20, 20, seed) for seed in range(args.seeds)], args.repeats_medium))
    if not args.skip_large:
        plan.append(("50x50", [random_instance(50, 50, seed) for seed in range(args.seeds)], args.repeats_large))

    print(f"full solve, {PROTOCOL}")
    print(f"{'instance':<26}{'runs':>5}{'median ms':>11}{'IQR ms':>11}{'vertices':>10}{'LPs':>8}")
    rows: list[Row] = []
    for group, instances, repeats in plan:
        for instance in instances:
            row = measure(group, instance, repeats)
            rows.append(row)
            q1, median, q3 = quartiles(row.times)
            print(
                f"{row.label:<26}{len(row.times):>5}{milliseconds(median)} {milliseconds(q3 - q1)}{row.vertices:>10}{row.lps:>8}",
                flush=True,
            )

    print()
    print(f"{'size':<8}{'runs':>5}{'median ms':>11}{'IQR ms':>11}{'vertices':>14}{'LPs':>12}   target")
    for group, _, _ in plan:
        selected = [row for row in rows if row.group == group]
        times = [t for row in selected for t in row.times]
        q1, median, q3 = quartiles(times)
        vertices = f"{min(r.vertices for r in selected)}-{max(r.vertices for r in selected)}"
        lps = f"{min(r.lps for r in selected)}-{max(r.lps for r in selected)}"
        target = TARGETS_S.get(group)
        verdict = "—" if target is None else f"≤ {target * 1e3:g} ms: {'met' if median <= target else 'NOT met'}"
        print(
            f"{group:<8}{len(times):>5}{milliseconds(median)} {milliseconds(q3 - q1)}{vertices:>14}{lps:>12}   {verdict}"
        )
    print(
        "\nper size: median and IQR (75th − 25th percentile) over all runs of all seeds; targets judged on the median"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
