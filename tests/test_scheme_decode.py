"""The ``"scheme"`` offer space's compiled decode (``infobargain.envs.scheme_kernels``) against the written-out rules:
the action mapping, the obedient receiver and the sender's answer to a receiver's threshold demand, written out in
``scheme_reference`` (the last from the polygon's exact geometry).

Hypothesis draws small-integer instances with integer-weighted priors and actions on a coarse grid as well as
anywhere in ``[-1, 1]``, so exact ties (and signals never sent) are common; both tie-breaks, obedience margins 0
and 0.05, both receiver-offer modes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.typing import NDArray
from scheme_reference import reference_choices, reference_obeyed, reference_scheme, reference_threshold_scheme

from infobargain.envs.offers import RECEIVER_OFFERS, SchemeOffers, schemes_from_actions, threshold_schemes
from infobargain.game import Instance
from infobargain.game.schemes import TIE_BREAKS, ObedientReceiver, fit_signals
from infobargain.theory import InfeasibleError, from_instance
from infobargain.theory.problem import BargainingProblem

PROPERTY = settings(max_examples=40, deadline=None)
MARGINS = (0.0, 0.05)
EVERY_DECODE = given(
    data=st.data(),
    tie_break=st.sampled_from(TIE_BREAKS),
    margin=st.sampled_from(MARGINS),
    receiver_offer=st.sampled_from(RECEIVER_OFFERS),
)
"""An instance (drawn in the test), a tie-break, a margin and a receiver-offer mode."""


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    n_states = draw(st.integers(1, 4))
    n_actions = draw(st.integers(2, 4))
    weights = draw(arrays(np.int64, n_states, elements=st.integers(1, 9)))
    bound = draw(st.sampled_from([1, 3]))  # utilities in {-1, 0, 1} make equal columns, hence ties, common
    table = arrays(np.int64, (n_states, n_actions), elements=st.integers(-bound, bound))
    signals = draw(st.sampled_from([None, n_actions + 1]))  # one per action, or one more (padded schemes)
    return Instance(weights / weights.sum(), draw(table), draw(table), signals=signals, name="integer")


def actions_for(instance: Instance, count: int | None = None) -> st.SearchStrategy[NDArray[np.float64]]:
    entries = st.one_of(st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0]), st.floats(-1.0, 1.0))
    size = 1 + instance.n_states * instance.signals
    return arrays(np.float64, size if count is None else (count, size), elements=entries)


def problem_of(instance: Instance, tie_break: str, margin: float) -> BargainingProblem:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tie_break="receiver" with margin 0 warns about unattained suprema
        try:
            return from_instance(instance, tie_break, margin)  # type: ignore[arg-type]
        except InfeasibleError:
            assume(False)  # a margin no action can meet: no game to decode
            raise


@PROPERTY
@EVERY_DECODE
def test_decode_equals_the_written_out_rules(
    data: st.DataObject, tie_break: str, margin: float, receiver_offer: str
) -> None:
    instance = data.draw(instances())
    problem = problem_of(instance, tie_break, margin)
    encoding = SchemeOffers(problem, instance, receiver_offer)  # type: ignore[arg-type]
    action = data.draw(actions_for(instance))
    demanded = reference_scheme(action, instance.n_states, instance.signals)
    _, own = reference_obeyed(instance, demanded, tie_break)

    sender = encoding.decode(action, "sender")
    assert sender.proposer == "sender" and sender.demanded is None
    assert np.array_equal(sender.scheme, demanded)  # type: ignore[arg-type]
    assert sender.payoffs == pytest.approx(own, abs=1e-12)

    receiver = encoding.decode(action, "receiver")
    assert receiver.proposer == "receiver"
    assert np.array_equal(receiver.demanded, demanded)  # type: ignore[arg-type]
    answer = reference_threshold_scheme(problem, own[1])
    if receiver_offer == "exact" or answer is None:
        assert np.array_equal(receiver.scheme, demanded)  # type: ignore[arg-type]
        assert receiver.payoffs == pytest.approx(own, abs=1e-12)
        return
    # The committed scheme is found by the sender's utility along the frontier: a demand that differs in its last
    # bit (the kernel sums in another order than the reference) moves it by that difference over the edge's height.
    expected = fit_signals(answer, instance.signals)
    assert np.allclose(receiver.scheme, expected, rtol=0.0, atol=1e-9)  # type: ignore[arg-type]
    _, committed = reference_obeyed(instance, receiver.scheme, tie_break)  # type: ignore[arg-type]
    assert receiver.payoffs == pytest.approx(committed, abs=1e-12)


@PROPERTY
@given(data=st.data(), tie_break=st.sampled_from(TIE_BREAKS))
def test_the_obedient_receiver_decides_as_the_written_out_rule(data: st.DataObject, tie_break: str) -> None:
    """Actions too. Where the receiver-tied actions are also tied for the sender up to rounding, the compiled rule
    (like the numpy one before it) lets rounding pick among them: any of those is accepted (they pay the same)."""
    instance = data.draw(instances())
    receiver = ObedientReceiver(instance, tie_break)  # type: ignore[arg-type]
    schemes = schemes_from_actions(data.draw(actions_for(instance, 4)), instance)
    actions, payoffs = receiver.actions(schemes), receiver.payoffs(schemes)
    for index, scheme in enumerate(schemes):
        choices = reference_choices(instance, scheme, tie_break)
        assert all(action in options for action, options in zip(actions[index].tolist(), choices, strict=True))
        assert payoffs[index] == pytest.approx(reference_obeyed(instance, scheme, tie_break)[1], abs=1e-12)


@PROPERTY
@given(data=st.data(), tie_break=st.sampled_from(TIE_BREAKS), margin=st.sampled_from(MARGINS))
def test_threshold_schemes_are_the_senders_best_answers(data: st.DataObject, tie_break: str, margin: float) -> None:
    instance = data.draw(instances())
    problem = problem_of(instance, tie_break, margin)
    frontier = problem.feasible.pareto_frontier()
    low, high = frontier[:, 1].min(), frontier[:, 1].max()
    levels = np.concatenate([np.linspace(low - 0.5, high + 0.5, 23), frontier[:, 1], [high + 1e-12, high + 1e-6]])
    schemes, feasible = threshold_schemes(problem, instance, levels)
    answers = [reference_threshold_scheme(problem, float(level)) for level in levels]
    assert feasible.tolist() == [answer is not None for answer in answers]
    assert feasible[levels <= high].all() and not feasible[levels > high + 1e-6 * max(1.0, abs(high))].any()
    for scheme, answer in zip(schemes[feasible], [a for a in answers if a is not None], strict=True):
        assert np.allclose(scheme, fit_signals(answer, instance.signals), rtol=0.0, atol=1e-9)
    assert np.isnan(schemes[~feasible]).all()


@PROPERTY
@EVERY_DECODE
def test_one_decode_gives_the_bits_of_the_batch_rules(
    data: st.DataObject, tie_break: str, margin: float, receiver_offer: str
) -> None:
    """The AEC env's one-call decode and the vector env's batch functions run the same compiled rules."""
    instance = data.draw(instances())
    problem = problem_of(instance, tie_break, margin)
    encoding = SchemeOffers(problem, instance, receiver_offer)  # type: ignore[arg-type]
    receiver = ObedientReceiver(instance, tie_break)  # type: ignore[arg-type]
    actions = data.draw(actions_for(instance, 6))
    schemes = schemes_from_actions(actions, instance)
    payoffs = receiver.payoffs(schemes)
    committed, feasible = threshold_schemes(problem, instance, payoffs[:, 1])
    for index, action in enumerate(actions):
        assert np.array_equal(schemes_from_actions(action, instance), schemes[index])
        sender = encoding.decode(action, "sender")
        assert np.array_equal(sender.scheme, schemes[index]) and np.array_equal(sender.payoffs, payoffs[index])  # type: ignore[arg-type]
        demand = encoding.decode(action, "receiver")
        if receiver_offer == "threshold" and feasible[index]:
            assert np.array_equal(demand.scheme, committed[index])  # type: ignore[arg-type]
            assert np.array_equal(demand.payoffs, receiver.payoffs(committed[index]))
        else:
            assert np.array_equal(demand.scheme, schemes[index]) and np.array_equal(demand.payoffs, payoffs[index])  # type: ignore[arg-type]


def test_actions_of_the_wrong_length_are_refused_before_compiled_code_reads_them() -> None:
    instance = Instance([0.5, 0.5], [[0.0, 1.0], [0.0, 1.0]], [[0.0, -1.0], [0.0, 1.0]])
    encoding = SchemeOffers(from_instance(instance), instance, "threshold")
    with pytest.raises(ValueError, match=r"^action: a 'scheme' action has shape \(5,\), got \(4,\)"):
        encoding.decode(np.zeros(4), "sender")
    with pytest.raises(ValueError, match=r"^actions: a 'scheme' action has 5 entries, got shape \(3, 6\)"):
        schemes_from_actions(np.zeros((3, 6)), instance)
