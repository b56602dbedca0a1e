"""Every number of docs/theory.md §5, derived by hand in the test and compared with the theory layer to 1e-9.

The paper's instance: weak/bad state with prior 2/3, excellent/good with 1/3; the sender always wants
action 1; the receiver gets −1 for action 1 in the bad state, +1 in the good state, 0 for action 0.
With ``x1 = φ(σ=1|s=0)`` and ``x2 = φ(σ=1|s=1)`` an obeyed scheme pays the sender the hiring probability
``(2·x1 + x2)/3`` and the receiver ``(x2 − 2·x1)/3``; obedience to signal 1 needs ``x2 ≥ 2·x1``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

import numpy as np
import pytest
from numpy.typing import ArrayLike, NDArray

from infobargain.game import PAPER_SCENARIOS, Instance, deal_payoffs, scenario, split_pie, split_pie_bounded
from infobargain.game.protocol import Protocol
from infobargain.theory import (
    BargainingProblem,
    advantages,
    bp_optimum,
    egalitarian,
    from_instance,
    from_pie,
    full_disclosure,
    ideal_point,
    kalai_smorodinsky,
    nash,
    receiver_optimum,
    rubinstein,
    solve,
    solve_protocol,
    subgame_perfect,
    ultimatum,
    utilitarian,
)

Role = Literal["sender", "receiver"]
TOL = 1e-9
THIRD, TWO_THIRDS = 1 / 3, 2 / 3


def close(actual: ArrayLike, expected: ArrayLike, tol: float = TOL) -> bool:
    return bool(np.allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), atol=tol, rtol=0))


def paper_scheme(x1: float, x2: float = 1.0) -> NDArray[np.float64]:
    return np.array([[1 - x1, x1], [1 - x2, x2]])


@pytest.fixture(params=PAPER_SCENARIOS)
def paper(request: pytest.FixtureRequest) -> tuple[Instance, BargainingProblem]:
    instance = scenario(request.param)
    assert isinstance(instance, Instance)
    return instance, from_instance(instance)


# The bargaining set


def test_feasible_polygon_is_the_triangle(paper: tuple[Instance, BargainingProblem]) -> None:
    _, problem = paper
    vertices = problem.feasible.vertices
    assert len(vertices) == 3
    expected = [(0.0, 0.0), (TWO_THIRDS, 0.0), (THIRD, THIRD)]  # counter-clockwise
    start = int(np.argmin(np.abs(vertices - expected[0]).max(axis=1)))
    assert close(np.roll(vertices, -start, axis=0), expected)
    assert problem.feasible.area() == pytest.approx(0.5 * TWO_THIRDS * THIRD, abs=TOL)  # positive: CCW


def test_disagreement_full_disclosure_and_bp(paper: tuple[Instance, BargainingProblem]) -> None:
    instance, problem = paper
    assert close(problem.d, (0.0, 0.0))
    disclosure = full_disclosure(instance)
    assert close(disclosure.payoffs, (THIRD, THIRD))
    assert close(disclosure.scheme, paper_scheme(0.0))  # x1 = 0, x2 = 1
    bp = bp_optimum(instance)
    assert close(bp.payoffs, (TWO_THIRDS, 0.0))
    assert close(bp.scheme, paper_scheme(0.5))  # x1 = 1/2, x2 = 1
    assert close(deal_payoffs(instance, bp.scheme), (TWO_THIRDS, 0.0))  # the receiver, indifferent, obeys
    assert close(receiver_optimum(instance).payoffs, (THIRD, THIRD))


def test_pareto_frontier(paper: tuple[Instance, BargainingProblem]) -> None:
    instance, problem = paper
    assert close(problem.feasible.pareto_frontier(), [(THIRD, THIRD), (TWO_THIRDS, 0.0)])
    for x1 in np.linspace(0.0, 0.5, 11):
        point = ((1 + 2 * x1) / 3, (1 - 2 * x1) / 3)
        assert close(deal_payoffs(instance, paper_scheme(x1)), point)
        # The frontier point pins the scheme down: U_S + U_R = 2·x2/3 = 2/3 gives x2 = 1, then x1.
        scheme = problem.scheme_for_point(point)
        assert close(scheme, paper_scheme(x1), 1e-7)
        assert close(deal_payoffs(instance, scheme), point, 1e-7)


def test_bargaining_solutions(paper: tuple[Instance, BargainingProblem]) -> None:
    _, problem = paper
    # Nash: maximise s·r on s + r = 2/3 with s ≥ 1/3 → s = r = 1/3 (full disclosure).
    assert close(nash(problem), (THIRD, THIRD))
    # Ideal point (2/3, 1/3); the ray t·(2/3, 1/3) meets s + r = 2/3 at t = 2/3.
    assert close(ideal_point(problem), (TWO_THIRDS, THIRD))
    assert close(kalai_smorodinsky(problem), (4 / 9, 2 / 9))
    # Equal gains on s + r = 2/3; the whole frontier ties for total utility, whose most balanced point is the same.
    assert close(egalitarian(problem), (THIRD, THIRD))
    assert close(utilitarian(problem), (THIRD, THIRD))


def test_advantages(paper: tuple[Instance, BargainingProblem]) -> None:
    _, problem = paper
    split = advantages(problem)
    assert split.informational == pytest.approx(THIRD, abs=TOL)  # receiver proposes: sender keeps 1/3 − d_S
    assert split.first_proposer == pytest.approx(THIRD, abs=TOL)  # 2/3 − 1/3


# Exact SPE by hand (docs/theory.md §3–4 on the triangle, in exact fractions)

F0, F13, F23 = Fraction(0), Fraction(1, 3), Fraction(2, 3)


def _sender_offer(receiver_floor: Fraction) -> tuple[Fraction, Fraction] | None:
    """The sender's best point of the triangle giving the receiver at least ``receiver_floor``.

    It lies on the edge (1/3, 1/3)–(2/3, 0), where s = 2/3 − r: the sender gives exactly the floor."""
    if receiver_floor <= 0:
        return (F23, F0)
    return (F23 - receiver_floor, receiver_floor) if receiver_floor <= F13 else None


def _receiver_offer(sender_floor: Fraction) -> tuple[Fraction, Fraction] | None:
    """The receiver's best point giving the sender at least ``sender_floor``: the apex (1/3, 1/3) if it
    is enough, else the edge point s = floor, r = 2/3 − floor."""
    if sender_floor <= F13:
        return (F13, F13)
    return (sender_floor, F23 - sender_floor) if sender_floor <= F23 else None


def hand_spe(
    rounds: int, first: Role, alternating: bool, p: Fraction, delta: Fraction = Fraction(1)
) -> tuple[tuple[Fraction, Fraction], bool]:
    """Backward induction on the paper's triangle with d = (0, 0): returns (V_0, deal in round 0)."""
    value: tuple[Fraction, Fraction] | None = None
    deal = False
    for t in reversed(range(rounds)):
        proposer = first if not alternating or t % 2 == 0 else ("receiver" if first == "sender" else "sender")
        # After a rejection: d = 0 in the last round, else p·0 + (1 − p)·δ·V_{t+1}.
        rejection = (F0, F0) if value is None else ((1 - p) * delta * value[0], (1 - p) * delta * value[1])
        me = 0 if proposer == "sender" else 1
        offer = _sender_offer(rejection[1]) if me == 0 else _receiver_offer(rejection[0])
        deal = offer is not None and offer[me] >= rejection[me]
        value = offer if deal else rejection  # type: ignore[assignment]
    assert value is not None
    return value, deal


P = Fraction(1, 10)
# (protocol, rounds, first proposer, the figures docs/theory.md §5 prints)
TABLE: list[tuple[str, int, Role, tuple[float, float]]] = [
    ("ultimatum", 1, "sender", (TWO_THIRDS, 0.0)),
    ("ultimatum", 1, "receiver", (THIRD, THIRD)),
    ("fixed_role", 5, "sender", (TWO_THIRDS, 0.0)),
    ("fixed_role", 5, "receiver", (THIRD, THIRD)),
    ("alternating", 10, "sender", (0.366667, 0.300000)),
    ("alternating", 10, "receiver", (0.438133, 0.228534)),
]


def test_hand_backward_induction_reproduces_the_exact_fractions() -> None:
    # A check of the test's own arithmetic: sender first is (11/30, 3/10) exactly.
    assert hand_spe(10, "sender", True, P) == ((Fraction(11, 30), Fraction(3, 10)), True)
    value, deal = hand_spe(10, "receiver", True, P)
    assert deal and value[0] + value[1] == F23  # on the frontier


@pytest.mark.parametrize(("name", "rounds", "first", "printed"), TABLE)
def test_spe_table(
    paper: tuple[Instance, BargainingProblem], name: str, rounds: int, first: Role, printed: tuple[float, float]
) -> None:
    _, problem = paper
    protocol = Protocol(name, first, rounds, 0.1, 1.0)  # type: ignore[arg-type]
    outcome = subgame_perfect(problem, protocol, first)
    exact, deal = hand_spe(protocol.rounds, first, name == "alternating", P)
    assert deal
    assert close(outcome.payoffs, [float(v) for v in exact])
    assert np.abs(np.array(outcome.payoffs) - printed).max() <= 5e-7  # the printed six digits
    assert outcome.agreement_round == 0 and outcome.deal_probability == 1.0  # agreed at once
    assert outcome.first_proposer == first
    assert len(outcome.plan) == protocol.rounds
    if name == "ultimatum":
        assert close(ultimatum(problem, first), printed)


def test_coin_flip_expects_the_average(paper: tuple[Instance, BargainingProblem]) -> None:
    _, problem = paper
    solution = solve_protocol(problem, Protocol("alternating", "coin_flip", 10, 0.1, 1.0))
    assert set(solution.outcomes) == {"sender", "receiver"}
    sender_first, _ = hand_spe(10, "sender", True, P)
    receiver_first, _ = hand_spe(10, "receiver", True, P)
    expected = [float((sender_first[k] + receiver_first[k]) / 2) for k in range(2)]
    assert close(solution.expected, expected)


@pytest.mark.parametrize(("p", "delta"), [(0.1, 1.0), (0.05, 1.0), (0.3, 1.0), (0.1, 0.9), (0.0, 0.8)])
def test_infinite_horizon(paper: tuple[Instance, BargainingProblem], p: float, delta: float) -> None:
    _, problem = paper
    # Stationary offers with δ' = (1 − p)·δ and d = 0: the sender leaves the receiver δ'·(its own proposal's 1/3),
    # so it keeps 2/3 − δ'/3; the receiver's apex (1/3, 1/3) already gives the sender more than δ'·(2 − δ')/3.
    factor = (1 - p) * delta
    outcome = rubinstein(problem, p, delta)
    assert outcome.sender_first is not None and outcome.receiver_first is not None
    assert close(outcome.sender_first, ((2 - factor) / 3, factor / 3))
    assert close(outcome.receiver_first, (THIRD, THIRD))
    if delta == 1.0:
        assert close(outcome.sender_first, ((1 + p) / 3, (1 - p) / 3))  # docs/theory.md's form


def test_infinite_horizon_printed_figures(paper: tuple[Instance, BargainingProblem]) -> None:
    _, problem = paper
    outcome = rubinstein(problem, 0.1)
    assert outcome.sender_first is not None
    assert abs(outcome.sender_first.sender - 0.3667) <= 5e-5 and abs(outcome.sender_first.receiver - 0.3) <= 5e-5


def test_solve_reports_the_paper_numbers(paper: tuple[Instance, BargainingProblem]) -> None:
    instance, _ = paper
    report = solve(instance, Protocol(first_proposer="coin_flip"))
    assert close([report["bp_optimum"]["sender"], report["bp_optimum"]["receiver"]], (TWO_THIRDS, 0.0))
    assert close(report["bp_optimum"]["scheme"], paper_scheme(0.5), 1e-7)
    assert close([report["nash"]["sender"], report["nash"]["receiver"]], (THIRD, THIRD))
    assert close([report["kalai_smorodinsky"]["sender"], report["kalai_smorodinsky"]["receiver"]], (4 / 9, 2 / 9))
    spe = report["spe"]
    assert close([spe["sender_first"]["sender"], spe["sender_first"]["receiver"]], (11 / 30, 0.3))
    exact, _ = hand_spe(10, "receiver", True, P)
    assert close([spe["receiver_first"]["sender"], spe["receiver_first"]["receiver"]], [float(v) for v in exact])
    assert report["advantages"]["informational"] == pytest.approx(THIRD, abs=TOL)
    assert report["advantages"]["first_proposer"] == pytest.approx(THIRD, abs=TOL)
    infinite = report["infinite_horizon"]
    assert close([infinite["sender_first"]["sender"], infinite["sender_first"]["receiver"]], (1.1 / 3, 0.9 / 3))


# Split-the-pie bargaining


def hand_pie_first_share(rounds: int, factor: float) -> float:
    """Alternating offers over a unit pie, rejection worth 0: the last proposer keeps everything and each
    earlier proposer leaves the responder exactly ``factor`` times what it would get as next proposer."""
    share = 1.0
    for _ in range(rounds - 1):
        share = 1.0 - factor * share
    return share


def test_split_pie_ultimatum_gives_the_proposer_everything() -> None:
    problem = from_pie(split_pie())
    assert close(ultimatum(problem, "sender"), (1.0, 0.0))
    assert close(ultimatum(problem, "receiver"), (0.0, 1.0))


def test_split_pie_alternating_ten_rounds() -> None:
    problem = from_pie(split_pie())
    expected = (1 - 0.9**10) / 1.9
    assert hand_pie_first_share(10, 0.9) == pytest.approx(expected, abs=1e-15)
    for first, me in (("sender", 0), ("receiver", 1)):
        outcome = subgame_perfect(problem, Protocol("alternating", first, 10, 0.1, 1.0), first)  # type: ignore[arg-type]
        assert outcome.payoffs[me] == pytest.approx(expected, abs=TOL)
        assert outcome.payoffs[1 - me] == pytest.approx(1 - expected, abs=TOL)
        assert abs(outcome.payoffs[me] - 0.342801) <= 5e-7
        assert outcome.agreement_round == 0


def test_split_pie_infinite_horizon() -> None:
    outcome = rubinstein(from_pie(split_pie()), 0.1)
    assert outcome.sender_first is not None and outcome.receiver_first is not None
    assert close(outcome.sender_first, (1 / 1.9, 0.9 / 1.9))
    assert close(outcome.receiver_first, (0.9 / 1.9, 1 / 1.9))
    assert abs(outcome.sender_first.sender - 0.526316) <= 5e-7


def test_bounded_pie_first_offer_is_rejected() -> None:
    problem = from_pie(split_pie_bounded())
    # Last round: the proposer takes x = 1/2, i.e. (2/3, 0). One round earlier the responder's continuation
    # 0.9·2/3 = 0.6 exceeds the 1/3 anyone can offer, so the offer fails; then the pattern repeats.
    for first, me in (("sender", 0), ("receiver", 1)):
        outcome = subgame_perfect(problem, Protocol("alternating", first, 10, 0.1, 1.0), first)  # type: ignore[arg-type]
        assert outcome.payoffs[me] == pytest.approx(0.0, abs=TOL)
        assert outcome.payoffs[1 - me] == pytest.approx(0.6, abs=TOL)
        assert outcome.agreement_round == 1
        assert outcome.deal_probability == pytest.approx(0.9, abs=1e-12)
        assert not outcome.plan[0].deal and outcome.plan[1].deal
        assert close(outcome.plan[1].offer[[1 - me, me]], (TWO_THIRDS, 0.0))


def test_bounded_pie_infinite_horizon_has_no_unique_outcome() -> None:
    outcome = rubinstein(from_pie(split_pie_bounded()), 0.1)
    assert outcome.sender_first is None and outcome.receiver_first is None
    assert "equilibri" in outcome.reason


def test_bounded_pie_infinite_horizon_below_one_half() -> None:
    # δ' = 0.4: the stationary proposer keeps x with x = 2/3 − δ'·x, i.e. x = 2/(3·(1 + δ')), and the responder
    # gets δ'·x ≤ 1/3, an offer it can be made.
    outcome = rubinstein(from_pie(split_pie_bounded()), 0.6)
    keep = 2 / (3 * 1.4)
    assert outcome.sender_first is not None and outcome.receiver_first is not None
    assert close(outcome.sender_first, (keep, 0.4 * keep))
    assert close(outcome.receiver_first, (0.4 * keep, keep))


# Kamenica–Gentzkow's prosecutor

PROSECUTOR_BP_SCHEME = np.array([[0.0, 1.0], [4 / 7, 3 / 7]])  # [state: guilty, innocent][signal: acquit, convict]


@pytest.fixture
def prosecutor() -> tuple[Instance, BargainingProblem]:
    instance = scenario("prosecutor")
    assert isinstance(instance, Instance)
    return instance, from_instance(instance)


def test_prosecutor_by_hand(prosecutor: tuple[Instance, BargainingProblem]) -> None:
    instance, _ = prosecutor
    # Guilty defendants (0.3) always get "convict"; innocent ones (0.7) get it with probability 3/7, i.e. mass 0.3.
    # After "convict" the posterior is 0.3/(0.3 + 0.3) = 1/2 guilty: the judge is indifferent and convicts.
    # Conviction probability 0.6; the judge is right for the 0.3 guilty and the 0.7·4/7 = 0.4 acquitted innocent.
    assert close(deal_payoffs(instance, PROSECUTOR_BP_SCHEME), (0.6, 0.7))
    bp = bp_optimum(instance)
    assert close(bp.payoffs, (0.6, 0.7))
    assert close(bp.scheme, PROSECUTOR_BP_SCHEME)


def test_prosecutor_bargaining_set(prosecutor: tuple[Instance, BargainingProblem]) -> None:
    _, problem = prosecutor
    # With g = x(guilty, convict) ≤ 0.3 and i = x(innocent, convict) ≤ g (obedience to "convict"):
    # U = (g + i, 0.7 + g − i), the triangle with vertices (0, 0.7), (0.3, 1.0), (0.6, 0.7).
    assert close(problem.d, (0.0, 0.7))
    vertices = problem.feasible.vertices
    expected = [(0.0, 0.7), (0.6, 0.7), (0.3, 1.0)]  # counter-clockwise
    start = int(np.argmin(np.abs(vertices - expected[0]).max(axis=1)))
    assert len(vertices) == 3 and close(np.roll(vertices, -start, axis=0), expected)
    assert close(problem.feasible.pareto_frontier(), [(0.3, 1.0), (0.6, 0.7)])
    # Nash: maximise s·(r − 0.7) on s + r = 1.3 → s = 0.3. Ideal (0.6, 1.0); the ray (0.6t, 0.7 + 0.3t) meets
    # s + r = 1.3 at t = 2/3 → (0.4, 0.9).
    assert close(nash(problem), (0.3, 1.0))
    assert close(kalai_smorodinsky(problem), (0.4, 0.9))
    assert close(receiver_optimum(problem.instance).payoffs, (0.3, 1.0))  # type: ignore[arg-type]
    split = advantages(problem)
    assert split.informational == pytest.approx(0.3, abs=TOL) and split.first_proposer == pytest.approx(0.3, abs=TOL)
