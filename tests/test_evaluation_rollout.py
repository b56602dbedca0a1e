"""Rollouts: episode records, per-episode seeding, serial = parallel, and player binding."""

from __future__ import annotations

import pytest

from infobargain.agents import bind_policy, make_policy, player_label
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.evaluation.rollout import rollout

PAPER = {"game": "pure_math", "protocol": "alternating", "max_rounds": 10, "break_off": 0.1, "grid_size": 11}
"""The paper's game on a frontier grid of 11 points (1/3 + i/30, 1/3 − i/30), which holds the SPE point (11/30, 9/30)."""


def test_expected_mode_spe_episode_matches_theory() -> None:
    (episode,) = rollout("spe", "spe", {**PAPER, "first_proposer": "sender"}, episodes=1)
    assert episode.first_proposer == "sender"
    assert episode.deal and episode.agreement_round == 0 and episode.deal_probability == 1.0
    assert episode.sender_payoff == pytest.approx(11 / 30, abs=1e-12)
    assert episode.receiver_payoff == pytest.approx(0.3, abs=1e-12)
    assert episode.deal_proposer == "sender"
    assert episode.proposer_payoff == pytest.approx(11 / 30, abs=1e-12)


def test_breakdown_mass_lowers_the_deal_rate_in_expected_mode() -> None:
    # An obedient receiver proposing first asks for its best point; the SPE sender rejects, counters, and the
    # deal in round 1 survives the break-off draw with probability 0.9.
    (episode,) = rollout("spe", "obedient", {**PAPER, "first_proposer": "receiver"}, episodes=1)
    assert episode.agreement_round == 1
    assert episode.deal_probability == pytest.approx(0.9)
    assert episode.proposer_payoff == pytest.approx(episode.sender_payoff)


def test_coin_flip_records_each_first_proposer_and_is_reproducible() -> None:
    kwargs = {**PAPER, "first_proposer": "coin_flip"}
    first = rollout("random", "random", kwargs, episodes=40, seed=3, workers=1)
    again = rollout("random", "random", kwargs, episodes=40, seed=3, workers=1)
    other = rollout("random", "random", kwargs, episodes=40, seed=4, workers=1)
    assert first == again
    assert first != other
    assert {e.first_proposer for e in first} == {"sender", "receiver"}
    assert [e.index for e in first] == list(range(40))


def test_sampled_mode_plays_the_realization_stage() -> None:
    episodes = rollout("spe", "spe", {**PAPER, "realization": "sampled", "realization_rounds": 5}, episodes=30, seed=1)
    assert all(not e.truncated for e in episodes)
    # realized means of u(s, a): the sender's utility is 0 or 1 per round, so a mean over 5 rounds is k/5
    assert all(abs(e.sender_payoff * 5 - round(e.sender_payoff * 5)) < 1e-9 for e in episodes)
    assert all(e.deal_probability in (0.0, 1.0) for e in episodes)


def test_truncated_episodes_are_flagged() -> None:
    episodes = rollout("ignore", "ignore", {**PAPER, "max_cycles": 2}, episodes=2)
    assert all(e.truncated and not e.deal for e in episodes)


@pytest.mark.slow
def test_parallel_rollout_equals_serial() -> None:
    kwargs = {**PAPER, "first_proposer": "coin_flip", "realization": "sampled"}
    serial = rollout("random", "nash", kwargs, episodes=24, seed=5, workers=1)
    parallel = rollout("random", "nash", kwargs, episodes=24, seed=5, workers=2)
    assert serial == parallel


def test_policy_objects_play_the_evaluation_env() -> None:
    """A player built for another game plays the evaluation's game (it reads the view it is handed), and is not
    re-bound: afterwards it still reads the game it was built for."""
    elsewhere = raw_env(game="split_pie", protocol="ultimatum")
    sender = make_policy("spe", elsewhere, "sender")
    (episode,) = rollout(sender, "spe", {**PAPER, "first_proposer": "sender"}, episodes=1)
    assert episode.sender_payoff == pytest.approx(11 / 30, abs=1e-12)
    assert sender.env.game is elsewhere.game  # the caller's player is untouched
    assert player_label(sender) == "spe"
    with pytest.raises(ValueError, match="plays the sender"):
        bind_policy(sender, raw_env(), "receiver")


def test_bad_episode_count() -> None:
    with pytest.raises(ValueError, match="episodes"):
        rollout("spe", "spe", episodes=0)
