"""The bare constructors, ``env()`` and ``parallel_env()`` with no options, in every MARL client, used as each
library's documentation shows (PettingZoo's classic envs work there bare too).

Each test skips only where its library is not installed: RLlib lives in its own environment (``.venv-rllib``:
``python -m pytest tests/test_bare_clients.py -m ""`` there runs the RLlib test, the others skip).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from infobargain.envs import information_bargaining_v1 as ib

PROTOCOLS = [
    {"protocol": "ultimatum"},
    {"protocol": "fixed_role", "max_rounds": 3},
    {"protocol": "alternating", "max_rounds": 3},
    {"protocol": "alternating", "first_proposer": "coin_flip", "realization": "sampled", "realization_rounds": 2},
]
"""Every protocol, both first proposers and both realization modes (small, so that the tests stay quick)."""
IDS = ["ultimatum", "fixed_role", "alternating", "coin_flip-sampled"]


@pytest.mark.slow
@pytest.mark.parametrize("parallel", [False, True], ids=["aec", "parallel"])
@pytest.mark.parametrize("kwargs", PROTOCOLS, ids=IDS)
def test_torchrl_wrapper_passes_check_env_specs_and_rolls_out(parallel: bool, kwargs: dict[str, Any]) -> None:
    pytest.importorskip("torchrl", reason="torchrl is not installed (pip install 'infobargain[train,clients]')")
    from torchrl.envs.libs.pettingzoo import PettingZooWrapper
    from torchrl.envs.utils import check_env_specs

    game = ib.parallel_env(**kwargs) if parallel else ib.env(**kwargs)
    env = PettingZooWrapper(game, use_mask=True)  # the masking idiom TorchRL documents for PettingZoo
    check_env_specs(env, seed=0)
    rollout = env.rollout(40, break_when_any_done=False)
    assert rollout.batch_size[0] == 40
    done = rollout["next", "done"].squeeze(-1)
    assert bool(done.any())  # episodes end (and the env resets) within 40 steps
    sender = next(group for group, agents in env.group_map.items() if "sender_0" in agents)
    infos = rollout["next", sender, "info"]
    assert float(infos["bargaining_over"].max()) == 1.0  # the numeric infos reach TorchRL's tensors


@pytest.mark.slow
@pytest.mark.parametrize("kwargs", PROTOCOLS, ids=IDS)
def test_tianshou_collector_collects_on_every_protocol(kwargs: dict[str, Any]) -> None:
    pytest.importorskip("tianshou", reason="tianshou is not installed (pip install 'infobargain[train,clients]')")
    from tianshou.algorithm import MARLRandomDiscreteMaskedOffPolicyAlgorithm
    from tianshou.algorithm.multiagent.marl import MultiAgentOffPolicyAlgorithm
    from tianshou.data import Collector, VectorReplayBuffer
    from tianshou.env import DummyVectorEnv, PettingZooEnv

    def make() -> PettingZooEnv:
        return PettingZooEnv(ib.env(**kwargs))

    env = make()
    players = [MARLRandomDiscreteMaskedOffPolicyAlgorithm(env.action_space) for _ in env.agents]
    algorithm = MultiAgentOffPolicyAlgorithm(algorithms=players, env=env)
    envs = DummyVectorEnv([make for _ in range(2)])
    collector = Collector(algorithm.policy, envs, VectorReplayBuffer(1000, len(envs)), exploration_noise=False)
    collector.reset()
    for seed in range(3):
        stats = collector.collect(n_episode=12, reset_before_collect=True)
        assert stats.n_collected_episodes >= 12, seed
        assert stats.n_collected_steps >= 2 * stats.n_collected_episodes  # at least an offer and an answer


@pytest.mark.slow
def test_rllib_env_pre_check_passes_on_every_build() -> None:
    # RLlib's pre-check steps with unmasked samples of the action space: the bare env() ends such an episode
    # (no deal) instead of raising, as PettingZoo's classic envs do.
    pytest.importorskip("ray.rllib", reason="RLlib is not installed (pip install 'infobargain[rllib]')")
    from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv, PettingZooEnv
    from ray.rllib.utils.pre_checks.env import check_multiagent_environments

    builds = 0
    for index in range(20):
        kwargs = PROTOCOLS[index % len(PROTOCOLS)]
        check_multiagent_environments(PettingZooEnv(ib.env(**kwargs)))
        check_multiagent_environments(ParallelPettingZooEnv(ib.parallel_env(**kwargs)))
        builds += 2
    assert builds == 40


@pytest.mark.slow
@pytest.mark.parametrize("kwargs", PROTOCOLS, ids=IDS)
def test_supersuit_vector_env_steps_unmasked_samples(kwargs: dict[str, Any]) -> None:
    ss = pytest.importorskip(
        "supersuit", reason="supersuit is not installed (pip install 'infobargain[train,clients]')"
    )
    env = ss.pettingzoo_env_to_vec_env_v1(ib.parallel_env(**kwargs))
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    ended = 0
    for _ in range(200):  # unmasked uniform actions, as plain PPO sends
        actions = rng.integers(env.action_space.n, size=env.num_envs)
        _, rewards, terminations, truncations, infos = env.step(actions)
        assert np.all(np.isfinite(rewards)) and len(infos) == env.num_envs
        ended += int(np.all(terminations | truncations))
    assert ended > 0
    env.close()
