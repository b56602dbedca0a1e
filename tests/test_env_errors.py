"""Bad input to the environment: each mistake gives an error whose message names the problem."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest

import infobargain
from infobargain.envs import information_bargaining_v1 as ib
from infobargain.envs.conventions import STRICT
from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT
from infobargain.game.instance import Instance, InstanceError, random_instance

# ---------------------------------------------------------------------------------------------------------------
# Constructor arguments

BAD_ARGUMENTS = [
    ({"protocol": "dutch_auction"}, r"protocol: must be one of .*'dutch_auction'"),
    ({"protocol": None}, r"protocol: must be one of"),
    ({"first_proposer": "judge"}, r"first_proposer: must be one of .*'judge'"),
    ({"max_rounds": 0}, r"max_rounds: must be an integer >= 1, got 0"),
    ({"max_rounds": 2.5}, r"max_rounds: must be an integer >= 1, got 2.5"),
    ({"max_rounds": "10"}, r"max_rounds: must be an integer >= 1"),
    ({"break_off": -0.1}, r"break_off: must be a number in \[0, 1\], got -0.1"),
    ({"break_off": 1.5}, r"break_off: must be a number in \[0, 1\]"),
    ({"break_off": float("nan")}, r"break_off: must be a number in \[0, 1\], got nan"),
    ({"discount": 0.0}, r"discount: must be a number in \(0, 1\], got 0.0"),
    ({"discount": 1.01}, r"discount: must be a number in \(0, 1\]"),
    ({"discount": "high"}, r"discount: must be a number"),
    ({"tie_break": "coin"}, r"tie_break: must be one of .*'coin'"),
    ({"obedience_margin": -0.01}, r"obedience_margin: must be a finite number >= 0, got -0.01"),
    ({"obedience_margin": float("inf")}, r"obedience_margin: must be a finite number >= 0"),
    ({"obedience_margin": "0.1"}, r"obedience_margin: must be a finite number >= 0"),
    ({"receiver_offer": "approximate"}, r"receiver_offer: must be one of .*'approximate'"),
    ({"realization": "simulated"}, r"realization: must be one of .*'simulated'"),
    ({"realization_rounds": 0}, r"realization_rounds: must be an integer >= 1, got 0"),
    ({"realization_rounds": 3.0}, r"realization_rounds: must be an integer >= 1, got 3.0"),
    ({"realization_rounds": True}, r"realization_rounds: must be an integer >= 1, got True"),
    ({"offer_space": "continuous"}, r"offer_space: must be one of .*'continuous'"),
    ({"offer_space": "grid", "grid_size": 1}, r"grid_size: must be an integer >= 2, got 1"),
    ({"offer_space": "frontier", "grid_size": 0}, r"grid_size: must be an integer >= 2, got 0"),
    ({"offer_space": "frontier", "grid_size": 5.5}, r"grid_size: must be an integer >= 2, got 5.5"),
    ({"offer_space": "grid", "grid_size": 60, "game": "random:3x3:0"}, r"grid_size: a grid of 60 levels .* offers"),
    (
        {"game": "split_pie", "offer_space": "scheme"},
        r"offer_space: a pie \(split_pie\) .*offer_space='frontier' only, got 'scheme'",
    ),
    (
        {"game": "split_pie_bounded", "offer_space": "grid"},
        r"offer_space: a pie \(split_pie_bounded\) .*'frontier' only, got 'grid'",
    ),
    ({"render_mode": "video"}, r"render_mode: must be one of .*'video'"),
    ({"max_cycles": 0}, r"max_cycles: must be None or an integer >= 1, got 0"),
    ({"max_cycles": -3}, r"max_cycles: must be None or an integer >= 1, got -3"),
    ({"max_cycles": 2.0}, r"max_cycles: must be None or an integer >= 1, got 2.0"),
    ({"game": "no_such_game"}, r"scenario: unknown name 'no_such_game'"),
    ({"game": "random:3by3:1"}, r"scenario: 'random:3by3:1' is not of the form random:SxA:SEED"),
    ({"game": 42}, r"game: expected a scenario name, an instance file, .* got 42"),
    ({"game": "/nonexistent/instance.json"}, r"instance file: cannot read /nonexistent/instance.json"),
]


@pytest.mark.parametrize("form", ["env", "raw_env", "parallel_env"])
@pytest.mark.parametrize("kwargs, message", BAD_ARGUMENTS, ids=[str(kwargs) for kwargs, _ in BAD_ARGUMENTS])
def test_invalid_constructor_argument(form: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        getattr(ib, form)(**kwargs)


def test_unknown_game_is_an_instance_error() -> None:
    with pytest.raises(InstanceError, match="scenario: unknown name"):
        ib.env(game="pure_meth")


def test_malformed_instance_file_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    data = {"name": "bad", "states": ["a", "b"], "actions": ["x", "y"], "prior": [0.5, 0.6]}
    data |= {"sender_utility": [[0, 1], [0, 1]], "receiver_utility": [[1, 0], [0, 1]]}
    path.write_text(json.dumps(data))
    with pytest.raises(InstanceError, match="prior"):
        ib.env(game=str(path))
    path.write_text("{not json")
    with pytest.raises(InstanceError, match="not valid JSON"):
        ib.env(game=path)


def test_sampler_must_keep_the_shape() -> None:
    def sampler(rng: np.random.Generator) -> Instance:
        states = 2 if rng.random() < 0.5 else 3
        return random_instance(states, 2, int(rng.integers(1000)))

    environment = ib.raw_env(game=sampler)
    with pytest.raises(
        InstanceError,
        match=r"game: sampler '.*sampler' drew instance 'random_2x2_seed\d+' of shape \(\d, 2, 2\), expected",
    ):
        for seed in range(50):
            environment.reset(seed=seed)


def test_sampler_must_return_an_instance() -> None:
    with pytest.raises(InstanceError, match=r"game: sampler .* must return an Instance, got dict"):
        ib.raw_env(game=lambda rng: {"prior": [1.0]})


def test_unknown_env_id() -> None:
    with pytest.raises(ValueError, match=r"env id: unknown 'infobargain/Bargain-v9'"):
        infobargain.envs.make("infobargain/Bargain-v9")


# ---------------------------------------------------------------------------------------------------------------
# Actions: out of the space


@pytest.mark.parametrize("form", [ib.env, ib.raw_env])
@pytest.mark.parametrize(
    "action, message",
    [
        (np.full(5, np.nan), "sender_0 sent NaN or infinity"),
        (np.array([0.0, 0.5, np.inf, 0.0, 0.0]), "sender_0 sent NaN or infinity"),
        (np.full(5, 1.5), r"sender_0 sent values outside \[-1, 1\] \(max \|a\| = 1.5\)"),
        (np.array([0.0, -1.01, 0.0, 0.0, 0.0]), r"sent values outside \[-1, 1\]"),
        (np.zeros(6), r"sender_0 sent an array of shape \(6,\), expected numbers of shape \(5,\)"),
        (np.zeros((1, 5)), r"sender_0 sent an array of shape \(1, 5\)"),
        (0.0, r"sender_0 sent an array of shape \(\)"),
    ],
    ids=["nan", "inf", "above", "below", "long", "2d", "scalar"],
)
def test_bad_box_action(form: Any, action: Any, message: str) -> None:
    environment = form(offer_space="scheme")
    environment.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        environment.step(action)


@pytest.mark.parametrize(
    "action, message",
    [
        (99, r"sender_0 sent 99, outside the action space Discrete\(13\)"),
        (-1, r"sender_0 sent -1, outside the action space"),
        (2.5, r"sender_0 sent 2.5, outside the action space"),
        (float("nan"), r"sender_0 sent nan, outside the action space Discrete\(13\) \(not a finite number\)"),
        ("two", r"sender_0 sent 'two', expected an integer"),
        (None, r"sender_0 sent None, expected an integer"),
    ],
    ids=["too-large", "negative", "fraction", "nan", "string", "none"],
)
def test_bad_discrete_action_raw(action: Any, message: str) -> None:
    environment = ib.raw_env(grid_size=11)  # 11 offers per frontier and the two responses: Discrete(13)
    environment.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        environment.step(action)


@pytest.mark.parametrize("action", [99, -1, 2.5, float("nan")])
def test_bad_discrete_action_wrapped(action: Any) -> None:
    """``env()`` leaves bounds checking to ``raw_env``, whose messages name the agent and the space."""
    environment = ib.env(**STRICT)
    environment.reset(seed=0)
    with pytest.raises(ValueError, match=r"^action: sender_0 sent .*(action space|integer in) Discrete"):
        environment.step(action)


def test_bad_action_leaves_the_env_usable() -> None:
    environment = ib.raw_env()
    environment.reset(seed=0)
    with pytest.raises(ValueError):
        environment.step(99)
    with pytest.raises(ValueError):
        environment.step(ACCEPT)
    environment.step(FIRST_OFFER)
    assert environment.agent_selection == "receiver_0"


# ---------------------------------------------------------------------------------------------------------------
# Actions: in the space but masked


@pytest.mark.parametrize("form", [functools.partial(ib.env, **STRICT), ib.raw_env])
def test_illegal_masked_actions(form: Any) -> None:
    environment = form(protocol="fixed_role", grid_size=5)
    environment.reset(seed=0)
    for action in (ACCEPT, REJECT):
        with pytest.raises(
            ValueError, match=rf"action: {action} is illegal for sender_0 now \(round 0, sender must offer\)"
        ):
            environment.step(action)
    environment.step(FIRST_OFFER)
    with pytest.raises(
        ValueError,
        match=r"action: 3 is illegal for receiver_0 now \(round 0, receiver responds .*legal actions: \[0, 1\]",
    ):
        environment.step(FIRST_OFFER + 1)  # fixed role: no counter-offers


def test_illegal_action_in_the_last_alternating_round_and_the_realization_stage() -> None:
    environment = ib.env(
        protocol="alternating", max_rounds=2, grid_size=5, realization="sampled", break_off=0.0, **STRICT
    )
    environment.reset(seed=0)
    environment.step(FIRST_OFFER)
    environment.step(FIRST_OFFER)  # counter-offer: round 1, the last
    with pytest.raises(ValueError, match=r"action: 2 is illegal for sender_0 now .*legal actions: \[0, 1\]"):
        environment.step(FIRST_OFFER)
    environment.step(ACCEPT)
    with pytest.raises(ValueError, match=r"illegal for .* \(realization stage: only ACCEPT \(0\) passes\)"):
        environment.step(REJECT)


def test_parallel_bad_actions() -> None:
    environment = ib.parallel_env(grid_size=5, **STRICT)
    environment.reset(seed=0)
    with pytest.raises(ValueError, match="actions: missing an action for receiver_0"):
        environment.step({"sender_0": FIRST_OFFER})
    with pytest.raises(ValueError, match="action: receiver_0 sent 99, outside the action space"):
        environment.step({"sender_0": FIRST_OFFER, "receiver_0": 99})
    with pytest.raises(ValueError, match="action: 0 is illegal for sender_0 now"):
        environment.step({"sender_0": ACCEPT, "receiver_0": ACCEPT})
    # the waiting agent's action only has to lie in the space
    environment.step({"sender_0": FIRST_OFFER, "receiver_0": FIRST_OFFER + 1})
    assert environment.unwrapped.infos["receiver_0"]["acting"]


def test_parallel_bad_box_action() -> None:
    environment = ib.parallel_env(offer_space="scheme")
    environment.reset(seed=0)
    with pytest.raises(ValueError, match="receiver_0 sent NaN or infinity"):
        environment.step({"sender_0": np.zeros(5), "receiver_0": np.full(5, np.nan)})


def test_step_before_reset_is_refused_by_the_wrapped_env() -> None:
    with pytest.raises(AssertionError, match="reset"):
        ib.env().step(FIRST_OFFER)


# ---------------------------------------------------------------------------------------------------------------
# Gymnasium views


def test_view_illegal_action_disagree_ends_without_a_deal() -> None:
    """Prosecutor: no deal pays d = (0, 0.7). A receiver learner that proposes nothing legal walks away with 0.7."""
    environment = gymnasium.make("infobargain/Receiver-v1", game="prosecutor", first_proposer="receiver")
    _, info = environment.reset(seed=0)
    assert info["action_mask"][ACCEPT] == 0
    _, reward, terminated, truncated, info = environment.step(ACCEPT)  # a proposer must offer
    assert terminated and not truncated
    assert info["illegal_action"] is True
    assert info["outcome"]["deal"] is False
    assert reward == pytest.approx(0.7, abs=1e-12)
    assert info["outcome"]["payoffs"] == pytest.approx([0.0, 0.7], abs=1e-12)


def test_view_illegal_action_disagree_out_of_range_index() -> None:
    environment = gymnasium.make("infobargain/Sender-v1")
    environment.reset(seed=0)
    _, reward, terminated, _, info = environment.step(10_000)
    assert terminated and info["illegal_action"] is True and info["outcome"]["deal"] is False
    assert reward == 0.0


def test_view_illegal_action_raise() -> None:
    environment = gymnasium.make("infobargain/Sender-v1", illegal_action="raise")
    environment.reset(seed=0)
    with pytest.raises(ValueError, match=r"action: 1 is illegal for sender_0 now \(round 0, sender must offer\)"):
        environment.step(REJECT)


def test_view_box_action_outside_the_space_raises_even_with_disagree() -> None:
    environment = gymnasium.make("infobargain/Sender-v1", offer_space="scheme", disable_env_checker=True)
    environment.reset(seed=0)
    with pytest.raises(ValueError, match=r"sent values outside \[-1, 1\]"):
        environment.step(np.full(5, 2.0))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"illegal_action": "ignore"}, r"illegal_action: must be 'disagree' or 'raise', got 'ignore'"),
        ({"opponent": "grandmaster"}, r"policy: unknown player 'grandmaster'"),
        ({"opponent": 3}, r"opponent: expected a player name, a Policy or a callable, got 3"),
        ({"opponent": "threshold:high"}, r"policy: 'threshold:high' is not of the form threshold:NUMBER"),
        ({"protocol": "dutch"}, r"protocol: must be one of"),
    ],
)
def test_view_invalid_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gymnasium.make("infobargain/Sender-v1", **kwargs)


def test_bp_opponent_cannot_play_the_receiver() -> None:
    with pytest.raises(ValueError, match=r"'bp' .* plays the sender only"):
        gymnasium.make("infobargain/Sender-v1", opponent="bp")
