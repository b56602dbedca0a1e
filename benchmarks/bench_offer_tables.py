"""Instances/s of the batched frontier tables beside the reference path, in one run.

The closed form (:func:`infobargain.envs.small_games.frontier_tables_2x2`) builds the tables of a whole batch of
random 2×2 games at once, the compiled path (:func:`infobargain.envs.frontier_kernels.frontier_tables_small`) those
of larger games up to 4×4 (``--shapes``, default 2x2 3x3 4x4; 2×2 by the closed form); the reference
(``bargaining_problem`` then ``FrontierOffers``) one game at a time.
Prints, per grid size, the instances/s of the median of ``--repeats`` timed calls at each batch size, by wall
and by CPU time (on a busy shared machine the wall time also counts waiting for a core), the fraction of rows
marked exact, and the reference's instances/s over ``--reference-games`` games, with the ratios. One thread:
the BLAS thread variables are pinned to 1 before numpy loads. Target (issue 13): ≥ 500,000 instances/s at
batch 4,096.

    python benchmarks/bench_offer_tables.py [--batches 1024 4096 65536] [--grid-sizes 11 25] [--shapes 2x2 3x3]
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from infobargain.envs.frontier_kernels import frontier_tables_small  # noqa: E402
from infobargain.envs.offers import FrontierOffers  # noqa: E402
from infobargain.envs.small_games import frontier_tables_2x2  # noqa: E402
from infobargain.game import Instance  # noqa: E402
from infobargain.theory.problem import bargaining_problem  # noqa: E402

TARGET = 500_000
OPTIONS = {"tie_break": "sender", "obedience_margin": 0.0, "receiver_offer": "threshold"}


def random_games(count: int, seed: int, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Priors and utilities drawn as :func:`~infobargain.game.random_instance` draws them (Dirichlet(1) prior
    floored at 1e-3, utilities uniform on [-1, 1])."""
    rng = np.random.default_rng(seed)
    prior = np.maximum(rng.dirichlet(np.ones(shape[0]), count), 1e-3)
    prior /= prior.sum(axis=1, keepdims=True)
    return prior, rng.uniform(-1.0, 1.0, (count, *shape)), rng.uniform(-1.0, 1.0, (count, *shape))


def timed(function: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeats`` calls (CPU time is what a busy shared machine distorts least)."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def closed_form(batch: int, grid_size: int, repeats: int, shape: tuple[int, int]) -> tuple[float, float, float]:
    """Instances/s of one call on ``batch`` games (wall, CPU), and the fraction of rows marked exact."""
    prior, sender, receiver = random_games(batch, seed=batch, shape=shape)
    build = frontier_tables_2x2 if shape == (2, 2) else frontier_tables_small
    _, exact = build(prior, sender, receiver, grid_size=grid_size, **OPTIONS)  # type: ignore[arg-type]
    wall, cpu = timed(
        lambda: build(prior, sender, receiver, grid_size=grid_size, **OPTIONS),  # type: ignore[arg-type]
        repeats,
    )
    return batch / wall, batch / cpu, float(exact.mean())


def reference(games: int, grid_size: int, repeats: int, shape: tuple[int, int]) -> tuple[float, float]:
    """Instances/s of the reference path, one game at a time (wall, CPU)."""
    prior, sender, receiver = random_games(games, seed=0, shape=shape)
    instances = [Instance(prior[i], sender[i], receiver[i]) for i in range(games)]

    def build_all() -> None:
        for instance in instances:
            problem = bargaining_problem(instance, OPTIONS["tie_break"], 0.0)  # type: ignore[arg-type]
            FrontierOffers(problem, instance, OPTIONS["receiver_offer"], grid_size)  # type: ignore[arg-type]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wall, cpu = timed(build_all, repeats)
    return games / wall, games / cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[1024, 4096, 65536])
    parser.add_argument("--grid-sizes", type=int, nargs="+", default=[11, 25])
    parser.add_argument("--shapes", nargs="+", default=["2x2", "3x3", "4x4"], help="game sizes SxA (up to 4x4)")
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per batch size (median taken)")
    parser.add_argument("--reference-games", type=int, default=200, help="games the reference path builds per run")
    parser.add_argument("--reference-repeats", type=int, default=3)
    args = parser.parse_args(argv)

    for shape in [(int(spelled.split("x")[0]), int(spelled.split("x")[1])) for spelled in args.shapes]:
        for grid_size in args.grid_sizes:
            reference_wall, reference_cpu = reference(args.reference_games, grid_size, args.reference_repeats, shape)
            print(
                f"{shape[0]}x{shape[1]}, grid_size {grid_size}: reference path {reference_wall:,.0f} instances/s wall,"
                f" {reference_cpu:,.0f} CPU (one game at a time)"
            )
            for batch in args.batches:
                wall, cpu, exact = closed_form(batch, grid_size, args.repeats, shape)
                verdict = "met" if min(wall, cpu) >= TARGET else "met on CPU time" if cpu >= TARGET else "missed"
                print(
                    f"  {'closed form' if shape == (2, 2) else 'compiled'}, batch {batch:>6}: {wall:>10,.0f} instances/s"
                    f" wall ({wall / reference_wall:,.0f}×), {cpu:>10,.0f} CPU ({cpu / reference_cpu:,.0f}×);"
                    f" {exact:.2%} rows exact" + (f"; 2×2 target {TARGET:,}/s {verdict}" if shape == (2, 2) else "")
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
