"""The Gymnasium single-agent views ``infobargain/Sender-v1`` and ``infobargain/Receiver-v1``."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
import pytest
from conftest import Quiet
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import infobargain
from infobargain.agents import make_policy
from infobargain.envs import ReceiverEnv, SenderEnv
from infobargain.envs.offers import ACCEPT, FIRST_OFFER

IDS = {"sender": "infobargain/Sender-v1", "receiver": "infobargain/Receiver-v1"}
SPACES = ("scheme", "grid", "frontier")


def view_kwargs(space: str) -> dict[str, Any]:
    return {"offer_space": space, "grid_size": 3 if space == "grid" else 7}


@pytest.mark.parametrize("role", ["sender", "receiver"])
@pytest.mark.parametrize("space", SPACES)
def test_gymnasium_check_env(role: str, space: str, quiet: Quiet) -> None:
    environment = gymnasium.make(IDS[role], **view_kwargs(space))
    with quiet():
        gymnasium_check_env(environment.unwrapped)


@pytest.mark.parametrize("role", ["sender", "receiver"])
@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("realization", ["expected", "sampled"])
def test_sb3_check_env(role: str, space: str, realization: str, quiet: Quiet) -> None:
    environment = gymnasium.make(IDS[role], realization=realization, **view_kwargs(space))
    with quiet():
        sb3_check_env(environment.unwrapped, warn=True)


def test_ids_are_registered_and_build_the_views() -> None:
    assert IDS["sender"] in gymnasium.registry and IDS["receiver"] in gymnasium.registry
    sender = gymnasium.make(IDS["sender"], protocol="ultimatum")
    receiver = infobargain.envs.make(IDS["receiver"], game="prosecutor")
    assert isinstance(sender.unwrapped, SenderEnv) and sender.unwrapped.role == "sender"
    assert isinstance(receiver.unwrapped, ReceiverEnv) and receiver.unwrapped.role == "receiver"
    assert sender.unwrapped.game.rules.protocol == "ultimatum"
    assert receiver.unwrapped.game.game.name == "prosecutor"


def random_episode(environment: gymnasium.Env, rng: np.random.Generator, seed: int) -> tuple[float, dict]:
    """Random legal play of the learner through one episode; checks the masks and observations on the way."""
    view = environment.unwrapped
    observation, info = environment.reset(seed=seed)
    total = 0.0
    while True:
        assert environment.observation_space.contains(observation)
        assert np.array_equal(observation, view.game.observe(view.agent)["observation"])
        assert info["acting"]  # the view only returns when the learner decides (or the episode is over)
        masks = view.action_masks()
        if isinstance(environment.action_space, gymnasium.spaces.Discrete):
            assert np.array_equal(masks, info["action_mask"].astype(bool))
            action: Any = int(rng.choice(np.flatnonzero(masks)))
        else:
            assert masks.tolist() == [True]
            action = rng.uniform(-1, 1, environment.action_space.shape)
        observation, reward, terminated, truncated, info = environment.step(action)
        total += reward
        assert info["illegal_action"] is False
        if terminated or truncated:
            assert terminated and not truncated
            return total, info


@pytest.mark.parametrize("role", ["sender", "receiver"])
@pytest.mark.parametrize("space", SPACES)
def test_action_masks_match_info_and_rewards_add_up(role: str, space: str) -> None:
    """Random legal learner against the SPE opponent: ``action_masks()`` is ``info["action_mask"]`` at every step, and
    the rewards of an episode add up to the learner's payoff in ``info["outcome"]`` (expected mode)."""
    environment = gymnasium.make(IDS[role], first_proposer="coin_flip", **view_kwargs(space))
    rng = np.random.default_rng(0)
    mine = 0 if role == "sender" else 1
    for seed in range(15):
        total, info = random_episode(environment, rng, seed)
        assert total == pytest.approx(info["outcome"]["payoffs"][mine], abs=1e-12)


@pytest.mark.parametrize("role", ["sender", "receiver"])
def test_sampled_rewards_average_to_the_payoff(role: str) -> None:
    rounds = 6
    environment = gymnasium.make(IDS[role], realization="sampled", realization_rounds=rounds, game="prosecutor")
    rng = np.random.default_rng(1)
    mine = 0 if role == "sender" else 1
    for seed in range(10):
        total, info = random_episode(environment, rng, seed)
        assert total / rounds == pytest.approx(info["outcome"]["payoffs"][mine], abs=1e-12)


def spe_learner_total(role: str, **kwargs: Any) -> float:
    environment = gymnasium.make(IDS[role], opponent="spe", **kwargs)
    view = environment.unwrapped
    learner = make_policy("spe", view.game, role)
    environment.reset(seed=0)
    total, done = 0.0, False
    while not done:
        _, reward, terminated, truncated, _ = environment.step(learner.act(view.game.observe(view.agent)))
        total += reward
        done = terminated or truncated
    return total


@pytest.mark.parametrize("first", ["sender", "receiver"])
@pytest.mark.parametrize("role", ["sender", "receiver"])
def test_spe_learner_against_spe_opponent_earns_the_spe_value(role: str, first: str) -> None:
    """docs/theory.md §5, alternating, T = 10, p = 0.1: the sender first gives (11/30, 3/10); the receiver first
    (0.438132786, 0.228533880667) (test_env_theory derives both by hand)."""
    expected = {"sender": (11 / 30, 3 / 10), "receiver": (0.438132786, 0.342800821 / 1.5)}[first]
    total = spe_learner_total(role, first_proposer=first, offer_space="scheme")
    assert total == pytest.approx(expected[0 if role == "sender" else 1], abs=1e-9)


def test_learner_reward_is_its_own() -> None:
    """Prosecutor, ultimatum, the BP sender as opponent: the receiver learner that rejects gets d_R = 0.7 (the judge
    acquits without information); the sender gets 0, which the receiver view must not report."""
    environment = gymnasium.make(IDS["receiver"], opponent="bp", game="prosecutor", protocol="ultimatum")
    _, info = environment.reset(seed=0)
    assert info["offer"]["proposer"] == "sender"
    _, reward, terminated, _, info = environment.step(1)  # REJECT
    assert terminated and reward == pytest.approx(0.7, abs=1e-12)
    assert info["outcome"]["payoffs"] == pytest.approx([0.0, 0.7], abs=1e-12)


def test_opponent_may_be_a_callable_or_a_policy() -> None:
    """A callable opponent gets the opponent's observation dict; a Policy works as well."""
    seen: list[dict[str, Any]] = []

    def always_accept(observation: dict[str, Any]) -> int:
        seen.append(observation)
        mask = observation["action_mask"]
        return ACCEPT if mask[ACCEPT] else int(np.flatnonzero(mask)[0])

    environment = gymnasium.make(IDS["sender"], opponent=always_accept, protocol="ultimatum", grid_size=11)
    environment.reset(seed=0)
    # the last of the 11 frontier points is the sender's best: the BP point
    _, reward, terminated, _, info = environment.step(FIRST_OFFER + 10)
    assert terminated and info["outcome"]["deal"]
    assert reward == pytest.approx(2 / 3, abs=1e-9)
    assert seen and set(seen[0]) == {"observation", "action_mask"}

    game_view = gymnasium.make(IDS["receiver"], protocol="ultimatum")
    policy = make_policy("bp", game_view.unwrapped.game, "sender")
    environment = gymnasium.make(IDS["receiver"], opponent=policy, protocol="ultimatum")
    _, info = environment.reset(seed=0)
    assert info["offer"]["payoffs"] == pytest.approx([2 / 3, 0.0], abs=1e-9)


def test_views_are_deterministic_under_a_seed() -> None:
    def trajectory(seed: int) -> list[Any]:
        environment = gymnasium.make(
            IDS["receiver"], opponent="random", first_proposer="coin_flip", realization="sampled", realization_rounds=3
        )
        rng = np.random.default_rng(seed)
        steps: list[Any] = []
        for episode in range(20):
            observation, info = environment.reset(seed=seed + episode)
            done = False
            while not done:
                action = int(rng.choice(np.flatnonzero(info["action_mask"])))
                observation, reward, terminated, truncated, info = environment.step(action)
                steps.append((action, observation.tolist(), reward))
                done = terminated or truncated
        return steps

    assert trajectory(3) == trajectory(3)
    assert trajectory(3) != trajectory(4)


def test_view_render_ansi() -> None:
    environment = gymnasium.make(IDS["sender"], render_mode="ansi", protocol="ultimatum")
    environment.reset(seed=0)
    environment.step(FIRST_OFFER)
    text = environment.render()
    assert isinstance(text, str) and "round 0: sender offers" in text


def test_step_after_the_end_raises() -> None:
    environment = gymnasium.make(IDS["sender"], protocol="ultimatum").unwrapped
    environment.reset(seed=0)
    *_, terminated, _, _ = environment.step(FIRST_OFFER)
    assert terminated
    with pytest.raises(RuntimeError, match="reset"):
        environment.step(FIRST_OFFER)
