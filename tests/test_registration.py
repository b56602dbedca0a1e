"""``import infobargain`` registers its ids with Gymnasium and PettingZoo."""

from __future__ import annotations

import gymnasium
import pettingzoo
import pytest
from pettingzoo import AECEnv, ParallelEnv

import infobargain  # noqa: F401  (registers the ids)
from infobargain.envs import PETTINGZOO_ID, RECEIVER_ID, SENDER_ID, make


def test_gymnasium_ids_are_registered() -> None:
    for env_id in (SENDER_ID, RECEIVER_ID):
        assert env_id in gymnasium.registry
        env = gymnasium.make(env_id, protocol="ultimatum")
        observation, _ = env.reset(seed=0)
        assert env.observation_space.contains(observation)


@pytest.mark.skipif(not hasattr(pettingzoo, "make"), reason="PettingZoo < 1.27 has no registry")
def test_pettingzoo_registry_builds_both_forms() -> None:
    aec = pettingzoo.make("aec", PETTINGZOO_ID, protocol="ultimatum")
    aec.reset(seed=0)
    assert isinstance(aec.unwrapped, AECEnv) and aec.agents == ["sender_0", "receiver_0"]
    parallel = pettingzoo.make("parallel", PETTINGZOO_ID)
    observations, _ = parallel.reset(seed=0)
    assert isinstance(parallel, ParallelEnv) and set(observations) == {"sender_0", "receiver_0"}


def test_make_resolves_every_id() -> None:
    assert isinstance(make(PETTINGZOO_ID).unwrapped, AECEnv)
    assert isinstance(make(PETTINGZOO_ID, parallel=True), ParallelEnv)
    assert make(SENDER_ID).unwrapped.role == "sender"
    with pytest.raises(ValueError, match="unknown"):
        make("infobargain/Nothing-v0")
