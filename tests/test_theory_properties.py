"""Properties of the theory layer that hold on every instance (docs/theory.md §2–4), tested with hypothesis.

Instances are either ``random_instance`` draws (generic: no ties) or small-integer utilities with an
integer-weighted prior (degenerate: ties, duplicate and dominated actions), up to 6 states × 6 actions.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.typing import NDArray

from infobargain.game import (
    Instance,
    deal_payoffs,
    disagreement_payoffs,
    expected_utilities,
    random_instance,
    split_pie,
    validate_scheme,
)
from infobargain.game.protocol import Protocol
from infobargain.game.schemes import deal_payoffs_many
from infobargain.theory import (
    BargainingProblem,
    InfeasibleError,
    ObedienceLP,
    bp_optimum,
    from_instance,
    from_pie,
    full_disclosure,
    ideal_point,
    nash,
    receiver_optimum,
    rubinstein,
    sender_best_scheme,
    subgame_perfect,
    ultimatum,
)

PROPERTY = settings(max_examples=40, deadline=None)
SLOW_PROPERTY = settings(max_examples=20, deadline=None)


@st.composite
def instances(draw: st.DrawFn, max_states: int = 6, max_actions: int = 6) -> Instance:
    n_states = draw(st.integers(1, max_states))
    n_actions = draw(st.integers(2, max_actions))
    if draw(st.booleans()):
        return random_instance(n_states, n_actions, seed=draw(st.integers(0, 2**32 - 1)))
    weights = draw(arrays(np.int64, n_states, elements=st.integers(1, 9)))
    table = arrays(np.int64, (n_states, n_actions), elements=st.integers(-3, 3))
    return Instance(weights / weights.sum(), draw(table), draw(table), name="integer")


def scale(instance: Instance) -> float:
    return max(1.0, float(np.abs(instance.sender_utility).max()), float(np.abs(instance.receiver_utility).max()))


def obedience_slack(instance: Instance, scheme: NDArray[np.float64], margin: float = 0.0) -> float:
    """``min over a ≠ a' of Σ_s μ0(s) φ(a|s) [u_R(s, a) − u_R(s, a') − margin]`` with signal a recommending a
    (docs/theory.md §2; the margin is weighted by the signal's probability, as in the LP)."""
    joint = instance.prior[:, None] * scheme
    utility = instance.receiver_utility
    slack = np.inf
    for a in range(instance.n_actions):
        for other in range(instance.n_actions):
            if other != a:
                slack = min(slack, float(joint[:, a] @ (utility[:, a] - utility[:, other] - margin)))
    return slack


def full_information_value(instance: Instance) -> float:
    return float(instance.prior @ instance.receiver_utility.max(axis=1))


def random_schemes(instance: Instance, seed: int, count: int, signals: int) -> NDArray[np.float64]:
    """Dirichlet schemes, half of them sparse (deterministic rows), ``[count, state, signal]``."""
    rng = np.random.default_rng(seed)
    schemes = rng.dirichlet(np.full(signals, 0.5), size=(count, instance.n_states))
    sparse = np.eye(signals)[rng.integers(0, signals, size=(count // 2, instance.n_states))]
    schemes[: count // 2] = sparse
    return schemes


def frontier_sample(problem: BargainingProblem, per_edge: int) -> NDArray[np.float64]:
    frontier = problem.feasible.pareto_frontier()
    if len(frontier) == 1:
        return frontier
    t = np.linspace(0.0, 1.0, per_edge)[:, None]
    return np.vstack([a + t * (b - a) for a, b in itertools.pairwise(frontier)])


def test_frontier_of_an_indifferent_receiver_is_one_point() -> None:
    """The receiver gets 1 whatever happens, so every scheme is obedient and U = [5/6, 1] × {1}: the sender gets
    1 unless state 0 (prior 1/6) meets action 0. Only (1, 1) is Pareto efficient."""
    sender = np.ones((6, 6))
    sender[0, 0] = 0.0
    instance = Instance(np.full(6, 1 / 6), sender, np.ones((6, 6)))
    problem = from_instance(instance)
    assert np.allclose(np.sort(problem.feasible.vertices[:, 0]), [5 / 6, 1.0], atol=1e-9)
    frontier = problem.feasible.pareto_frontier()
    assert np.allclose(frontier, [(1.0, 1.0)], atol=1e-9)
    assert np.allclose(deal_payoffs(instance, problem.scheme_for_point(frontier[0])), (1.0, 1.0), atol=1e-9)


# Persuasion


@PROPERTY
@given(instances(), st.integers(0, 2**32 - 1))
def test_bp_value_beats_every_scheme(instance: Instance, seed: int) -> None:
    best = bp_optimum(instance).payoffs.sender
    tolerance = 1e-9 * scale(instance)
    for signals in (instance.signals, instance.signals + 2):
        schemes = random_schemes(instance, seed, 40, signals)
        for tie_break in ("sender", "receiver"):
            values = deal_payoffs_many(instance, schemes, tie_break)  # type: ignore[arg-type]
            assert values[:, 0].max() <= best + tolerance


@PROPERTY
@given(instances(), st.integers(0, 2**32 - 1))
def test_receiver_between_disagreement_and_full_information(instance: Instance, seed: int) -> None:
    problem = from_instance(instance)
    tolerance = 1e-9 * scale(instance)
    d_receiver = disagreement_payoffs(instance).receiver
    ceiling = full_information_value(instance)
    # Every obedient scheme: the polygon's vertices bound the whole set.
    receiver = problem.feasible.vertices[:, 1]
    assert receiver.min() >= d_receiver - tolerance
    assert receiver.max() <= ceiling + tolerance
    # Full disclosure attains the ceiling, so it is the top of the polygon.
    assert full_disclosure(instance).payoffs.receiver == pytest.approx(ceiling, abs=tolerance)
    assert receiver.max() == pytest.approx(ceiling, abs=1e-7 * scale(instance))
    # Random obedient schemes: convex mixtures of the vertex schemes, the receiver following recommendations.
    rng = np.random.default_rng(seed)
    identity = np.eye(instance.n_actions)
    for _ in range(10):
        weights = rng.dirichlet(np.full(len(problem.vertex_schemes), 0.5))
        scheme = sum(w * s for w, s in zip(weights, problem.vertex_schemes, strict=True))
        assert obedience_slack(instance, np.asarray(scheme)) >= -tolerance
        payoffs = expected_utilities(instance, np.asarray(scheme), identity)
        assert d_receiver - tolerance <= payoffs.receiver <= ceiling + tolerance
    # Any scheme whatsoever, the receiver best-responding (π1): information never hurts it.
    for scheme_payoffs in deal_payoffs_many(instance, random_schemes(instance, seed, 30, instance.signals + 1)):
        assert d_receiver - tolerance <= scheme_payoffs[1] <= ceiling + tolerance


@PROPERTY
@given(instances())
def test_polygon_is_convex_counter_clockwise_and_exact(instance: Instance) -> None:
    problem = from_instance(instance)
    vertices = problem.feasible.vertices
    tolerance = 1e-9 * scale(instance)
    if len(vertices) >= 3:
        edges = np.roll(vertices, -1, axis=0) - vertices
        turns = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
        assert np.all(turns > 0)  # every turn is a strict left turn: convex, counter-clockwise, no collinear vertex
        assert problem.feasible.area() > 0
    assert problem.feasible.contains(problem.d)
    frontier = problem.feasible.pareto_frontier()
    assert np.all(np.diff(frontier[:, 0]) > 0) and np.all(np.diff(frontier[:, 1]) < 0)
    # Exactness: in any direction the polygon's support equals the obedience LP's optimum (no sampling).
    lp = ObedienceLP(instance)
    rng = np.random.default_rng(len(vertices))
    for angle in [*rng.uniform(0, 2 * np.pi, 12), 0.0, np.pi / 2, np.pi, 3 * np.pi / 2]:
        direction = np.array([np.cos(angle), np.sin(angle)])
        assert float((vertices @ direction).max()) == pytest.approx(
            float(lp.maximize(*direction).point @ direction), abs=tolerance * 10
        )


@PROPERTY
@given(instances())
def test_every_frontier_point_has_an_obedient_scheme(instance: Instance) -> None:
    problem = from_instance(instance)
    tolerance = 1e-9 * scale(instance)
    frontier = problem.feasible.pareto_frontier()
    points = list(frontier) + [(a + b) / 2 for a, b in itertools.pairwise(frontier)]
    for point in points:
        scheme = problem.scheme_for_point(point)
        validate_scheme(instance, scheme)
        assert obedience_slack(instance, scheme) >= -tolerance
        assert np.abs(np.array(deal_payoffs(instance, scheme)) - point).max() <= 1e-7
    for scheme in problem.vertex_schemes:
        assert obedience_slack(instance, scheme) >= -tolerance


@PROPERTY
@given(instances(), st.floats(0.0, 1.0))
def test_persuasion_lps_agree_with_the_polygon(instance: Instance, level: float) -> None:
    problem = from_instance(instance)
    polygon = problem.feasible
    d = problem.disagreement
    tolerance = 1e-7 * scale(instance)

    def check(found: object, expected: NDArray[np.float64]) -> None:
        payoffs, scheme = found  # type: ignore[misc]
        assert np.abs(np.array(payoffs) - expected).max() <= tolerance
        assert obedience_slack(instance, scheme) >= -1e-9 * scale(instance)
        assert np.abs(np.array(deal_payoffs(instance, scheme)) - expected).max() <= tolerance

    best = polygon.best_for(0)
    assert best is not None
    check(bp_optimum(instance), best.point)
    own = polygon.best_for(1, d.sender)
    assert own is not None
    check(receiver_optimum(instance), own.point)
    low, high = polygon.vertices[:, 1].min(), polygon.vertices[:, 1].max()
    threshold = low + level * (high - low)
    constrained = polygon.best_for(0, threshold)
    assert constrained is not None
    check(sender_best_scheme(instance, threshold), constrained.point)
    assert polygon.best_for(0, high + 1e-3) is None
    with pytest.raises(InfeasibleError, match="U_R >="):
        sender_best_scheme(instance, high + 1e-3)


def test_polygon_of_a_constant_sender_utility_is_a_vertical_segment() -> None:
    """A sender indifferent to everything: U = {−1} × [d_R, full-information value].

    Hiring (action 0) pays the receiver −1, +1, 0, 0 in the four states; under the prior it is worth
    −1/2 + 1/6 < 0, so d = (−1, 0); with full information the receiver hires in state 1 only: 1/6.
    """
    instance = Instance([0.5, 1 / 6, 1 / 6, 1 / 6], -np.ones((4, 2)), [[-1.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    problem = from_instance(instance)
    vertices = problem.feasible.vertices[np.argsort(problem.feasible.vertices[:, 1])]
    assert np.allclose(vertices, [(-1.0, 0.0), (-1.0, 1 / 6)], atol=1e-9)
    assert np.allclose(receiver_optimum(instance).payoffs, (-1.0, 1 / 6), atol=1e-9)
    assert np.allclose(ultimatum(problem, "receiver"), (-1.0, 1 / 6), atol=1e-9)
    assert np.allclose(nash(problem), (-1.0, 1 / 6), atol=1e-9)  # degenerate: the utilitarian point


# Bargaining solutions and protocols


@PROPERTY
@given(instances())
def test_nash_point_maximises_the_nash_product(instance: Instance) -> None:
    problem = from_instance(instance)
    d = problem.d
    point = nash(problem)
    tolerance = 1e-9 * scale(instance)
    assert problem.feasible.contains(point) and np.all(point >= d - tolerance)
    sample = np.vstack([frontier_sample(problem, 200), problem.feasible.vertices])
    rational = sample[np.all(sample >= d - tolerance, axis=1)]
    assert len(rational) > 0  # d is feasible and some frontier point dominates it
    products = np.prod(np.clip(rational - d, 0.0, None), axis=1)
    assert np.prod(point - d) >= products.max() - 1e-12 * scale(instance) ** 2


@pytest.mark.slow
@SLOW_PROPERTY
@given(instances())
def test_alternating_offers_tend_to_the_nash_point(instance: Instance) -> None:
    """As the continuation factor δ' = 1 − p tends to 1 the SPE tends to the Nash point.

    Tolerance: with gains g = u − d, the stationary sender-first offer x and receiver-first offer y satisfy
    g_R(x) ≥ (1 − p)·g_R(y) and g_S(y) ≥ (1 − p)·g_S(x), with equality unless the proposer's favourite point is
    already acceptable. Both lie on the Pareto frontier and the Nash product is unimodal along it (the log of a
    concave function is concave), with equal products at x and y when both constraints bind; so the Nash point
    lies between them and each coordinate of x and y is within p·max(ideal − d) of it. The finite game with T
    rounds differs from the stationary one by a contraction of factor δ'² per two rounds: (1 − 0.02)^1500 < 1e-13.
    """
    problem = from_instance(instance)
    target = nash(problem)
    spread = float(np.max(ideal_point(problem) - problem.d))
    for p in (1e-3, 1e-2):
        outcome = rubinstein(problem, break_off=p)
        assert outcome.sender_first is not None and outcome.receiver_first is not None
        for payoffs in (outcome.sender_first, outcome.receiver_first):
            assert np.abs(np.array(payoffs) - target).max() <= p * spread + 1e-9 * scale(instance)
    p, rounds = 0.02, 1500
    for first in ("sender", "receiver"):
        finite = subgame_perfect(problem, Protocol("alternating", first, rounds, p, 1.0), first)  # type: ignore[arg-type]
        assert np.abs(np.array(finite.payoffs) - target).max() <= p * spread + 1e-9 * scale(instance)


@PROPERTY
@given(instances())
def test_one_round_is_the_ultimatum(instance: Instance) -> None:
    problem = from_instance(instance)
    d = problem.disagreement
    sender_best = problem.feasible.best_for(0, d.receiver)
    receiver_best = problem.feasible.best_for(1, d.sender)
    assert sender_best is not None and receiver_best is not None  # d itself qualifies
    expected = {"sender": sender_best.point, "receiver": receiver_best.point}
    for first in ("sender", "receiver"):
        for name in ("ultimatum", "fixed_role", "alternating"):
            outcome = subgame_perfect(problem, Protocol(name, first, 1, 0.1, 1.0), first)  # type: ignore[arg-type]
            assert np.abs(np.array(outcome.payoffs) - expected[first]).max() <= 1e-12 * scale(instance)
            assert outcome.agreement_round == 0
        assert np.abs(np.array(ultimatum(problem, first)) - expected[first]).max() <= 1e-12 * scale(instance)  # type: ignore[arg-type]
    assert np.abs(np.array(ultimatum(problem, "sender")) - np.array(bp_optimum(instance).payoffs)).max() <= 1e-7


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.floats(0.05, 1.0), st.sampled_from(["sender", "receiver"]))
def test_split_pie_backward_induction_closed_form(rounds: int, delta: float, first: str) -> None:
    problem = from_pie(split_pie())
    me = 0 if first == "sender" else 1
    expected = (1 - (-delta) ** rounds) / (1 + delta)
    discounted = subgame_perfect(problem, Protocol("alternating", first, rounds, 0.0, delta), first)  # type: ignore[arg-type]
    assert discounted.payoffs[me] == pytest.approx(expected, abs=1e-9)
    assert discounted.payoffs[1 - me] == pytest.approx(1 - expected, abs=1e-9)
    assert discounted.agreement_round == 0
    # Breakdown with probability p after each rejection is the same continuation factor 1 − p.
    if delta < 1.0:
        broken = subgame_perfect(problem, Protocol("alternating", first, rounds, 1.0 - delta, 1.0), first)  # type: ignore[arg-type]
        assert broken.payoffs[me] == pytest.approx(expected, abs=1e-9)


# Tie-break and obedience margin


def test_receiver_tie_break_without_margin_warns() -> None:
    with pytest.warns(UserWarning, match="obedience_margin"):
        from_instance(random_instance(2, 2, seed=0), "receiver", 0.0)


def test_disagreement_changes_only_through_the_default_action_tie() -> None:
    # Uniform prior on the paper's utilities: hiring and not hiring tie under the prior.
    instance = Instance([0.5, 0.5], [[0.0, 1.0], [0.0, 1.0]], [[0.0, -1.0], [0.0, 1.0]])
    assert np.allclose(from_instance(instance, "sender", 0.0).d, (1.0, 0.0), atol=1e-15)
    for margin in (0.01, 0.1):
        assert np.allclose(from_instance(instance, "sender", margin).d, (1.0, 0.0), atol=1e-15)
        assert np.allclose(from_instance(instance, "receiver", margin).d, (0.0, 0.0), atol=1e-15)


@PROPERTY
@given(instances(), st.sampled_from([1e-3, 1e-2, 5e-2]), st.sampled_from(["sender", "receiver"]))
def test_obedience_margin_shrinks_the_polygon(instance: Instance, relative_margin: float, tie_break: str) -> None:
    margin = relative_margin * scale(instance)
    plain = from_instance(instance)
    try:
        strict = from_instance(instance, tie_break, margin)  # type: ignore[arg-type]
    except InfeasibleError:
        # No scheme is obedient by the margin: then not even full disclosure is, so some state's best action
        # must fail to beat another by the margin.
        gaps = np.sort(instance.receiver_utility, axis=1)
        assert np.any(gaps[:, -1] - gaps[:, -2] < margin)
        return
    tolerance = 1e-9 * scale(instance)
    for vertex in strict.feasible.vertices:
        assert plain.feasible.contains(vertex, tolerance)
    # d depends on the tie-break of the default action only, never on the margin.
    assert strict.disagreement == disagreement_payoffs(instance, tie_break)  # type: ignore[arg-type]
    assert strict.disagreement == from_instance(instance, tie_break, 0.5 * margin).disagreement  # type: ignore[arg-type]
    prior_values = instance.prior @ instance.receiver_utility
    if np.sum(prior_values >= prior_values.max() - 1e-12) == 1:
        assert strict.disagreement == plain.disagreement  # no tie under the prior: the tie-break is moot
    assert strict.feasible.best_for(0).point[0] <= plain.feasible.best_for(0).point[0] + tolerance  # type: ignore[union-attr]
    # The margin polygon's frontier is attained by schemes obedient by the margin, so that the receiver's best
    # responses are strict and either tie-break reproduces the point; d is attained by no information under
    # the problem's own tie-break.
    for point in strict.feasible.pareto_frontier():
        scheme = strict.scheme_for_point(point)
        rules = ("sender", "receiver")
        if np.abs(point - strict.d).max() > tolerance:
            assert obedience_slack(instance, scheme, margin) >= -tolerance
        else:
            rules = (tie_break,)  # type: ignore[assignment]
        for rule in rules:
            assert np.abs(np.array(deal_payoffs(instance, scheme, rule)) - point).max() <= 1e-7  # type: ignore[arg-type]
