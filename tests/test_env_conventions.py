"""The convention options of ``env()`` / ``parallel_env()`` (:mod:`infobargain.envs.conventions`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test

from infobargain.envs import ACCEPT, FIRST_OFFER, REJECT
from infobargain.envs import information_bargaining_v1 as ib
from infobargain.envs.conventions import NUMERIC_INFO_KEYS, STRICT


def random_episode(environment: Any, seed: int) -> list[dict[str, Any]]:
    """Play one AEC episode with uniformly random legal actions; every info seen on the way."""
    rng = np.random.default_rng(seed)
    environment.reset(seed=seed)
    seen = []
    for agent in environment.agent_iter():
        _, _, termination, truncation, info = environment.last()
        seen.append(info)
        if termination or truncation:
            environment.step(None)
            continue
        legal = np.flatnonzero(environment.unwrapped.action_mask(agent))
        environment.step(int(rng.choice(legal)))
    return seen


def test_raw_env_conventions_add_no_wrapper() -> None:
    assert type(ib.env(**STRICT).env) is ib.raw_env
    assert type(ib.parallel_env(**STRICT)) is ib.ParallelGame


def test_bare_constructors_follow_pettingzoo_classic_conventions() -> None:
    # plain infos, illegal actions end the episode; raw_env stays strict
    for environment in (ib.env(grid_size=5), ib.parallel_env(grid_size=5)):
        environment.reset(seed=0)
        info = (
            environment.infos["sender_0"] if hasattr(environment, "last") else environment.reset(seed=0)[1]["sender_0"]
        )
        assert set(info) == set(NUMERIC_INFO_KEYS) and all(type(value) is float for value in info.values())
    strict = ib.raw_env(grid_size=5)
    strict.reset(seed=0)
    with pytest.raises(ValueError, match="is illegal for sender_0"):
        strict.step(ACCEPT)


@pytest.mark.parametrize(
    ("option", "value"), [("observation_format", "flat"), ("info_format", "strings"), ("illegal_action", "ignore")]
)
def test_unknown_option_values_are_refused(option: str, value: str) -> None:
    for build in (ib.env, ib.parallel_env):
        with pytest.raises(ValueError, match=rf"{option}: must be one of .*, got '{value}'"):
            build(**{option: value})


def test_rllib_format_needs_a_mask() -> None:
    with pytest.raises(ValueError, match="observation_format: 'rllib' needs an action mask"):
        ib.env(observation_format="rllib", offer_space="scheme")


def test_box_and_rllib_observations_carry_the_same_numbers() -> None:
    plain, box, rllib = (ib.env(observation_format=f, grid_size=5) for f in ("dict", "box", "rllib"))
    for environment in (plain, box, rllib):
        environment.reset(seed=3)
        environment.step(FIRST_OFFER + 1)
    for agent in plain.possible_agents:
        reference = plain.observe(agent)
        boxed, masked = box.observe(agent), rllib.observe(agent)
        assert boxed.dtype == np.float32 and box.observation_space(agent).contains(boxed)
        np.testing.assert_array_equal(boxed, reference["observation"].astype(np.float32))
        assert set(masked) == {"observations", "action_mask"} and rllib.observation_space(agent).contains(masked)
        np.testing.assert_array_equal(masked["action_mask"], reference["action_mask"])
        assert masked["action_mask"].dtype == np.float32


@pytest.mark.parametrize("kwargs", [{"protocol": "alternating"}, {"realization": "sampled", "realization_rounds": 3}])
def test_numeric_infos_have_every_key_on_every_step(kwargs: dict[str, Any]) -> None:
    numeric, full = ib.env(grid_size=5, **kwargs), ib.env(grid_size=5, **STRICT, **kwargs)
    for seed in range(5):
        numeric_infos, full_infos = random_episode(numeric, seed), random_episode(full, seed)
        assert len(numeric_infos) == len(full_infos)
        for info in numeric_infos:
            assert set(info) == set(NUMERIC_INFO_KEYS)
            assert all(type(value) is float for value in info.values())
        last, reference = numeric_infos[-1], full_infos[-1]["outcome"]
        assert last["bargaining_over"] == 1.0 and last["deal"] == float(reference["deal"])
        np.testing.assert_allclose([last["sender_payoff"], last["receiver_payoff"]], reference["payoffs"])
        assert numeric_infos[0]["offer_on_table"] == 0.0 and numeric_infos[0]["end_round"] == -1.0


def test_numeric_infos_describe_the_offer_on_the_table() -> None:
    environment = ib.env(grid_size=5)
    environment.reset(seed=0)
    environment.step(FIRST_OFFER + 2)
    info = environment.infos["receiver_0"]
    payoffs = environment.unwrapped.infos["receiver_0"]["offer"]["payoffs"]
    assert info["offer_on_table"] == 1.0 and info["acting"] == 1.0 and info["proposer"] == 0.0
    assert (info["offer_sender_payoff"], info["offer_receiver_payoff"]) == tuple(payoffs)


@pytest.mark.parametrize("realization", ["expected", "sampled"])
def test_an_illegal_action_ends_the_episode_with_the_no_deal_outcome_and_flags_the_offender(realization: str) -> None:
    kwargs = {"game": "prosecutor", "protocol": "fixed_role", "grid_size": 5, "discount": 0.5, "break_off": 0.0}
    strict = ib.env(**STRICT, realization=realization, **kwargs)
    strict.reset(seed=0)
    with pytest.raises(ValueError, match="action: 1 is illegal for sender_0 now"):
        strict.step(REJECT)
    lenient = ib.env(info_format="full", realization=realization, **kwargs)
    lenient.reset(seed=0)
    lenient.step(FIRST_OFFER)
    lenient.step(REJECT)  # round 1 now
    lenient.step(REJECT)  # a proposer must offer
    d = lenient.unwrapped.problem.d
    assert all(lenient.terminations.values()) and lenient.unwrapped.phase == "done"
    assert [lenient._cumulative_rewards[a] for a in lenient.possible_agents] == pytest.approx((0.5 * d).tolist())
    assert lenient.infos["sender_0"]["illegal_action"] is True  # the offender, not the other agent
    assert lenient.infos["receiver_0"]["illegal_action"] is False
    assert lenient.infos["receiver_0"]["outcome"]["deal"] is False
    lenient.reset(seed=0)
    assert lenient.infos["sender_0"]["illegal_action"] is False


def test_an_illegal_action_in_the_realization_stage_passes() -> None:
    environment = ib.env(protocol="ultimatum", grid_size=5, realization="sampled", realization_rounds=2)
    environment.reset(seed=0)
    environment.step(FIRST_OFFER)
    environment.step(ACCEPT)
    stage = environment.unwrapped.stage
    for action in (REJECT, FIRST_OFFER + 1, REJECT, FIRST_OFFER):  # nobody decides: every action passes
        assert not any(environment.terminations.values())
        environment.step(action)
    assert stage.over and all(environment.terminations.values())
    assert environment.infos["sender_0"]["deal"] == 1.0 and environment.infos["sender_0"]["illegal_action"] == 0.0


def test_parallel_disagree_ends_the_game_for_an_illegal_acting_action_only() -> None:
    environment = ib.parallel_env(protocol="fixed_role", grid_size=5)
    environment.reset(seed=0)
    # the waiting receiver's action is ignored; the sender's offer is legal
    _, _, terminations, _, infos = environment.step({"sender_0": FIRST_OFFER, "receiver_0": REJECT})
    assert not any(terminations.values()) and infos["receiver_0"]["offer_on_table"] == 1.0
    _, rewards, terminations, _, infos = environment.step({"sender_0": ACCEPT, "receiver_0": FIRST_OFFER})
    assert all(terminations.values()) and environment.agents == []
    # the responding receiver cannot counter in fixed-role bargaining: it is the offender
    assert infos["receiver_0"]["illegal_action"] == 1.0 and infos["receiver_0"]["deal"] == 0.0
    assert infos["sender_0"]["illegal_action"] == 0.0
    d = environment.unwrapped.problem.d
    assert [rewards["sender_0"], rewards["receiver_0"]] == pytest.approx(d.tolist())


def test_pettingzoo_api_tests_pass_under_other_conventions() -> None:
    # (Not for the "rllib" format: its float32 mask is what RLlib's masking module reads, and PettingZoo's
    # checkers sample with the observation's mask, which they require to be int8.)
    for options in ({}, {"observation_format": "box"}, STRICT):
        api_test(ib.env(grid_size=5, **options), num_cycles=50)
        parallel_api_test(ib.parallel_env(grid_size=5, **options), num_cycles=50)


@pytest.mark.parametrize("action", [None, float("nan"), 10**12, 99, REJECT])
def test_disagree_walks_away_on_any_unplayable_discrete_action(action: Any) -> None:
    environment = ib.env(grid_size=5)
    environment.reset(seed=0)
    environment.step(action)
    assert all(environment.terminations.values()) and environment.infos["sender_0"]["illegal_action"] == 1.0


def test_disagree_still_raises_on_malformed_actions() -> None:
    environment = ib.env(grid_size=5)
    environment.reset(seed=0)
    with pytest.raises(ValueError, match=r"an array of shape \(1,\)"):
        environment.step(np.array([FIRST_OFFER]))
    scheme = ib.env(offer_space="scheme")
    scheme.reset(seed=0)
    with pytest.raises(ValueError, match="outside"):
        scheme.step(np.full(scheme.action_space("sender_0").shape, 2.0))
