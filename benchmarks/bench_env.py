"""Speed of the information-bargaining environment under random legal play, against reference games.

Measures decisions per second (steps taken by an agent that has something to decide or pass, i.e. every
non-dead AEC step) and games per second for:

- ``information_bargaining_v1.env()`` (PettingZoo's order-enforcing and bounds-checking wrappers) and ``raw_env``,
  in the default configuration (frontier offers, expected mode) and with the continuous ``"scheme"`` offer space
  (target: at least 0.8x OpenSpiel), plus that space with its offers decoded in advance (what bounds it) and the
  CPU time of decoding one offer (a sender's, and a receiver's threshold demand);
- OpenSpiel's ``bargaining`` game (C++, ``pyspiel.load_game("bargaining")``), if ``open_spiel`` is installed;
- PettingZoo's ``tictactoe_v3``, if it can be imported (it needs ``pygame``).

Every loop is the loop an RL user writes: read the observation (``env.last()``), pick a uniformly random legal
action (seeded), step. Each measurement is repeated and the median reported; ratios are taken within the same run.

Usage::

    .venv/bin/python benchmarks/bench_env.py                 # 5 repetitions of 20,000 decisions each
    .venv/bin/python benchmarks/bench_env.py --quick         # a fast smoke run
    .venv/bin/python benchmarks/bench_env.py --profile       # also profile env() (default config) with cProfile
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import pstats
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from infobargain.envs import information_bargaining_v1 as ib

SEED = 0
SCHEME_TARGET = 0.8  # issue 14: the continuous offer space, relative to OpenSpiel's bargaining


@dataclass
class Run:
    decisions: int
    games: int
    seconds: float


@dataclass
class Result:
    name: str
    decisions_per_second: float
    games_per_second: float
    decisions_per_game: float


def play_pettingzoo(make: Callable[[], Any], decisions: int, seed: int) -> Run:
    """Random legal play of an AEC env until ``decisions`` decisions, finishing the last game."""
    environment = make()
    environment.reset(seed=seed)
    choose = random.Random(seed).choice
    box = np.random.default_rng(seed)
    done = games = 0
    start = time.process_time()
    while done < decisions:
        for agent in environment.agent_iter():
            observation, _, terminated, truncated, _ = environment.last()
            if terminated or truncated:
                environment.step(None)
                continue
            mask = observation.get("action_mask") if isinstance(observation, dict) else None
            if mask is not None:
                action: Any = choose(np.flatnonzero(mask))
            else:
                space = environment.action_space(agent)
                action = box.uniform(space.low, space.high)
            environment.step(action)
            done += 1
        games += 1
        environment.reset()
    return Run(done, games, time.process_time() - start)


def play_openspiel(decisions: int, seed: int, observe: bool) -> Run:
    import pyspiel  # type: ignore[import-not-found]

    game = pyspiel.load_game("bargaining")
    rng = random.Random(seed)
    done = games = 0
    start = time.process_time()
    while done < decisions:
        state = game.new_initial_state()
        while not state.is_terminal():
            if state.is_chance_node():
                outcomes, probabilities = zip(*state.chance_outcomes(), strict=True)
                state.apply_action(rng.choices(outcomes, probabilities)[0])
                continue
            if observe:
                state.observation_tensor(state.current_player())
            state.apply_action(rng.choice(state.legal_actions()))
            done += 1
        games += 1
    return Run(done, games, time.process_time() - start)


def median_result(name: str, runs: list[Run]) -> Result:
    return Result(
        name,
        statistics.median(run.decisions / run.seconds for run in runs),
        statistics.median(run.games / run.seconds for run in runs),
        sum(run.decisions for run in runs) / sum(run.games for run in runs),
    )


def measure_all(benchmarks: dict[str, Callable[[int], Run]], repeats: int) -> list[Result]:
    """Warm every benchmark up once, then run the repetitions round-robin so that a change in machine load during
    the run affects every environment alike; report the median of each."""
    for once in benchmarks.values():
        once(SEED)
    runs: dict[str, list[Run]] = {name: [] for name in benchmarks}
    for repeat in range(repeats):
        for name, once in benchmarks.items():
            runs[name].append(once(SEED + repeat))
    return [median_result(name, measured) for name, measured in runs.items()]


def available(name: str, probe: Callable[[], object]) -> bool:
    try:
        probe()
    except Exception as error:  # ImportError, or a missing optional dependency of the game
        print(f"note: skipping {name} ({type(error).__name__}: {error}); install it to compare", flush=True)
        return False
    return True


def profile_env(decisions: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    play_pettingzoo(ib.env, decisions, SEED)
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(20)
    return stream.getvalue()


PREDECODED = "infobargain env() [scheme, no decoding]"


def predecoded_scheme_env() -> Any:
    """``env(offer_space="scheme")`` whose every offer is one decoded in advance: the same episodes' lengths and
    env work without decoding actions into offers, i.e. the most that faster decoding can give."""
    environment = ib.env(offer_space="scheme")
    encoding = environment.unwrapped.encoding
    action = encoding.encode(np.full((encoding.instance.n_states, encoding.instance.signals), 0.5))
    offers = {role: encoding.decode(action, role) for role in ("sender", "receiver")}
    encoding.decode = lambda action, proposer: offers[proposer]
    return environment


def decode_microseconds(proposer: str, decodes: int, seed: int) -> float:
    """CPU time of decoding one random ``"scheme"`` offer of ``proposer`` (the default game; a receiver's offer is a
    threshold demand), in microseconds."""
    encoding = ib.raw_env(offer_space="scheme").encoding
    actions = np.random.default_rng(seed).uniform(-1.0, 1.0, (256, encoding.action_space().shape[0]))
    start = time.process_time()
    for index in range(decodes):
        encoding.decode(actions[index % len(actions)], proposer)
    return (time.process_time() - start) / decodes * 1e6


def tictactoe_module() -> Any:
    with warnings.catch_warnings():  # PettingZoo 1.27 warns about its module-level constructors
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module("pettingzoo.classic.tictactoe_v3")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=20_000, help="decisions per repetition (infobargain)")
    parser.add_argument("--repeats", type=int, default=5, help="repetitions; the median is reported")
    parser.add_argument("--quick", action="store_true", help="2 repetitions of 2,000 decisions")
    parser.add_argument("--profile", action="store_true", help="profile env() in the default configuration")
    args = parser.parse_args(argv)
    decisions, repeats = (2_000, 2) if args.quick else (args.decisions, args.repeats)
    reference_decisions = 2 * decisions  # the reference games are faster: measure them for about as long

    print(
        f"random legal play, median of {repeats} runs; {decisions} decisions per run "
        f"({reference_decisions} for the reference games); rates use this process's CPU time; "
        f"Python {sys.version.split()[0]}",
        flush=True,
    )
    benchmarks: dict[str, Callable[[int], Run]] = {}
    configs: dict[str, dict[str, Any]] = {"default": {}, "scheme": {"offer_space": "scheme"}}
    for label, kwargs in configs.items():
        for form in ("env", "raw_env"):
            factory = getattr(ib, form)
            benchmarks[f"infobargain {form}() [{label}]"] = lambda seed, f=factory, k=kwargs: play_pettingzoo(
                lambda: f(**k), decisions, seed
            )
    benchmarks[PREDECODED] = lambda seed: play_pettingzoo(predecoded_scheme_env, decisions, seed)
    openspiel_name = "OpenSpiel bargaining (C++)"
    if available("OpenSpiel bargaining", lambda: __import__("pyspiel")):
        benchmarks[openspiel_name] = lambda seed: play_openspiel(reference_decisions, seed, observe=False)
        benchmarks["OpenSpiel bargaining + observation_tensor"] = lambda seed: play_openspiel(
            reference_decisions, seed, observe=True
        )
    if available("PettingZoo tictactoe_v3", lambda: tictactoe_module()):
        tictactoe_v3 = tictactoe_module()
        benchmarks["PettingZoo tictactoe_v3 env()"] = lambda seed: play_pettingzoo(
            tictactoe_v3.env, reference_decisions, seed
        )
    results = measure_all(benchmarks, repeats)
    openspiel = next((result for result in results if result.name == openspiel_name), None)

    print()
    header = f"{'environment':45s} {'decisions/s':>12s} {'games/s':>10s} {'dec/game':>9s}"
    reference = openspiel.decisions_per_second if openspiel else None
    if reference:
        header += f" {'vs OpenSpiel':>13s}"
    print(header)
    print("-" * len(header))
    for result in results:
        line = (
            f"{result.name:45s} {result.decisions_per_second:12,.0f} {result.games_per_second:10,.0f} "
            f"{result.decisions_per_game:9.2f}"
        )
        if reference:
            line += f" {result.decisions_per_second / reference:12.2f}x"
        print(line)
    if reference:
        wrapped = results[0].decisions_per_second
        verdict = "meets" if wrapped >= reference else "misses"
        print(
            f"\nenv() [default] {verdict} the target (at least OpenSpiel's C++ bargaining in decisions/s): "
            f"{wrapped:,.0f} vs {reference:,.0f} decisions/s"
        )
        scheme = next(result for result in results if result.name == "infobargain env() [scheme]")
        ratio = scheme.decisions_per_second / reference
        print(
            f"env() [scheme] {'meets' if ratio >= SCHEME_TARGET else 'misses'} the target (at least "
            f"{SCHEME_TARGET}x OpenSpiel's C++ bargaining): {ratio:.2f}x; without decoding offers it would be "
            f"{next(r for r in results if r.name == PREDECODED).decisions_per_second / reference:.2f}x"
        )
    decode = {
        proposer: statistics.median(
            decode_microseconds(proposer, decisions, SEED + repeat) for repeat in range(repeats)
        )
        for proposer in ("sender", "receiver")
    }
    print(
        f"decoding one 'scheme' offer (median of {repeats} runs of {decisions}): sender {decode['sender']:.2f} µs, "
        f"receiver (threshold demand) {decode['receiver']:.2f} µs"
    )

    if args.profile:
        print("\ncProfile of env() [default], top functions by own time:")
        print(profile_env(decisions))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
