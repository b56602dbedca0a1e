"""Decisions per second of a random masked rollout through each MARL library's wrapper, beside raw ``env()``.

A decision is one move of the acting agent (one AEC step; one Parallel step, where the waiting agent passes).
Each client plays uniformly random legal actions through its own documented PettingZoo path, with the env
options its example under ``examples/clients/`` uses (default game: the env's defaults):

- ``env()`` and ``parallel_env()`` (PettingZoo's own loop; the baseline; both bare, as every client below
  uses them except where noted), ``env(observation_format="rllib")`` (RLlib's masking module's keys) and
  ``env(info_format="full", illegal_action="raise")`` (``raw_env``'s conventions, no conventions wrapper);
- Tianshou: ``PettingZooEnv`` + ``Collector`` with masked random policies (``MultiAgentOffPolicyAlgorithm``);
- RLlib: ``PettingZooEnv`` and ``ParallelPettingZooEnv`` stepped directly (the wrapper alone), and RLlib's
  own sampling through them: the local env runner of ``examples/clients/rllib_ppo_masked.py``'s PPO (one
  env, RLlib's masking module choosing the actions);
- TorchRL: ``PettingZooWrapper`` (AEC with ``use_mask=True``, and Parallel) ``rollout`` with spec-masked
  random actions;
- SB3: ``PerAgentVecEnv`` (8 games) and SuperSuit's vector env of the Parallel env (8 games);
- OpenSpiel: ``python_infobargain`` states, random legal actions and chance outcomes.

One run per client (the machine may be shared: quote ratios from one run). Clients whose library is not
installed are listed as skipped. Usage::

    .venv/bin/python benchmarks/bench_clients.py                # 5,000 decisions per client
    .venv/bin/python benchmarks/bench_clients.py --decisions 500
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from infobargain.envs import information_bargaining_v1 as ib
from infobargain.envs.conventions import STRICT

SEED = 0
RLLIB = {"observation_format": "rllib"}


def aec_loop(make: Callable[[], Any], decisions: int) -> int:
    """PettingZoo's own loop on an AEC env: random legal actions until ``decisions``, finishing the game."""
    env, rng, done = make(), np.random.default_rng(SEED), 0
    episode = 0
    while done < decisions:
        env.reset(seed=SEED + episode)
        episode += 1
        for agent in env.agent_iter():
            _, _, termination, truncation, _ = env.last()
            if termination or truncation:
                env.step(None)
                continue
            env.step(int(rng.choice(np.flatnonzero(env.unwrapped.action_mask(agent)))))
            done += 1
    return done


def parallel_loop(make: Callable[[], Any], decisions: int) -> int:
    env, rng, done, episode = make(), np.random.default_rng(SEED), 0, 0
    while done < decisions:
        env.reset(seed=SEED + episode)
        episode += 1
        while env.agents:
            game = env.unwrapped
            env.step({a: int(rng.choice(np.flatnonzero(game.action_mask(a)))) for a in env.agents})
            done += 1
    return done


def tianshou_collector(decisions: int) -> int:
    from tianshou.algorithm import MARLRandomDiscreteMaskedOffPolicyAlgorithm
    from tianshou.algorithm.multiagent.marl import MultiAgentOffPolicyAlgorithm
    from tianshou.data import Collector, VectorReplayBuffer
    from tianshou.env import DummyVectorEnv, PettingZooEnv

    def make() -> PettingZooEnv:
        return PettingZooEnv(ib.env())

    env = make()
    players = [MARLRandomDiscreteMaskedOffPolicyAlgorithm(env.action_space) for _ in env.agents]
    algorithm = MultiAgentOffPolicyAlgorithm(algorithms=players, env=env)
    envs = DummyVectorEnv([make])
    collector = Collector(algorithm.policy, envs, VectorReplayBuffer(decisions + 100, 1))
    collector.reset()
    return int(collector.collect(n_step=decisions, reset_before_collect=True).n_collected_steps)


def rllib_wrapper(decisions: int, parallel: bool) -> int:
    from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv, PettingZooEnv

    rng, done = np.random.default_rng(SEED), 0
    if parallel:
        env: Any = ParallelPettingZooEnv(ib.parallel_env(**RLLIB))
    else:
        env = PettingZooEnv(ib.env(**RLLIB))
    while done < decisions:
        observations, _ = env.reset(seed=SEED + done)
        finished = False
        while not finished:
            actions = {
                agent: int(rng.choice(np.flatnonzero(observation["action_mask"])))
                for agent, observation in observations.items()
            }
            observations, _, terminations, truncations, _ = env.step(actions)
            finished = terminations["__all__"] or truncations["__all__"]
            done += 1
    return done


_ALGORITHMS: dict[bool, Any] = {}


def rllib_env_runner(decisions: int, parallel: bool) -> int:
    """Env steps (decisions) sampled by the local env runner of the RLlib example's PPO."""
    if parallel not in _ALGORITHMS:
        import ray

        path = Path(__file__).resolve().parents[1] / "examples" / "clients" / "rllib_ppo_masked.py"
        spec = importlib.util.spec_from_file_location("rllib_ppo_masked", path)
        assert spec is not None and spec.loader is not None
        example = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(example)
        if not ray.is_initialized():
            ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        _ALGORITHMS[parallel] = example.build_config(parallel).build_algo()
    runner, done = _ALGORITHMS[parallel].env_runner, 0
    while done < decisions:
        done += sum(episode.env_steps() for episode in runner.sample(num_timesteps=min(decisions, 500)))
    return done


def torchrl_rollout(decisions: int, parallel: bool) -> int:
    from torchrl.envs.libs.pettingzoo import PettingZooWrapper

    game = ib.parallel_env() if parallel else ib.env()
    env = PettingZooWrapper(game, use_mask=True, seed=SEED)
    return int(env.rollout(decisions, break_when_any_done=False).shape[0])


def sb3_per_agent(decisions: int) -> int:
    from infobargain.envs.sb3_vec_env import PerAgentVecEnv

    env, rng = PerAgentVecEnv(n_games=8, seed=SEED), np.random.default_rng(SEED)
    env.reset()
    done = 0
    while done < decisions:
        masks = env.action_masks()
        env.step(np.array([rng.choice(np.flatnonzero(mask)) for mask in masks]))
        done += len(env.games)
    return done


def supersuit_vec(decisions: int) -> int:
    import supersuit as ss

    env = ss.pettingzoo_env_to_vec_env_v1(ib.parallel_env(observation_format="box"))  # Box for SB3's MlpPolicy
    env = ss.concat_vec_envs_v1(env, 8, num_cpus=0, base_class="stable_baselines3")
    games = [venv.par_env for venv in env.venv.vec_envs]
    env.reset()
    rng, done = np.random.default_rng(SEED), 0
    while done < decisions:
        actions = [
            int(rng.choice(np.flatnonzero(game.unwrapped.action_mask(agent))))
            for game in games
            for agent in game.possible_agents
        ]
        env.step(np.array(actions))
        done += len(games)
    return done


def openspiel_states(decisions: int) -> int:
    import pyspiel

    import infobargain.envs.openspiel_game  # noqa: F401  (registers the game)

    game = pyspiel.load_game("python_infobargain")
    rng, done = np.random.default_rng(SEED), 0
    while done < decisions:
        state = game.new_initial_state()
        while not state.is_terminal():
            if state.is_chance_node():
                outcomes, probabilities = zip(*state.chance_outcomes(), strict=True)
                state.apply_action(int(rng.choice(outcomes, p=probabilities)))
            else:
                state.apply_action(int(rng.choice(state.legal_actions())))
                done += 1
    return done


CLIENTS: list[tuple[str, str | None, Callable[[int], int]]] = [
    ("env() (baseline)", None, lambda n: aec_loop(ib.env, n)),
    ("parallel_env()", None, lambda n: parallel_loop(ib.parallel_env, n)),
    ("env(observation_format='rllib')", None, lambda n: aec_loop(lambda: ib.env(**RLLIB), n)),
    ("env(info_format='full', illegal_action='raise')", None, lambda n: aec_loop(lambda: ib.env(**STRICT), n)),
    ("Tianshou PettingZooEnv + Collector", "tianshou", tianshou_collector),
    ("RLlib PettingZooEnv (wrapper)", "ray", lambda n: rllib_wrapper(n, parallel=False)),
    ("RLlib ParallelPettingZooEnv (wrapper)", "ray", lambda n: rllib_wrapper(n, parallel=True)),
    ("RLlib env runner, PettingZooEnv", "ray", lambda n: rllib_env_runner(n, parallel=False)),
    ("RLlib env runner, ParallelPettingZooEnv", "ray", lambda n: rllib_env_runner(n, parallel=True)),
    ("TorchRL PettingZooWrapper, AEC", "torchrl", lambda n: torchrl_rollout(n, parallel=False)),
    ("TorchRL PettingZooWrapper, Parallel", "torchrl", lambda n: torchrl_rollout(n, parallel=True)),
    ("SB3 PerAgentVecEnv (8 games)", "stable_baselines3", sb3_per_agent),
    ("SuperSuit vec env (8 games)", "supersuit", supersuit_vec),
    ("OpenSpiel python_infobargain", "pyspiel", openspiel_states),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decisions", type=int, default=5000, help="decisions per client (default 5000)")
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    print(f"{'client':48s} {'decisions/s':>12s} {'vs env()':>9s}")
    baseline = None
    for name, library, run in CLIENTS:
        if library is not None and importlib.util.find_spec(library) is None:
            print(f"{name:48s} {'skipped':>12s}  ({library} not installed)")
            continue
        run(min(args.decisions, 200))  # warm-up: imports and first-call costs
        start = time.perf_counter()
        decisions = run(args.decisions)
        rate = decisions / (time.perf_counter() - start)
        baseline = baseline or rate
        print(f"{name:48s} {rate:12,.0f} {rate / baseline:9.2f}")


if __name__ == "__main__":
    main()
