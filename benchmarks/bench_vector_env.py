"""Throughput of the batched env beside the AEC env and OpenSpiel's bargaining game, in one run.

Prints decisions/s and games/s under random legal play: the vector env at B = 1, 1024 and 65536 games on the
paper's instance, the same with a fresh random instance in every episode (``--fresh``, default ``random:2x2``,
``random:3x3`` and ``random:4x4``: each game draws a new instance, with its bargaining problem and offers, at every
reset, 2×2 by the closed form, larger by the compiled path; from 8192 games on they are built ahead on a worker
thread, ``--build-in-caller`` builds them in the stepping thread; the rows left to the reference path are
counted), the AEC ``raw_env`` one
game at a time, and (if ``open_spiel`` is installed) OpenSpiel's C++ ``bargaining`` game through pyspiel. Medians over
``--repeats`` timed runs; ratios are against OpenSpiel.

    python benchmarks/bench_vector_env.py [--seconds 2] [--repeats 5] [--offer-space frontier]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import numpy as np

from infobargain.envs import information_bargaining_v1
from infobargain.envs import vector as vector_module
from infobargain.envs.vector import VectorBargainingEnv
from infobargain.game.config import ENV_DEFAULTS

Measure = Callable[[float], tuple[int, int, float]]


FALLBACKS: dict[str, VectorBargainingEnv] = {}
"""The fresh-instance envs, by contender, whose fallback rows are reported."""


def vector_env(batch: int, env_kwargs: dict[str, object]) -> Measure:
    envs = VectorBargainingEnv(batch, autoreset=True, seed=0, **env_kwargs)
    if envs.distribution is not None:
        FALLBACKS[f"{env_kwargs['game']}, B={batch}"] = envs
    rng = np.random.default_rng(0)

    def run(seconds: float) -> tuple[int, int, float]:
        decisions = games = 0
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            if envs.discrete:
                masks = envs.action_masks()
                actions = (rng.random(masks.shape, dtype=np.float32) * masks).argmax(axis=1)  # uniform over legal
            else:
                actions = rng.uniform(-1.0, 1.0, (batch, envs.n_actions))
            result = envs.step(actions)
            decisions += batch
            games += int(result.done.sum())
        return decisions, games, elapsed

    return run


def aec_env(env_kwargs: dict[str, object]) -> Measure:
    env = information_bargaining_v1.raw_env(**env_kwargs)
    rng = np.random.default_rng(0)
    chooser = random.Random(0)  # the same chooser as for OpenSpiel below
    space = env.action_space("sender_0")

    def run(seconds: float) -> tuple[int, int, float]:
        decisions = games = 0
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            env.reset(seed=games)
            for _agent in env.agent_iter():
                observation, _, terminated, truncated, _ = env.last()
                if terminated or truncated:
                    env.step(None)
                    continue
                mask = observation.get("action_mask")
                if mask is not None:
                    action = chooser.choice(np.flatnonzero(mask).tolist())
                else:
                    action = rng.uniform(-1.0, 1.0, space.shape)
                env.step(action)
                decisions += 1
            games += 1
        return decisions, games, elapsed

    return run


def openspiel_bargaining() -> Measure | None:
    try:
        import pyspiel
    except ImportError:
        return None
    game = pyspiel.load_game("bargaining")
    chooser = random.Random(0)

    def run(seconds: float) -> tuple[int, int, float]:
        decisions = games = 0
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            state = game.new_initial_state()
            while not state.is_terminal():
                if state.is_chance_node():
                    outcomes, probabilities = zip(*state.chance_outcomes(), strict=True)
                    state.apply_action(chooser.choices(outcomes, probabilities)[0])
                else:
                    state.apply_action(chooser.choice(state.legal_actions()))
                    decisions += 1
            games += 1
        return decisions, games, elapsed

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one timed run")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--offer-space", default="frontier", choices=("frontier", "grid", "scheme"))
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 1024, 65536])
    parser.add_argument(
        "--fresh", nargs="*", default=["random:2x2", "random:3x3", "random:4x4"], help="distributions of fresh games"
    )
    parser.add_argument(
        "--build-in-caller",
        action="store_true",
        help="build fresh instances in the stepping thread (no worker thread; the same instances)",
    )
    args = parser.parse_args()
    if args.build_in_caller:
        vector_module.AHEAD = 2**62
    env_kwargs: dict[str, object] = {
        "game": "pure_math",
        "offer_space": args.offer_space,
        "grid_size": ENV_DEFAULTS.grid_size,
    }
    contenders: dict[str, Measure] = {f"vector env, B={b}": vector_env(b, env_kwargs) for b in args.batches}
    if args.offer_space != "scheme":  # the vector env plays distributions with discrete offers
        for game in args.fresh:
            fresh = {**env_kwargs, "game": game}
            contenders.update({f"{game}, B={b}": vector_env(b, fresh) for b in args.batches if b > 1})
    contenders["AEC raw_env"] = aec_env(env_kwargs)
    spiel = openspiel_bargaining()
    if spiel is not None:
        contenders["OpenSpiel bargaining (C++)"] = spiel
    results: dict[str, tuple[float, float]] = {}
    for name, measure in contenders.items():
        measure(min(0.3, args.seconds))  # warm up
        runs = [measure(args.seconds) for _ in range(args.repeats)]
        results[name] = (
            statistics.median(d / t for d, _, t in runs),
            statistics.median(g / t for _, g, t in runs),
        )
    reference = results.get("OpenSpiel bargaining (C++)", (float("nan"), float("nan")))[0]
    print(f"pure_math, alternating offers (10 rounds), offer_space={args.offer_space}, random legal play")
    print(f"median of {args.repeats} runs of {args.seconds:g} s each\n")
    print(f"{'contender':<30}{'decisions/s':>16}{'games/s':>14}{'× OpenSpiel':>14}")
    for name, (decisions, games) in results.items():
        print(f"{name:<30}{decisions:>16,.0f}{games:>14,.0f}{decisions / reference:>14.2f}")
    for name, envs in FALLBACKS.items():
        share = envs.fallback_rows / max(envs.fresh_rows, 1)
        print(
            f"{name}: {envs.fresh_rows:,} fresh instances, {envs.fallback_rows:,} on the reference path ({share:.4%})"
        )
        envs.close()
    if spiel is None:
        print("\nOpenSpiel is not installed (pip install open-spiel): no reference row.")


if __name__ == "__main__":
    main()
