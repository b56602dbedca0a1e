"""Non-conforming actions and env lifetime.

Every action the game cannot play raises the env's own ``ValueError`` (``ActionError``) naming the agent, never a
raw numpy, ``TypeError`` or ``OverflowError``; the Gymnasium views treat an unplayable Discrete action as walking
away, but a malformed one (a legal offer wrapped in a 1-element array) raises instead of ending the game silently.
Envs are garbage-collected once dropped (their spaces are not cached on a global).
"""

from __future__ import annotations

import functools
import gc
import weakref
from typing import Any

import gymnasium
import numpy as np
import pytest

import infobargain  # noqa: F401  (registers the Gymnasium views)
from infobargain.envs import information_bargaining_v1 as ib
from infobargain.envs.conventions import STRICT
from infobargain.envs.information_bargaining_v1 import ActionError
from infobargain.envs.offers import ACCEPT, FIRST_OFFER


def label(action: Any) -> str:
    """A test id that is the same in every process (no memory addresses)."""
    if isinstance(action, np.ndarray):
        return f"array{list(action.shape)}-{action.dtype.kind}"
    return type(action).__name__ if type(action) is object else repr(action)


NON_CONFORMING_DISCRETE: list[Any] = [
    float("inf"),
    float("-inf"),
    float("nan"),
    None,
    2**70,
    -(2**70),
    np.array([FIRST_OFFER]),  # a legal offer wrapped in a 1-element array
    np.array([[FIRST_OFFER]]),
    np.array(["2"]),
    "2",
    True,
    [FIRST_OFFER],
    object(),
]
NON_CONFORMING_BOX: list[Any] = [
    None,
    float("nan"),
    2**70,
    np.full(4, 0.5),  # wrong shape
    np.full((1, 5), 0.5),
    np.array([np.nan, 0, 0, 0, 0]),
    np.array([np.inf, 0, 0, 0, 0]),
    np.array([2.0**70, 0, 0, 0, 0]),
    [0.0, 0.0, "x", 0.0, 0.0],
]


@pytest.mark.parametrize("form", [ib.raw_env, functools.partial(ib.env, **STRICT)], ids=["raw_env", "env"])
@pytest.mark.parametrize("action", NON_CONFORMING_DISCRETE, ids=label)
def test_discrete_non_conforming_actions_raise_the_envs_error(form: Any, action: Any) -> None:
    environment = form()
    environment.reset(seed=0)
    with pytest.raises(ActionError, match="action: sender_0 sent"):
        environment.step(action)
    environment.step(FIRST_OFFER)  # the env is still usable
    assert environment.unwrapped.view.pending is not None


@pytest.mark.parametrize("form", [ib.raw_env, ib.env], ids=["raw_env", "env"])
@pytest.mark.parametrize("action", NON_CONFORMING_BOX, ids=label)
def test_box_non_conforming_actions_raise_the_envs_error(form: Any, action: Any) -> None:
    environment = form(offer_space="scheme")
    environment.reset(seed=0)
    with pytest.raises(ActionError, match="action: sender_0 sent"):
        environment.step(action)


@pytest.mark.parametrize("action", NON_CONFORMING_DISCRETE[:6], ids=label)
def test_parallel_env_raises_the_envs_error(action: Any) -> None:
    environment = ib.parallel_env(**STRICT)
    environment.reset(seed=0)
    with pytest.raises(ActionError):
        environment.step({"sender_0": action, "receiver_0": ACCEPT})


@pytest.mark.parametrize("action", [np.int64(FIRST_OFFER), np.array(FIRST_OFFER), float(FIRST_OFFER)], ids=label)
def test_integer_like_scalars_are_played(action: Any) -> None:
    environment = ib.raw_env()
    environment.reset(seed=0)
    environment.step(action)
    assert environment.view.pending is not None and environment.view.pending.index == 0


@pytest.mark.parametrize("action", [float("inf"), float("nan"), None, 2**70, -1, 99], ids=label)
def test_views_walk_away_on_unplayable_discrete_actions(action: Any) -> None:
    view = gymnasium.make("infobargain/Sender-v1", opponent="spe", disable_env_checker=True)
    view.reset(seed=0)
    _, reward, terminated, _, info = view.step(action)
    assert terminated and info["illegal_action"] and not info["outcome"]["deal"]
    assert reward == pytest.approx(info["outcome"]["payoffs"][0])


@pytest.mark.parametrize("illegal_action", ["disagree", "raise"])
def test_views_raise_on_a_legal_offer_in_a_one_element_array(illegal_action: str) -> None:
    view = gymnasium.make("infobargain/Sender-v1", illegal_action=illegal_action, disable_env_checker=True)
    view.reset(seed=0)
    with pytest.raises(ActionError, match=r"array of shape \(1,\)"):
        view.step(np.array([FIRST_OFFER]))
    _, _, _, _, info = view.step(FIRST_OFFER)  # nothing was played: the same offer as a scalar goes through
    assert not info["illegal_action"]


def test_views_raise_on_unplayable_actions_in_raise_mode() -> None:
    view = gymnasium.make("infobargain/Sender-v1", illegal_action="raise", disable_env_checker=True)
    view.reset(seed=0)
    for action in (float("nan"), None, 2**70):
        with pytest.raises(ActionError):
            view.step(action)


@pytest.mark.parametrize("game, count", [("split_pie", 1000), ("pure_math", 40)])
def test_dropped_envs_are_collected(game: str, count: int) -> None:
    """Build and drop envs (spaces, views and players used): none stays alive."""
    alive = []
    for seed in range(count):
        environment = ib.env(game=game)
        environment.reset(seed=seed)
        environment.observation_space("sender_0")
        environment.action_space("receiver_0")
        _ = environment.unwrapped.view.state
        alive.append(weakref.ref(environment.unwrapped))
        del environment
    gc.collect()
    assert sum(ref() is not None for ref in alive) == 0


def test_one_exception_type_catches_what_the_env_and_the_core_refuse() -> None:
    from infobargain.game.state import IllegalActionError

    env = ib.raw_env(protocol="ultimatum", first_proposer="sender")
    env.reset(seed=0)
    with pytest.raises(IllegalActionError):
        env.step(10**6)


def test_a_deep_copied_env_masks_and_steps_as_the_original() -> None:
    """Vector wrappers (SuperSuit) deep-copy the env: its mask tables must not depend on object identity."""
    import copy

    original = ib.raw_env(protocol="alternating", grid_size=5)
    twin = copy.deepcopy(original)
    for env in (original, twin):
        env.reset(seed=3)
    for _ in range(4):
        agent = original.agent_selection
        assert agent == twin.agent_selection
        mask = original.action_mask(agent)
        np.testing.assert_array_equal(mask, twin.action_mask(agent))
        action = int(np.flatnonzero(mask)[-1])
        original.step(action)
        twin.step(action)
