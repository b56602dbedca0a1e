"""Scheme helpers (docs/theory.md §1), checked against hand computations on small instances."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from scheme_reference import reference_obeyed

from infobargain.game import (
    Instance,
    Payoffs,
    SchemeError,
    best_response,
    deal_payoffs,
    default_action,
    disagreement_payoffs,
    expected_utilities,
    fit_signals,
    ignore_rule,
    obey_actions,
    obey_rule,
    posteriors,
    random_instance,
    scenario,
    signal_probabilities,
    validate_scheme,
)
from infobargain.game.schemes import ObedientReceiver, deal_payoffs_many

PAPER = Instance([2 / 3, 1 / 3], [[0.0, 1.0], [0.0, 1.0]], [[0.0, -1.0], [0.0, 1.0]], name="paper")
# The same utilities with a uniform prior: the receiver is indifferent without information.
INDIFFERENT = Instance([0.5, 0.5], [[0.0, 1.0], [0.0, 1.0]], [[0.0, -1.0], [0.0, 1.0]], name="indifferent")
BP_SCHEME = np.array([[0.5, 0.5], [0.0, 1.0]])  # x1 = 1/2, x2 = 1


def paper_scheme(x1: float, x2: float = 1.0) -> NDArray[np.float64]:
    return np.array([[1 - x1, x1], [1 - x2, x2]])


def reference_utilities(instance: Instance, scheme: NDArray[np.float64], rule: NDArray[np.float64]) -> Payoffs:
    """docs/theory.md §1's triple sum, written out."""
    totals = [0.0, 0.0]
    for s in range(instance.n_states):
        for signal in range(scheme.shape[1]):
            for a in range(instance.n_actions):
                weight = instance.prior[s] * scheme[s, signal] * rule[signal, a]
                totals[0] += weight * instance.sender_utility[s, a]
                totals[1] += weight * instance.receiver_utility[s, a]
    return Payoffs(*totals)


# Posteriors


def test_signal_probabilities_and_posteriors_of_the_bp_scheme() -> None:
    assert np.allclose(signal_probabilities(PAPER, BP_SCHEME), [1 / 3, 2 / 3], atol=1e-15)
    # Signal 0 is only sent in the bad state; signal 1 pools 1/3 bad mass with 1/3 good mass.
    assert np.allclose(posteriors(PAPER, BP_SCHEME), [[1.0, 0.0], [0.5, 0.5]], atol=1e-15)


def test_posteriors_by_bayes_on_three_states() -> None:
    instance = Instance([0.2, 0.3, 0.5], np.zeros((3, 2)), np.zeros((3, 2)))
    scheme = np.array([[0.5, 0.5], [0.1, 0.9], [1.0, 0.0]])
    # Joint masses: signal 0 gets 0.1, 0.03, 0.5 (total 0.63); signal 1 gets 0.1, 0.27, 0 (total 0.37).
    expected = np.array([[0.1 / 0.63, 0.03 / 0.63, 0.5 / 0.63], [0.1 / 0.37, 0.27 / 0.37, 0.0]])
    assert np.allclose(posteriors(instance, scheme), expected, atol=1e-14)
    assert np.allclose(signal_probabilities(instance, scheme), [0.63, 0.37], atol=1e-14)
    assert np.allclose(posteriors(instance, scheme).sum(axis=1), 1.0)


def test_unsent_signal_keeps_the_prior() -> None:
    scheme = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    beliefs = posteriors(PAPER, scheme)
    assert np.allclose(beliefs, [[1.0, 0.0], [0.0, 1.0], [2 / 3, 1 / 3]], atol=1e-15)


# Best responses and ties


@pytest.mark.parametrize(
    ("belief", "sender_tie", "receiver_tie"),
    [
        ([0.5, 0.5], 1, 0),  # exact indifference: hire pays −1/2 + 1/2 = 0 = no hire
        ([0.5 + 1e-13, 0.5 - 1e-13], 1, 0),  # indifferent up to rounding
        ([0.6, 0.4], 0, 0),
        ([0.5 + 1e-6, 0.5 - 1e-6], 0, 0),  # a real (small) preference is not a tie
        ([0.4, 0.6], 1, 1),
        ([0.0, 1.0], 1, 1),
        ([1.0, 0.0], 0, 0),
    ],
)
def test_best_response_with_both_tie_breaks(belief: list[float], sender_tie: int, receiver_tie: int) -> None:
    assert best_response(PAPER, belief, "sender") == sender_tie
    assert best_response(PAPER, belief, "receiver") == receiver_tie
    assert best_response(PAPER, belief) == sender_tie  # the sender's favour is the default


def test_remaining_ties_go_to_the_lowest_index() -> None:
    # One state, three actions the receiver values equally.
    flat = Instance([1.0], [[0.0, 2.0, 2.0]], [[1.0, 1.0, 1.0]])
    assert best_response(flat, [1.0], "sender") == 1  # actions 1 and 2 tie for the sender too
    assert best_response(flat, [1.0], "receiver") == 0
    costly = Instance([1.0], [[5.0, 2.0, 2.0]], [[1.0, 1.0, 1.0]])
    assert best_response(costly, [1.0], "receiver") == 1
    assert best_response(costly, [1.0], "sender") == 0


def test_tie_break_only_among_receiver_optimal_actions() -> None:
    # The sender loves action 2, but the receiver strictly prefers 0 or 1 (tied).
    instance = Instance([1.0], [[0.0, 1.0, 9.0]], [[2.0, 2.0, 1.0]])
    assert best_response(instance, [1.0], "sender") == 1
    assert best_response(instance, [1.0], "receiver") == 0


def test_unknown_tie_break_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"^tie_break"):
        best_response(PAPER, [0.5, 0.5], "nobody")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^tie_break"):
        obey_actions(PAPER, BP_SCHEME, "nobody")  # type: ignore[arg-type]


# π0 and the disagreement point


def test_default_action_and_ignore_rule() -> None:
    # Under the prior, hiring pays −2/3 + 1/3 < 0: never hire.
    assert default_action(PAPER, "sender") == 0 and default_action(PAPER, "receiver") == 0
    assert ignore_rule(PAPER).tolist() == [[1.0, 0.0], [1.0, 0.0]]
    assert ignore_rule(PAPER, signals=3).tolist() == [[1.0, 0.0]] * 3
    assert disagreement_payoffs(PAPER) == Payoffs(0.0, 0.0)


def test_default_action_tie_changes_the_disagreement_point() -> None:
    assert default_action(INDIFFERENT, "sender") == 1
    assert default_action(INDIFFERENT, "receiver") == 0
    assert ignore_rule(INDIFFERENT, "sender").tolist() == [[0.0, 1.0], [0.0, 1.0]]
    assert ignore_rule(INDIFFERENT, "receiver").tolist() == [[1.0, 0.0], [1.0, 0.0]]
    # Hiring under the prior: the sender gets 1, the receiver 1/2·(−1) + 1/2·1 = 0.
    assert disagreement_payoffs(INDIFFERENT, "sender") == pytest.approx((1.0, 0.0), abs=1e-15)
    assert disagreement_payoffs(INDIFFERENT, "receiver") == pytest.approx((0.0, 0.0), abs=1e-15)


def test_prosecutor_disagreement_by_hand() -> None:
    # The judge acquits under the prior (acquittal is right 70 % of the time).
    instance = scenario("prosecutor")
    assert isinstance(instance, Instance)
    assert default_action(instance) == 0
    assert disagreement_payoffs(instance) == pytest.approx((0.0, 0.7), abs=1e-15)


# π1


def test_obey_actions_of_the_bp_scheme() -> None:
    assert obey_actions(PAPER, BP_SCHEME, "sender").tolist() == [0, 1]
    assert obey_actions(PAPER, BP_SCHEME, "receiver").tolist() == [0, 0]
    assert obey_rule(PAPER, BP_SCHEME, "sender").tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert obey_rule(PAPER, BP_SCHEME, "receiver").tolist() == [[1.0, 0.0], [1.0, 0.0]]


def test_obey_actions_for_unsent_signals_use_the_prior() -> None:
    scheme = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert obey_actions(PAPER, scheme).tolist() == [0, 1, 0]
    assert obey_actions(INDIFFERENT, scheme, "sender").tolist() == [0, 1, 1]
    assert obey_actions(INDIFFERENT, scheme, "receiver").tolist() == [0, 1, 0]
    assert obey_rule(PAPER, scheme).shape == (3, 2)


@pytest.mark.parametrize(
    ("scheme", "sender_tie", "receiver_tie"),
    [
        (BP_SCHEME, (2 / 3, 0.0), (0.0, 0.0)),
        (paper_scheme(0.0), (1 / 3, 1 / 3), (1 / 3, 1 / 3)),  # full disclosure
        (paper_scheme(0.25), (0.5, 1 / 6), (0.5, 1 / 6)),  # on the frontier: ((1+2·x1)/3, (1−2·x1)/3)
        (paper_scheme(0.75), (0.0, 0.0), (0.0, 0.0)),  # too much pooling: posterior 0.6 bad, no hire
        (paper_scheme(1.0), (0.0, 0.0), (0.0, 0.0)),  # no information
        (paper_scheme(0.0, 0.5), (1 / 6, 1 / 6), (1 / 6, 1 / 6)),  # half the good state hidden
    ],
)
def test_deal_payoffs_by_hand(
    scheme: NDArray[np.float64], sender_tie: tuple[float, float], receiver_tie: tuple[float, float]
) -> None:
    assert deal_payoffs(PAPER, scheme, "sender") == pytest.approx(sender_tie, abs=1e-12)
    assert deal_payoffs(PAPER, scheme, "receiver") == pytest.approx(receiver_tie, abs=1e-12)
    for tie_break in ("sender", "receiver"):
        via_rule = expected_utilities(PAPER, scheme, obey_rule(PAPER, scheme, tie_break))  # type: ignore[arg-type]
        assert via_rule == pytest.approx(deal_payoffs(PAPER, scheme, tie_break), abs=1e-14)  # type: ignore[arg-type]


def test_expected_utilities_of_the_ignore_rule() -> None:
    assert expected_utilities(PAPER, BP_SCHEME, ignore_rule(PAPER)) == pytest.approx((0.0, 0.0), abs=1e-15)
    assert expected_utilities(INDIFFERENT, BP_SCHEME, ignore_rule(INDIFFERENT, "sender")) == pytest.approx(
        (1.0, 0.0), abs=1e-15
    )


def test_expected_utilities_match_the_triple_sum_for_mixed_rules() -> None:
    rng = np.random.default_rng(5)
    for seed in range(5):
        instance = random_instance(3, 4, seed=seed, signals=5)
        scheme = rng.dirichlet(np.ones(5), size=3)
        rule = rng.dirichlet(np.ones(4), size=5)
        got = expected_utilities(instance, scheme, rule)
        assert isinstance(got, Payoffs)
        assert got == pytest.approx(reference_utilities(instance, scheme, rule), abs=1e-12)


def test_deal_payoffs_many_agrees_with_deal_payoffs() -> None:
    rng = np.random.default_rng(0)
    instance = random_instance(3, 3, seed=4)
    batch = rng.dirichlet(np.ones(3), size=(2, 5, 3))  # [2, 5, state, signal]
    batch[0, 0] = np.eye(3)
    batch[0, 1] = np.full((3, 3), 1 / 3)
    batch[0, 2] = [[1.0, 0.0, 0.0]] * 3  # two signals never sent
    for tie_break in ("sender", "receiver"):
        many = deal_payoffs_many(instance, batch, tie_break)  # type: ignore[arg-type]
        assert many.shape == (2, 5, 2)
        for index in np.ndindex(2, 5):
            assert tuple(many[index]) == pytest.approx(deal_payoffs(instance, batch[index], tie_break), abs=1e-13)  # type: ignore[arg-type]


def test_deal_payoffs_many_keeps_ties_of_the_paper_instance() -> None:
    batch = np.stack([BP_SCHEME, paper_scheme(0.25), paper_scheme(0.75)])
    assert deal_payoffs_many(PAPER, batch, "sender") == pytest.approx(
        np.array([[2 / 3, 0.0], [0.5, 1 / 6], [0.0, 0.0]]), abs=1e-12
    )
    assert deal_payoffs_many(PAPER, batch, "receiver") == pytest.approx(
        np.array([[0.0, 0.0], [0.5, 1 / 6], [0.0, 0.0]]), abs=1e-12
    )


# validate_scheme


def test_validate_scheme_accepts_and_normalises() -> None:
    checked = validate_scheme(PAPER, [[0.5, 0.5], [0.0, 1.0]])
    assert isinstance(checked, np.ndarray) and checked.dtype == np.float64
    assert np.array_equal(checked, BP_SCHEME)
    nearly = validate_scheme(PAPER, [[1.0 + 1e-12, -1e-12], [0.25, 0.75]])
    assert np.all(nearly >= 0) and np.allclose(nearly.sum(axis=1), 1.0, atol=1e-15)
    assert validate_scheme(PAPER, np.full((2, 3), 1 / 3), signals=3).shape == (2, 3)


@pytest.mark.parametrize(
    "scheme",
    [
        [[0.5, 0.5]],  # one row short
        [[0.5, 0.25, 0.25], [0.0, 0.0, 1.0]],  # three signals for a two-signal instance
        [0.5, 0.5],
        [[float("nan"), 1.0], [0.0, 1.0]],
        [[float("inf"), 0.0], [0.0, 1.0]],
        [[1.1, -0.1], [0.0, 1.0]],
        [[0.5, 0.4], [0.0, 1.0]],
        [[0.5, 0.6], [0.0, 1.0]],
        [[0.0, 0.0], [0.0, 1.0]],
    ],
)
def test_validate_scheme_errors(scheme: list[object]) -> None:
    with pytest.raises(SchemeError, match=r"^scheme"):
        validate_scheme(PAPER, scheme)  # type: ignore[arg-type]


def test_scheme_error_is_a_value_error() -> None:
    assert issubclass(SchemeError, ValueError)


# fit_signals


def test_fit_signals_drops_unused_signals_only_when_it_must_and_pads() -> None:
    scheme = np.array([[0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])
    assert fit_signals(scheme, 2).tolist() == [[0.5, 0.5], [0.0, 1.0]]
    # When the scheme fits, signal labels are kept (signal a still recommends action a).
    assert fit_signals(scheme, 4).tolist() == [[0.5, 0.0, 0.5, 0.0], [0.0, 0.0, 1.0, 0.0]]
    assert fit_signals(np.stack([scheme, scheme]), 2).tolist() == [[[0.5, 0.5], [0.0, 1.0]]] * 2
    # Dropping and padding signals changes no payoff: π1 reads posteriors, not labels.
    expected = (2 / 3, 0.0)
    assert deal_payoffs(PAPER, scheme) == pytest.approx(expected, abs=1e-12)
    assert deal_payoffs(PAPER, fit_signals(scheme, 2)) == pytest.approx(expected, abs=1e-12)
    assert deal_payoffs(PAPER, fit_signals(scheme, 4)) == pytest.approx(expected, abs=1e-12)


def test_fit_signals_rejects_too_few_signals() -> None:
    with pytest.raises(SchemeError, match=r"^scheme"):
        fit_signals(np.full((3, 3), 1 / 3), 2)


@pytest.mark.parametrize("tie_break", ["sender", "receiver"])
def test_obedient_receiver_one_scheme_and_batches_match_the_written_out_rule(tie_break: str) -> None:
    rng = np.random.default_rng(7)
    for seed in range(20):
        n_states, n_actions = 2 + seed % 3, 2 + seed % 2
        # Integer utilities and schemes on a coarse grid make exact ties common.
        instance = Instance(
            rng.dirichlet(np.ones(n_states)),
            rng.integers(-2, 3, size=(n_states, n_actions)),
            rng.integers(-2, 3, size=(n_states, n_actions)),
        )
        batch = rng.integers(0, 3, size=(4, 3, n_states, n_actions)).astype(float)
        batch[..., 0] += batch.sum(axis=-1) == 0  # every row must carry some mass
        batch /= batch.sum(axis=-1, keepdims=True)
        batch[0, 0] = np.eye(n_actions)[np.zeros(n_states, dtype=int)]  # every signal but the first unsent
        receiver = ObedientReceiver(instance, tie_break)  # type: ignore[arg-type]
        many_actions, many_payoffs = receiver.actions(batch), receiver.payoffs(batch)
        assert many_actions.shape == (4, 3, n_actions) and many_payoffs.shape == (4, 3, 2)
        for index in np.ndindex(4, 3):
            one = batch[index]
            expected_actions, expected_payoffs = reference_obeyed(instance, one, tie_break)
            assert receiver.actions(one).tolist() == expected_actions == many_actions[index].tolist()
            assert receiver.payoffs(one) == pytest.approx(expected_payoffs, abs=1e-12)
            assert np.array_equal(receiver.payoffs(one), many_payoffs[index])  # one code path, same bits
