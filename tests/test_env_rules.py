"""The rules of the env card (infobargain/envs/information_bargaining_v1.py): timing, masks, offer encodings,
receiver offers, the realization stage, game sources and rendering.

Expected numbers are derived by hand from docs/theory.md (§1 payoffs of a scheme, §3 timing, §5 the paper's instance) or
from Kamenica–Gentzkow's prosecutor (30 % guilty; the judge acquits without information, so d = (0, 0.7); full
disclosure convicts exactly the guilty: (U_S, U_R) = (0.3, 1)).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infobargain.envs import information_bargaining_v1 as ib
from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT, SchemeOffers, schemes_from_actions
from infobargain.game.instance import Instance, random_instance
from infobargain.game.scenarios import scenario

FULL_DISCLOSURE = np.array([[1.0, 0.0], [0.0, 1.0]])
BP_SCHEME = np.array([[0.5, 0.5], [0.0, 1.0]])  # docs/theory.md §5: x1 = 1/2, x2 = 1
PROSECUTOR_D = np.array([0.0, 0.7])
PROSECUTOR_FULL = np.array([0.3, 1.0])


def paper_payoffs(scheme: np.ndarray) -> np.ndarray:
    """docs/theory.md §1 on the paper's instance, by hand: after signal σ the receiver hires iff the joint mass of the good
    state beats that of the bad one (u_R = +1 / −1), ties going to the sender (hire)."""
    bad, good = 2 / 3 * np.asarray(scheme)[0], 1 / 3 * np.asarray(scheme)[1]
    hire = (good - bad >= -1e-12) & (good + bad > 0)
    return np.array([(bad + good)[hire].sum(), (good - bad)[hire].sum()])


def scheme_action(scheme: np.ndarray, accept: bool = False) -> np.ndarray:
    """The documented scheme mapping inverted by hand: row s of the action is ``2 φ(·|s) / max φ(·|s) − 1``."""
    rows = np.asarray(scheme, dtype=np.float64)
    body = 2 * rows / rows.max(axis=1, keepdims=True) - 1
    return np.concatenate([[1.0 if accept else -1.0], body.ravel()])


def accept_action(environment: Any) -> Any:
    space = environment.action_space(environment.agent_selection)
    return ACCEPT if space.shape == () else np.ones(space.shape)


def reject_action(environment: Any) -> Any:
    space = environment.action_space(environment.agent_selection)
    return REJECT if space.shape == () else -np.ones(space.shape)


def finish(environment: Any) -> dict[str, float]:
    """Let the episode run out (passes in the realization stage); return each agent's summed rewards from ``last()``."""
    totals = {agent: 0.0 for agent in environment.possible_agents}
    for agent in environment.agent_iter():
        _, reward, terminated, truncated, _ = environment.last()
        totals[agent] += reward
        environment.step(None if terminated or truncated else accept_action(environment))
    return totals


def phase(environment: Any) -> str:
    return str(environment.unwrapped.infos["sender_0"]["phase"])


def payoffs(environment: Any) -> np.ndarray:
    return np.array(environment.unwrapped.infos["sender_0"]["outcome"]["payoffs"])


# ---------------------------------------------------------------------------------------------------------------
# Timing: break-off, discount, deadline (docs/theory.md §3)


def test_discount_half_and_agreement_in_round_two_pays_a_quarter_of_the_deal() -> None:
    environment = ib.env(
        game="prosecutor", protocol="fixed_role", max_rounds=5, break_off=0.0, discount=0.5, offer_space="scheme"
    )
    environment.reset(seed=0)
    for _ in range(2):
        environment.step(scheme_action(FULL_DISCLOSURE))
        environment.step(reject_action(environment))
    environment.step(scheme_action(FULL_DISCLOSURE))
    environment.step(accept_action(environment))
    assert environment.unwrapped.infos["sender_0"]["outcome"]["agreement_round"] == 2
    totals = finish(environment)
    expected = 0.25 * PROSECUTOR_FULL
    assert [totals["sender_0"], totals["receiver_0"]] == pytest.approx(expected, abs=1e-12)


def test_expected_mode_moves_break_off_mass_to_discounted_disagreement() -> None:
    """p = 0.2, δ = 0.5, two rejections then a deal in round 2:
    p·δ⁰·d + (1−p)·p·δ¹·d + (1−p)²·δ²·U = 0.2 d + 0.08 d + 0.16 U."""
    environment = ib.env(
        game="prosecutor", protocol="fixed_role", max_rounds=5, break_off=0.2, discount=0.5, offer_space="scheme"
    )
    environment.reset(seed=0)
    for _ in range(2):
        environment.step(scheme_action(FULL_DISCLOSURE))
        environment.step(reject_action(environment))
    environment.step(scheme_action(FULL_DISCLOSURE))
    environment.step(accept_action(environment))
    outcome = environment.unwrapped.infos["sender_0"]["outcome"]
    assert outcome["agreement_round"] == 2
    assert outcome["survival"] == pytest.approx(0.64, abs=1e-15)
    totals = finish(environment)
    expected = 0.28 * PROSECUTOR_D + 0.16 * PROSECUTOR_FULL  # (0.048, 0.356)
    assert [totals["sender_0"], totals["receiver_0"]] == pytest.approx(expected, abs=1e-12)


def test_deadline_in_fixed_role_pays_discounted_disagreement() -> None:
    """T = 3, every offer rejected: 0.2 d + 0.8·0.2·0.5 d + 0.8²·0.5² d = 0.44 d."""
    environment = ib.env(
        game="prosecutor", protocol="fixed_role", max_rounds=3, break_off=0.2, discount=0.5, offer_space="frontier"
    )
    environment.reset(seed=0)
    for round_index in range(3):
        assert environment.unwrapped.infos["sender_0"]["round"] == round_index
        environment.step(FIRST_OFFER)
        environment.step(REJECT)
    outcome = environment.unwrapped.infos["sender_0"]["outcome"]
    assert outcome["deal"] is False and outcome["end_round"] == 2
    totals = finish(environment)
    assert [totals["sender_0"], totals["receiver_0"]] == pytest.approx(0.44 * PROSECUTOR_D, abs=1e-12)


def test_alternating_counter_offer_rejects_and_opens_the_next_round() -> None:
    """Round 0: the sender offers, the receiver counter-offers (= rejects and makes round 1's offer), the sender
    accepts: (1 − p)·δ·U(counter) + p·d."""
    environment = ib.env(game="prosecutor", protocol="alternating", break_off=0.1, discount=0.8, offer_space="scheme")
    environment.reset(seed=0)
    environment.step(scheme_action(BP_SCHEME))
    counter = scheme_action(FULL_DISCLOSURE)  # decision entry −1: reject, and offer full disclosure
    environment.step(counter)
    info = environment.unwrapped.infos["sender_0"]
    assert info["round"] == 1 and info["proposer"] == "receiver"
    assert environment.agent_selection == "sender_0"  # the sender now responds to the counter-offer
    assert np.array_equal(info["offer"]["demanded"], FULL_DISCLOSURE)
    environment.step(accept_action(environment))
    totals = finish(environment)
    expected = 0.1 * PROSECUTOR_D + 0.9 * 0.8 * PROSECUTOR_FULL
    assert [totals["sender_0"], totals["receiver_0"]] == pytest.approx(expected, abs=1e-12)


def test_alternating_rejection_in_the_last_round_ends_without_a_deal() -> None:
    environment = ib.env(game="prosecutor", protocol="alternating", max_rounds=3, break_off=0.0, discount=0.5)
    environment.reset(seed=0)
    environment.step(FIRST_OFFER)  # round 0: sender offers
    environment.step(FIRST_OFFER)  # receiver counter-offers: round 1
    environment.step(FIRST_OFFER + 1)  # sender counter-offers: round 2, the last
    assert environment.unwrapped.infos["receiver_0"]["round"] == 2
    assert environment.unwrapped.infos["receiver_0"]["action_mask"].tolist()[:2] == [1, 1]
    environment.step(REJECT)
    outcome = environment.unwrapped.infos["sender_0"]["outcome"]
    assert outcome["deal"] is False and outcome["end_round"] == 2
    totals = finish(environment)
    assert [totals["sender_0"], totals["receiver_0"]] == pytest.approx(0.25 * PROSECUTOR_D, abs=1e-12)


def test_ultimatum_rejection_ends_the_game_at_once() -> None:
    environment = ib.env(game="prosecutor", protocol="ultimatum", max_rounds=7)  # max_rounds ignored
    environment.reset(seed=0)
    environment.step(FIRST_OFFER)
    environment.step(REJECT)
    outcome = environment.unwrapped.infos["sender_0"]["outcome"]
    assert outcome["deal"] is False and outcome["end_round"] == 0
    assert all(environment.unwrapped.terminations.values())
    assert payoffs(environment) == pytest.approx(PROSECUTOR_D, abs=1e-12)


@pytest.mark.parametrize("break_off, deal", [(1.0, False), (0.0, True)])
def test_sampled_break_off_is_drawn_after_a_rejection(break_off: float, deal: bool) -> None:
    """Sampled mode: with p = 1 the first rejection always breaks down; with p = 0 never."""
    for seed in range(10):
        environment = ib.env(protocol="fixed_role", break_off=break_off, realization="sampled", realization_rounds=2)
        environment.reset(seed=seed)
        environment.step(FIRST_OFFER)
        environment.step(REJECT)
        if deal:
            assert phase(environment) == "bargaining"
            environment.step(FIRST_OFFER)
            environment.step(ACCEPT)
        info = environment.unwrapped.infos["sender_0"]
        assert info["phase"] == "realization"
        assert info["outcome"]["deal"] is deal
        assert info["outcome"]["end_round"] == (1 if deal else 0)


def test_sampled_realization_pays_discounted_utilities_every_round() -> None:
    """Prosecutor, deal on full disclosure in round 2 with δ = 0.5: each realization round pays 0.25·u(s, a): the
    receiver always 0.25 (a correct verdict), the sender 0.25 exactly when the defendant is guilty (state 0)."""
    rounds = 6
    environment = ib.env(
        game="prosecutor",
        protocol="fixed_role",
        break_off=0.0,
        discount=0.5,
        offer_space="scheme",
        realization="sampled",
        realization_rounds=rounds,
    )
    environment.reset(seed=3)
    for _ in range(2):
        environment.step(scheme_action(FULL_DISCLOSURE))
        environment.step(reject_action(environment))
    environment.step(scheme_action(FULL_DISCLOSURE))
    environment.step(accept_action(environment))
    layout = environment.unwrapped.observation_layout
    paid = 0
    while phase(environment) == "realization":
        state = int(np.argmax(environment.observe("sender_0")["observation"][layout["state"]]))
        environment.step(accept_action(environment))
        rewards = environment.unwrapped.rewards
        if any(rewards.values()):
            paid += 1
            assert rewards["receiver_0"] == pytest.approx(0.25, abs=1e-12)
            assert rewards["sender_0"] == pytest.approx(0.25 if state == 0 else 0.0, abs=1e-12)
    assert paid == rounds


# ---------------------------------------------------------------------------------------------------------------
# Masks


def mask(environment: Any, agent: str) -> list[int]:
    observed = environment.observe(agent)["action_mask"]
    assert np.array_equal(observed, environment.unwrapped.infos[agent]["action_mask"])
    return observed.tolist()


OFFERS = 5  # grid_size for the frontier encoding below
PROPOSE = [0, 0] + [1] * OFFERS
RESPOND_YES_NO = [1, 1] + [0] * OFFERS
RESPOND_COUNTER = [1, 0] + [1] * OFFERS
WAIT = [1, 0] + [0] * OFFERS


@pytest.mark.parametrize("protocol", ["ultimatum", "fixed_role"])
@pytest.mark.parametrize("first", ["sender", "receiver"])
def test_masks_with_a_single_proposer(protocol: str, first: str) -> None:
    """The proposer must offer; the responder may only ACCEPT or REJECT; the waiting agent may only pass; in the
    realization stage both may only pass."""
    rounds = 3
    environment = ib.env(
        protocol=protocol,
        first_proposer=first,
        max_rounds=rounds,
        offer_space="frontier",
        grid_size=OFFERS,
        realization="sampled",
        realization_rounds=2,
        break_off=0.0,
    )
    environment.reset(seed=0)
    proposer = f"{first}_0"
    responder = "receiver_0" if first == "sender" else "sender_0"
    for round_index in range(1 if protocol == "ultimatum" else rounds):
        assert environment.unwrapped.infos[proposer]["round"] == round_index
        assert environment.agent_selection == proposer
        assert mask(environment, proposer) == PROPOSE
        assert mask(environment, responder) == WAIT
        environment.step(FIRST_OFFER)
        assert environment.agent_selection == responder
        assert mask(environment, responder) == RESPOND_YES_NO
        assert mask(environment, proposer) == WAIT
        environment.step(ACCEPT if round_index == rounds - 1 or protocol == "ultimatum" else REJECT)
    assert phase(environment) == "realization"
    while phase(environment) == "realization":
        for agent in environment.possible_agents:
            assert mask(environment, agent) == WAIT
        environment.step(ACCEPT)


def test_alternating_masks_round_by_round() -> None:
    """Alternating offers over 4 rounds: counter-offers in rounds 0–2, ACCEPT/REJECT in round 3."""
    environment = ib.env(protocol="alternating", max_rounds=4, offer_space="frontier", grid_size=OFFERS, break_off=0)
    environment.reset(seed=0)
    environment.step(FIRST_OFFER + 2)
    responders = ["receiver_0", "sender_0", "receiver_0", "sender_0"]
    for round_index, responder in enumerate(responders):
        assert environment.agent_selection == responder
        assert environment.unwrapped.infos[responder]["round"] == round_index
        waiting = "sender_0" if responder == "receiver_0" else "receiver_0"
        assert mask(environment, waiting) == WAIT
        if round_index < 3:
            assert mask(environment, responder) == RESPOND_COUNTER
            environment.step(FIRST_OFFER + 1)
        else:
            assert mask(environment, responder) == RESPOND_YES_NO
            environment.step(REJECT)
    assert environment.unwrapped.infos["sender_0"]["outcome"]["deal"] is False


def test_scheme_space_has_no_mask_and_every_action_is_legal() -> None:
    environment = ib.env(offer_space="scheme")
    environment.reset(seed=0)
    observation = environment.observe("sender_0")
    assert set(observation) == {"observation"}
    assert "action_mask" not in environment.unwrapped.infos["sender_0"]
    environment.step(np.ones(5))  # the decision entry is ignored for a proposer: this is an offer
    assert environment.unwrapped.infos["receiver_0"]["offer"]["scheme"] == [[0.5, 0.5], [0.5, 0.5]]


# ---------------------------------------------------------------------------------------------------------------
# The first proposer


def test_first_proposer_sets_who_acts_first() -> None:
    for first in ("sender", "receiver"):
        environment = ib.env(first_proposer=first)
        environment.reset(seed=0)
        assert environment.agent_selection == f"{first}_0"
        assert environment.unwrapped.infos["sender_0"]["first_proposer"] == first


def test_coin_flip_varies_with_the_seed_and_is_fair() -> None:
    """2,000 seeds: the share of sender-first episodes lies within 5 standard errors of 1/2 (SE = √(1/4/2000) ≈ 0.011);
    the seeds are fixed, so this never flakes."""
    environment = ib.raw_env(first_proposer="coin_flip", protocol="ultimatum")
    seeds = 2000
    sender_first = 0
    for seed in range(seeds):
        environment.reset(seed=seed)
        first = environment.infos["sender_0"]["first_proposer"]
        assert environment.agent_selection == f"{first}_0"
        sender_first += first == "sender"
    share = sender_first / seeds
    assert abs(share - 0.5) < 5 * np.sqrt(0.25 / seeds)
    again = ib.raw_env(first_proposer="coin_flip")
    for seed in (0, 1, 2):
        environment.reset(seed=seed)
        again.reset(seed=seed)
        assert again.infos["sender_0"]["first_proposer"] == environment.infos["sender_0"]["first_proposer"]


# ---------------------------------------------------------------------------------------------------------------
# Offer encodings


def test_scheme_mapping_matches_the_documented_formula() -> None:
    """Row s of the action body maps to ``w / Σ w`` with ``w = (a + 1) / 2``; an all-−1 row becomes uniform; the
    scheme echoed in infos is that mapping and its payoffs are docs/theory.md §1's."""
    environment = ib.env(game="pure_math", protocol="ultimatum", offer_space="scheme")
    rng = np.random.default_rng(0)
    bodies = [rng.uniform(-1, 1, 4) for _ in range(20)] + [np.array([-1.0, -1.0, 0.0, 1.0])]
    for body in bodies:
        environment.reset(seed=0)
        environment.step(np.concatenate([[0.3], body]))
        weights = ((body + 1) / 2).reshape(2, 2)
        totals = weights.sum(axis=1, keepdims=True)
        expected = np.where(totals > 0, weights / np.where(totals > 0, totals, 1), 0.5)
        offer = environment.unwrapped.infos["receiver_0"]["offer"]
        assert np.allclose(offer["scheme"], expected, atol=1e-12, rtol=0)
        assert offer["payoffs"] == pytest.approx(paper_payoffs(expected), abs=1e-12)
    assert np.array_equal(expected[0], [0.5, 0.5])  # the all-−1 row


@pytest.mark.parametrize(
    "scheme",
    [BP_SCHEME, FULL_DISCLOSURE, np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0, 0.0], [1.0, 0.0]])],
    ids=["bp", "full-disclosure", "swapped", "no-information"],
)
def test_scheme_encoding_reaches_deterministic_schemes_exactly(scheme: np.ndarray) -> None:
    environment = ib.env(game="pure_math", protocol="ultimatum", offer_space="scheme")
    encoding = environment.unwrapped.encoding
    assert isinstance(encoding, SchemeOffers)
    action = encoding.encode(scheme)
    assert np.array_equal(action, scheme_action(scheme))  # the inverse documented in offers.py
    assert np.array_equal(encoding.to_scheme(action), scheme)
    environment.reset(seed=0)
    environment.step(action)
    offer = environment.unwrapped.infos["receiver_0"]["offer"]
    assert offer["scheme"] == scheme.tolist()
    assert offer["payoffs"] == pytest.approx(paper_payoffs(scheme), abs=1e-15)


def test_bp_scheme_offer_pays_the_bp_optimum() -> None:
    environment = ib.env(game="pure_math", protocol="ultimatum", offer_space="scheme")
    environment.reset(seed=0)
    environment.step(scheme_action(BP_SCHEME))
    environment.step(accept_action(environment))
    assert payoffs(environment) == pytest.approx([2 / 3, 0.0], abs=1e-15)


def offers_of(kwargs: dict[str, Any], proposer: str, count: int) -> list[dict[str, Any]]:
    """The offer each discrete action makes for ``proposer`` (as echoed in infos)."""
    echoed = []
    environment = ib.env(protocol="ultimatum", first_proposer=proposer, **kwargs)
    for index in range(count):
        environment.reset(seed=0)
        environment.step(FIRST_OFFER + index)
        echoed.append(environment.unwrapped.infos["sender_0"]["offer"])
    return echoed


def test_grid_offers_are_every_scheme_on_the_grid() -> None:
    """grid_size 3 on 2 states × 2 signals: rows from {(1, 0), (½, ½), (0, 1)}, so 3² = 9 sender offers."""
    environment = ib.env(game="pure_math", offer_space="grid", grid_size=3)
    assert environment.action_space("sender_0").n == 2 + 9
    offers = offers_of({"game": "pure_math", "offer_space": "grid", "grid_size": 3}, "sender", 9)
    rows = [(1.0, 0.0), (0.5, 0.5), (0.0, 1.0)]
    expected = {(a, b) for a, b in itertools.product(rows, rows)}
    assert {tuple(map(tuple, offer["scheme"])) for offer in offers} == expected
    for offer in offers:
        assert offer["payoffs"] == pytest.approx(paper_payoffs(np.array(offer["scheme"])), abs=1e-12)
    levels = ib.env(game="random:3x3:0", offer_space="grid", grid_size=3).action_space("sender_0").n
    assert levels == 2 + 6**3  # 6 rows of 3 signals with entries in {0, ½, 1}


def test_frontier_offers_run_from_the_proposers_worst_to_its_best_point() -> None:
    """Paper instance: the frontier is the segment (1/3, 1/3)–(2/3, 0) (docs/theory.md §5). The sender's offers run from
    (1/3, 1/3) to (2/3, 0) in equal steps; the receiver's the other way."""
    size = 7
    kwargs = {"game": "pure_math", "offer_space": "frontier", "grid_size": size}
    steps = np.arange(size) / (size - 1) / 3
    sender = offers_of(kwargs, "sender", size)
    expected_sender = np.stack([1 / 3 + steps, 1 / 3 - steps], axis=1)
    assert np.allclose([offer["payoffs"] for offer in sender], expected_sender, atol=1e-9, rtol=0)
    receiver = offers_of(kwargs, "receiver", size)
    assert np.allclose([offer["payoffs"] for offer in receiver], expected_sender[::-1], atol=1e-9, rtol=0)
    for offer in sender + receiver:  # each offer's scheme really pays what it says
        assert offer["payoffs"] == pytest.approx(paper_payoffs(np.array(offer["scheme"])), abs=1e-9)


@pytest.mark.parametrize("pie", ["split_pie", "split_pie_bounded"])
def test_pie_frontier_offers_are_evenly_spaced_shares(pie: str) -> None:
    size = 5
    high = 1.0 if pie == "split_pie" else 0.5
    keeps = np.linspace(0, high, size)
    for proposer, mine in (("sender", 0), ("receiver", 1)):
        offers = offers_of({"game": pie, "grid_size": size}, proposer, size)
        assert [offer["keep"] for offer in offers] == pytest.approx(keeps.tolist(), abs=1e-15)
        for keep, offer in zip(keeps, offers, strict=True):
            if pie == "split_pie":
                own, other = keep, 1 - keep
            else:  # docs/theory.md §5: the proposer gets (1 + 2x)/3, the responder (1 − 2x)/3
                own, other = (1 + 2 * keep) / 3, (1 - 2 * keep) / 3
            assert offer["payoffs"][mine] == pytest.approx(own, abs=1e-12)
            assert offer["payoffs"][1 - mine] == pytest.approx(other, abs=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# A receiver's offer: threshold or exact


def test_receiver_offer_threshold_commits_the_sender_to_its_best_scheme_meeting_the_demand() -> None:
    """The receiver demands φ1 = [[1, 0], [½, ½]]: signal 1 is sent only in the good state (hire), so
    U(φ1) = (1/6, 1/6). Threshold: the sender's best frontier point with U_R ≥ 1/6 is x1 = 1/4: (1/2, 1/6)."""
    demand = np.array([[1.0, 0.0], [0.5, 0.5]])
    assert paper_payoffs(demand) == pytest.approx([1 / 6, 1 / 6])
    results = {}
    for mode in ("threshold", "exact"):
        environment = ib.env(protocol="ultimatum", first_proposer="receiver", offer_space="scheme", receiver_offer=mode)
        environment.reset(seed=0)
        environment.step(scheme_action(demand))
        offer = environment.unwrapped.infos["sender_0"]["offer"]
        assert np.allclose(offer["demanded"], demand, atol=1e-15)
        assert offer["payoffs"] == pytest.approx(paper_payoffs(np.array(offer["scheme"])), abs=1e-9)
        environment.step(accept_action(environment))
        results[mode] = payoffs(environment)
        assert results[mode] == pytest.approx(offer["payoffs"], abs=1e-12)
    assert results["threshold"] == pytest.approx([1 / 2, 1 / 6], abs=1e-9)
    assert results["exact"] == pytest.approx([1 / 6, 1 / 6], abs=1e-12)


def test_exact_receiver_offer_is_executed_in_the_realization_stage() -> None:
    """Sampled mode, receiver_offer="exact", demand φ1 = full disclosure with the signals swapped: the receiver's
    signal is always the other index than the state, and the receiver hires exactly in the good state."""
    demand = np.array([[0.0, 1.0], [1.0, 0.0]])
    environment = ib.env(
        protocol="ultimatum",
        first_proposer="receiver",
        offer_space="scheme",
        receiver_offer="exact",
        realization="sampled",
        realization_rounds=30,
    )
    environment.reset(seed=1)
    environment.step(scheme_action(demand))
    environment.step(accept_action(environment))
    layout = environment.unwrapped.observation_layout
    states = []
    while phase(environment) == "realization":
        state = np.flatnonzero(environment.observe("sender_0")["observation"][layout["state"]])
        signal = np.flatnonzero(environment.observe("receiver_0")["observation"][layout["signal"]])
        assert len(state) == 1 and len(signal) == 1 and signal[0] == 1 - state[0]
        states.append(int(state[0]))
        environment.step(accept_action(environment))
    assert set(states) == {0, 1}


# ---------------------------------------------------------------------------------------------------------------
# Observations


def test_realization_stage_shows_the_state_to_the_sender_and_the_signal_to_the_receiver() -> None:
    """Full disclosure on the paper's instance: signal = state. The sender sees the state one-hot and no signal, the
    receiver the signal one-hot and no state; a round pays u(s, a) with a = hire iff the state is good: (1, 1) in the
    good state, (0, 0) in the bad one."""
    rounds = 40
    environment = ib.env(
        protocol="ultimatum", offer_space="scheme", realization="sampled", realization_rounds=rounds, break_off=0.0
    )
    environment.reset(seed=7)
    layout = environment.unwrapped.observation_layout
    for agent in environment.possible_agents:  # nothing private during bargaining
        vector = environment.observe(agent)["observation"]
        assert not vector[layout["state"]].any() and not vector[layout["signal"]].any()
    environment.step(scheme_action(FULL_DISCLOSURE))
    environment.step(accept_action(environment))
    seen_states: set[int] = set()
    good_rounds = paid_rounds = 0
    for step in itertools.count():
        if phase(environment) != "realization":
            break
        sender_view = environment.observe("sender_0")["observation"]
        receiver_view = environment.observe("receiver_0")["observation"]
        state = np.flatnonzero(sender_view[layout["state"]])
        signal = np.flatnonzero(receiver_view[layout["signal"]])
        assert len(state) == 1 and not sender_view[layout["signal"]].any()
        assert len(signal) == 1 and not receiver_view[layout["state"]].any()
        assert signal[0] == state[0]
        assert sender_view[layout["phase"]].tolist() == [0.0, 1.0]
        seen_states.add(int(state[0]))
        environment.step(accept_action(environment))
        rewards = environment.unwrapped.rewards
        if step % 2 == 0:
            assert rewards == {"sender_0": 0.0, "receiver_0": 0.0}  # a round is paid when both have passed
        else:
            paid_rounds += 1
            good = bool(state[0] == 1)
            good_rounds += good
            assert rewards == {"sender_0": float(good), "receiver_0": float(good)}
    assert paid_rounds == rounds and seen_states == {0, 1}
    assert payoffs(environment) == pytest.approx([good_rounds / rounds] * 2, abs=1e-12)


def test_without_a_deal_the_receiver_sees_no_signal_and_ignores() -> None:
    environment = ib.env(game="prosecutor", protocol="ultimatum", realization="sampled", realization_rounds=10)
    environment.reset(seed=2)
    environment.step(FIRST_OFFER)
    environment.step(REJECT)
    layout = environment.unwrapped.observation_layout
    while phase(environment) == "realization":
        assert not environment.observe("receiver_0")["observation"][layout["signal"]].any()
        assert environment.observe("sender_0")["observation"][layout["state"]].sum() == 1
        environment.step(accept_action(environment))
        rewards = environment.unwrapped.rewards
        # the judge acquits whatever happens: the sender gets 0, the receiver 1 iff innocent (paid at round end)
        assert rewards["sender_0"] == 0.0 and rewards["receiver_0"] in (0.0, 1.0)
    assert payoffs(environment)[0] == 0.0


def test_observation_holds_the_common_knowledge_and_the_offer_on_the_table() -> None:
    environment = ib.env(game="prosecutor", protocol="alternating", max_rounds=4, offer_space="frontier", grid_size=5)
    environment.reset(seed=0)
    layout = environment.unwrapped.observation_layout
    instance = scenario("prosecutor")
    for agent, role in (("sender_0", [1.0, 0.0]), ("receiver_0", [0.0, 1.0])):
        vector = environment.observe(agent)["observation"]
        assert np.array_equal(vector[layout["prior"]], instance.prior)
        assert np.array_equal(vector[layout["sender_utility"]], instance.sender_utility.ravel())
        assert np.array_equal(vector[layout["receiver_utility"]], instance.receiver_utility.ravel())
        assert vector[layout["disagreement"]] == pytest.approx(PROSECUTOR_D)
        assert vector[layout["role"]].tolist() == role
        assert vector[layout["round"]].tolist() == [1.0, 0.0, 0.0, 0.0]
        assert vector[layout["offer_on_table"]][0] == 0.0
    assert environment.observe("sender_0")["observation"][layout["my_turn"]][0] == 1.0
    assert environment.observe("sender_0")["observation"][layout["proposing"]][0] == 1.0
    assert environment.observe("receiver_0")["observation"][layout["my_turn"]][0] == 0.0
    environment.step(FIRST_OFFER + 4)  # the sender's best frontier point
    offer = environment.unwrapped.infos["receiver_0"]["offer"]
    for agent, mine in (("sender_0", 1.0), ("receiver_0", 0.0)):
        vector = environment.observe(agent)["observation"]
        assert vector[layout["offer_on_table"]][0] == 1.0
        assert vector[layout["offer_by_me"]][0] == mine
        assert vector[layout["offer_payoffs"]].tolist() == pytest.approx(offer["payoffs"])
        assert vector[layout["offer_scheme"]].tolist() == pytest.approx(np.ravel(offer["scheme"]).tolist())
    assert environment.observe("receiver_0")["observation"][layout["my_turn"]][0] == 1.0
    environment.step(FIRST_OFFER)  # counter-offer: round 1
    assert environment.observe("sender_0")["observation"][layout["round"]].tolist() == [0.0, 1.0, 0.0, 0.0]
    state = environment.unwrapped.state()
    assert state.shape == environment.unwrapped.state_space.shape
    assert state[-2:].tolist() == [1.0, 0.0]  # the sender acts (responds to the counter-offer)


# ---------------------------------------------------------------------------------------------------------------
# Game sources: sampler, instance file


def sampler(rng: np.random.Generator) -> Instance:
    return random_instance(2, 3, int(rng.integers(2**31)))


def test_sampler_draws_a_new_instance_at_every_reset() -> None:
    environment = ib.env(game=sampler, offer_space="frontier")
    layout = environment.unwrapped.observation_layout
    priors = []
    for seed in range(6):
        environment.reset(seed=seed)
        vector = environment.observe("sender_0")["observation"]
        assert np.array_equal(vector[layout["prior"]], environment.unwrapped.instance.prior)
        priors.append(tuple(vector[layout["prior"]]))
    assert len(set(priors)) == 6
    environment.reset(seed=3)
    assert tuple(environment.observe("sender_0")["observation"][layout["prior"]]) == priors[3]


def test_sampler_game_plays_through() -> None:
    environment = ib.env(game=sampler, protocol="alternating", offer_space="scheme")
    rng = np.random.default_rng(0)
    for seed in range(3):
        environment.reset(seed=seed)
        decisions = 0
        for _agent in environment.agent_iter():
            _, _, terminated, truncated, _ = environment.last()
            if terminated or truncated:
                environment.step(None)
                continue
            environment.step(rng.uniform(-1, 1, 1 + 2 * 3))
            decisions += 1
        assert decisions >= 2  # at least an offer and its answer
        assert environment.agents == []
        assert environment.unwrapped.phase == "done"
        assert environment.unwrapped.payoffs is not None


@pytest.mark.parametrize("as_path", [False, True])
def test_instance_file_game(tmp_path: Path, as_path: bool) -> None:
    instance = scenario("prosecutor")
    assert isinstance(instance, Instance)
    path = tmp_path / "prosecutor.json"
    instance.save(path)
    from_file = ib.env(game=path if as_path else str(path))
    named = ib.env(game="prosecutor")
    from_file.reset(seed=0)
    named.reset(seed=0)
    assert np.array_equal(from_file.observe("sender_0")["observation"], named.observe("sender_0")["observation"])
    assert from_file.unwrapped.instance == instance


def test_instance_object_game() -> None:
    instance = Instance([0.5, 0.5], [[0, 1], [0, 1]], [[1, 0], [0, 1]], name="coin")
    environment = ib.env(game=instance, protocol="ultimatum", offer_space="scheme")
    environment.reset(seed=0)
    environment.step(scheme_action(FULL_DISCLOSURE))
    environment.step(accept_action(environment))
    assert payoffs(environment) == pytest.approx([0.5, 1.0], abs=1e-12)  # act 1 exactly in state 1


# ---------------------------------------------------------------------------------------------------------------
# Rendering


def play_two_offers(environment: Any) -> None:
    environment.reset(seed=0)
    environment.step(FIRST_OFFER + 1)
    environment.step(FIRST_OFFER + 2)


def test_render_ansi_returns_the_transcript() -> None:
    environment = ib.env(render_mode="ansi", grid_size=5)
    play_two_offers(environment)
    text = environment.render()
    assert isinstance(text, str)
    assert "alternating" in text and "round 0: sender offers" in text and "round 1: receiver offers" in text
    environment.step(ACCEPT)
    assert "payoffs:" in environment.render()


def test_render_human_prints_new_lines_as_it_goes(capsys: pytest.CaptureFixture[str]) -> None:
    environment = ib.env(render_mode="human", grid_size=5)
    environment.reset(seed=0)
    environment.step(FIRST_OFFER + 1)
    printed = capsys.readouterr().out
    assert "round 0: sender offers" in printed
    assert environment.render() is None
    environment.step(ACCEPT)
    later = capsys.readouterr().out
    assert "accepts" in later and "round 0: sender offers" not in later


def test_render_rgb_array_is_an_image() -> None:
    environment = ib.env(render_mode="rgb_array", grid_size=5)
    play_two_offers(environment)
    image = environment.render()
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8
    assert image.ndim == 3 and image.shape[2] == 3 and image.shape[0] > 50 and image.shape[1] > 50
    assert image.min() < image.max()


def test_render_without_a_mode_warns_and_returns_none() -> None:
    environment = ib.raw_env()
    environment.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode"):
        assert environment.render() is None


def test_scheme_actions_decode_alike_one_at_a_time_and_in_batches() -> None:
    instance = random_instance(3, 4, seed=2)
    actions = np.random.default_rng(3).uniform(-1.0, 1.0, size=(6, 1 + 3 * instance.signals))
    actions[0, 1 : 1 + instance.signals] = -1.0  # an all-−1 row: uniform
    batch = schemes_from_actions(actions, instance)
    assert batch.shape == (6, 3, instance.signals)
    for action, scheme in zip(actions, batch, strict=True):
        assert np.array_equal(schemes_from_actions(action, instance), scheme)
    assert np.array_equal(batch[0, 0], np.full(instance.signals, 1 / instance.signals))
    assert np.allclose(batch.sum(axis=-1), 1.0, atol=1e-15)
