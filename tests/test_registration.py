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


@pytest.mark.parametrize(
    "alias", ["infobargain/InformationBargaining-v0", "infobargain/Sender-v0", "infobargain/Receiver-v0"]
)
def test_v0_ids_build_the_v1_environments(alias: str) -> None:
    current = alias.replace("-v0", "-v1")
    built, expected = make(alias, protocol="ultimatum"), make(current, protocol="ultimatum")
    assert type(built.unwrapped) is type(expected.unwrapped)
    if alias in gymnasium.registry:
        assert gymnasium.make(alias, protocol="ultimatum").unwrapped.role == expected.unwrapped.role
    if hasattr(pettingzoo, "make") and "Bargaining" in alias:
        assert isinstance(pettingzoo.make("aec", alias).unwrapped, AECEnv)


def test_v0_module_is_the_v1_module() -> None:
    from infobargain.envs import information_bargaining_v0, information_bargaining_v1

    assert information_bargaining_v0.raw_env is information_bargaining_v1.raw_env
