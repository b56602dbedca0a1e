"""Instances/s of the closed-form 2×2 frontier tables beside the reference path, in one run.

The closed form (:func:`infobargain.envs.small_games.frontier_tables_2x2`) builds the tables of a whole batch of
random 2×2 games at once; the reference (``bargaining_problem`` then ``FrontierOffers``) one game at a time.
Prints, per grid size, the median instances/s over ``--repeats`` timed calls at each batch size, the fraction
of rows marked exact, and the reference's median instances/s over ``--reference-games`` games. One thread:
the BLAS thread variables are pinned to 1 before numpy loads. Target (issue 13): ≥ 500,000 instances/s at
batch 4,096.

    python benchmarks/bench_offer_tables.py [--batches 1024 4096 65536] [--grid-sizes 11 25] [--repeats 7]
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

from infobargain.envs.offers import FrontierOffers  # noqa: E402
from infobargain.envs.small_games import frontier_tables_2x2  # noqa: E402
from infobargain.game import Instance  # noqa: E402
from infobargain.theory.problem import bargaining_problem  # noqa: E402

TARGET = 500_000
OPTIONS = {"tie_break": "sender", "obedience_margin": 0.0, "receiver_offer": "threshold"}


def random_games(count: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Priors and utilities drawn as :func:`~infobargain.game.random_instance` draws them (Dirichlet(1) prior
    floored at 1e-3, utilities uniform on [-1, 1])."""
    rng = np.random.default_rng(seed)
    prior = np.maximum(rng.dirichlet(np.ones(2), count), 1e-3)
    prior /= prior.sum(axis=1, keepdims=True)
    return prior, rng.uniform(-1.0, 1.0, (count, 2, 2)), rng.uniform(-1.0, 1.0, (count, 2, 2))


def closed_form_rate(batch: int, grid_size: int, repeats: int) -> tuple[float, float]:
    """Median instances/s of one call on ``batch`` games, and the fraction of rows marked exact."""
    prior, sender, receiver = random_games(batch, seed=batch)
    times, exact = [], np.zeros(0, dtype=bool)
    for _ in range(repeats):
        started = time.perf_counter()
        _, exact = frontier_tables_2x2(prior, sender, receiver, grid_size=grid_size, **OPTIONS)  # type: ignore[arg-type]
        times.append(time.perf_counter() - started)
    return batch / statistics.median(times), float(exact.mean())


def reference_rate(games: int, grid_size: int, repeats: int) -> float:
    """Median instances/s of the reference path, one game at a time."""
    prior, sender, receiver = random_games(games, seed=0)
    instances = [Instance(prior[i], sender[i], receiver[i]) for i in range(games)]
    rates = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for _ in range(repeats):
            started = time.perf_counter()
            for instance in instances:
                problem = bargaining_problem(instance, OPTIONS["tie_break"], 0.0)  # type: ignore[arg-type]
                FrontierOffers(problem, instance, OPTIONS["receiver_offer"], grid_size)  # type: ignore[arg-type]
            rates.append(games / (time.perf_counter() - started))
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[1024, 4096, 65536])
    parser.add_argument("--grid-sizes", type=int, nargs="+", default=[11, 25])
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per batch size (median taken)")
    parser.add_argument("--reference-games", type=int, default=200, help="games the reference path builds per run")
    parser.add_argument("--reference-repeats", type=int, default=3)
    args = parser.parse_args(argv)

    for grid_size in args.grid_sizes:
        reference = reference_rate(args.reference_games, grid_size, args.reference_repeats)
        print(f"grid_size {grid_size}: reference path {reference:,.0f} instances/s (one game at a time)")
        for batch in args.batches:
            rate, exact = closed_form_rate(batch, grid_size, args.repeats)
            verdict = "meets" if rate >= TARGET else "misses"
            print(
                f"  closed form, batch {batch:>6}: {rate:>12,.0f} instances/s  ({rate / reference:,.0f}× the reference;"
                f" {exact:.2%} rows exact; {verdict} {TARGET:,}/s)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
