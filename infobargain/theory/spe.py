"""Exact subgame-perfect outcomes of the bargaining protocols (docs/theory.md §3–4), on any bargaining problem.

**Backward induction.** Let ``C_t`` be what both players expect, in round-``t`` units, after a rejection in
round ``t``: ``d`` in the last round, else ``p·d + (1 − p)·δ·V_{t+1}``. The proposer of round ``t`` offers
its lexicographically best point of its offer set subject to the responder getting at least
``C_t[responder]`` (so the offer is Pareto efficient); if that point is worth less to the proposer than
``C_t[proposer]``, or no point meets the constraint, it makes no acceptable offer and ``V_t = C_t``. A
proposer indifferent between a deal and delay makes the deal. ``C_t`` and every indifference test come from
the game core (:func:`infobargain.game.state.rejection_value`, :func:`infobargain.game.state.at_least`), the
rules the environments and players use.

**Infinite horizon.** The Rubinstein outcome is the limit of the finite-horizon outcome as the number
of rounds grows. The limit is found by iterating the two stationary offers and finished exactly by
solving the affine equations of the pieces (vertex, edge or no-deal) the offers settle on. When the
finite-horizon outcome keeps depending on the parity of the horizon (e.g. the bounded pie with
continuation factor above 1/2), the game has several equilibria and no single outcome is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from infobargain.game import protocol as _protocol
from infobargain.game.limits import check_bargaining_tree
from infobargain.game.protocol import ROLE_INDEX, ROLES, FirstProposer, Protocol, Role, other
from infobargain.game.schemes import Payoffs
from infobargain.game.state import at_least
from infobargain.game.state import rejection_value as _rejection_value
from infobargain.theory.polygon import Candidate
from infobargain.theory.problem import BargainingProblem

_PARITY = "the finite-horizon outcome depends on the parity of the horizon: several equilibria"


@dataclass(frozen=True)
class RoundPlan:
    """The equilibrium behaviour in one round, in round-``t`` units."""

    round: int
    proposer: Role
    offer: NDArray[np.float64]
    """The payoffs of the proposer's equilibrium offer (rejected when ``deal`` is false)."""
    deal: bool
    rejection_value: NDArray[np.float64]
    """``C_t``: both players' expected payoffs after a rejection; the responder accepts iff it gets at least this."""
    value: NDArray[np.float64]
    """``V_t``: both players' expected payoffs of the subgame starting in this round."""


@dataclass(frozen=True)
class SPEOutcome:
    """The subgame-perfect outcome of one protocol with a given first proposer."""

    first_proposer: Role
    payoffs: Payoffs
    agreement_round: int | None
    """The round in which the equilibrium path reaches a deal, if it does before breaking down."""
    deal_probability: float
    plan: tuple[RoundPlan, ...]


@dataclass(frozen=True)
class ProtocolSolution:
    """SPE outcomes for each first proposer that the protocol's setting allows, and their expectation."""

    protocol: Protocol
    outcomes: dict[Role, SPEOutcome]

    @property
    def expected(self) -> Payoffs:
        values = np.mean([outcome.payoffs for outcome in self.outcomes.values()], axis=0)
        return Payoffs(float(values[0]), float(values[1]))


def rejection_value(
    problem: BargainingProblem, protocol: Protocol, following: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    """``C_t`` from the next round's value (``None`` in the last round): the game core's rule on ``problem.d``."""
    return _rejection_value(problem.d, protocol, following)


def best_offer(problem: BargainingProblem, proposer: Role, rejection: NDArray[np.float64]) -> tuple[Candidate, bool]:
    """The proposer's equilibrium offer against rejection values ``rejection``, and whether it is a deal.

    When no acceptable offer is worth the proposer's own rejection value, it delays: it makes the offer the
    responder likes least, which the responder rejects. If even that one is acceptable, every offer is and
    delay is impossible, so the proposer makes its best offer after all.
    """
    me, you = ROLE_INDEX[proposer], 1 - ROLE_INDEX[proposer]
    offers = problem.offers[me]
    acceptable = offers.best_for(me, rejection[you])
    if acceptable is not None and at_least(acceptable.point[me], rejection[me], offers.scale):
        return acceptable, True
    refused = offers.worst_for(you)
    if at_least(refused.point[you], rejection[you], offers.scale):
        assert acceptable is not None  # every offer is acceptable
        return acceptable, True
    return refused, False


def subgame_perfect(problem: BargainingProblem, protocol: Protocol, first: Role) -> SPEOutcome:
    """Backward induction over the rounds of ``protocol`` with ``first`` proposing in round 0."""
    check_bargaining_tree(protocol.rounds, sum(len(offers.vertices) for offers in problem.offers))
    following: NDArray[np.float64] | None = None
    plans: list[RoundPlan] = []
    for round_index in reversed(range(protocol.rounds)):
        proposer = protocol.proposer(round_index, first)
        rejection = rejection_value(problem, protocol, following)
        candidate, deal = best_offer(problem, proposer, rejection)
        value = candidate.point.copy() if deal else rejection
        plans.append(RoundPlan(round_index, proposer, candidate.point.copy(), deal, rejection, value))
        following = value
    plans.reverse()
    agreement = next((plan.round for plan in plans if plan.deal), None)
    probability = 0.0 if agreement is None else (1.0 - protocol.break_off) ** agreement
    return SPEOutcome(first, Payoffs(*map(float, plans[0].value)), agreement, probability, tuple(plans))


def solve_protocol(problem: BargainingProblem, protocol: Protocol) -> ProtocolSolution:
    """SPE for the protocol's first proposer; for ``"coin_flip"`` each side first (``expected`` averages them)."""
    firsts = first_proposers(protocol.first_proposer)
    return ProtocolSolution(protocol, {first: subgame_perfect(problem, protocol, first) for first in firsts})


def ultimatum(problem: BargainingProblem, first: Role) -> Payoffs:
    """The one-shot SPE: the proposer's best point leaving the responder at least its disagreement value."""
    return subgame_perfect(problem, Protocol("ultimatum", first), first).payoffs


@dataclass(frozen=True)
class Advantages:
    """The paper's split of the sender's ultimatum (Bayesian-persuasion) value above ``d_S``."""

    informational: float
    """What the sender keeps even when the receiver proposes, above ``d_S``."""
    first_proposer: float
    """What proposing first adds on top."""


def advantages(problem: BargainingProblem) -> Advantages:
    sender_first, receiver_first = ultimatum(problem, "sender"), ultimatum(problem, "receiver")
    return Advantages(receiver_first.sender - problem.disagreement.sender, sender_first.sender - receiver_first.sender)


@dataclass(frozen=True)
class RubinsteinOutcome:
    """The infinite-horizon alternating-offers outcome for each first proposer, when it is unique."""

    sender_first: Payoffs | None
    receiver_first: Payoffs | None
    reason: str = ""


def _step(
    problem: BargainingProblem, protocol: Protocol, proposer: Role, following: NDArray[np.float64]
) -> tuple[NDArray[np.float64], Candidate, bool]:
    rejection = rejection_value(problem, protocol, following)
    candidate, deal = best_offer(problem, proposer, rejection)
    return (candidate.point.copy() if deal else rejection), candidate, deal


def _exact_fixed_point(
    problem: BargainingProblem,
    protocol: Protocol,
    pieces: dict[Role, tuple[Candidate, bool]],
) -> dict[Role, NDArray[np.float64]] | None:
    """Solve the affine equations of the offers' current pieces for both stationary values at once."""
    system = np.zeros((4, 4))
    rhs = np.zeros(4)
    p, factor, d = protocol.break_off, protocol.continuation, problem.d
    for block, proposer in enumerate(ROLES):
        rows = slice(2 * block, 2 * block + 2)
        mine, theirs = 2 * block, 2 * (1 - block)  # column offsets of this and the other stationary value
        candidate, deal = pieces[proposer]
        offers = problem.offers[block]
        if not deal:  # V = p·d + δ'·V_other
            system[rows, mine : mine + 2] = np.eye(2)
            system[rows, theirs : theirs + 2] = -factor * np.eye(2)
            rhs[rows] = p * d
        elif candidate.start == candidate.end:  # a vertex
            system[rows, mine : mine + 2] = np.eye(2)
            rhs[rows] = candidate.point
        else:  # on an edge, the responder held to its rejection value
            a, b = offers.vertices[candidate.start], offers.vertices[candidate.end]
            normal = np.array([b[1] - a[1], a[0] - b[0]])
            responder = 1 - block
            system[2 * block, mine : mine + 2] = normal
            rhs[2 * block] = normal @ a
            system[2 * block + 1, mine + responder] = 1.0
            system[2 * block + 1, theirs + responder] = -factor
            rhs[2 * block + 1] = p * d[responder]
    try:
        solution = np.linalg.solve(system, rhs)
    except np.linalg.LinAlgError:
        return None
    values: dict[Role, NDArray[np.float64]] = {"sender": np.asarray(solution[:2]), "receiver": np.asarray(solution[2:])}
    for role in ROLES:
        again, _, deal = _step(problem, protocol, role, values[other(role)])
        if deal != pieces[role][1] or float(np.abs(again - values[role]).max()) > 1e-11 * problem.feasible.scale:
            return None
    return values


def rubinstein(
    problem: BargainingProblem, break_off: float = 0.1, discount: float = 1.0, max_iterations: int = 200_000
) -> RubinsteinOutcome:
    """The infinite-horizon alternating-offers outcome with continuation factor ``(1 − break_off)·discount``."""
    protocol = Protocol("alternating", "sender", 1, break_off, discount)
    if protocol.continuation >= 1:
        return RubinsteinOutcome(
            None, None, "continuation factor 1: every individually rational split is an equilibrium"
        )
    values: dict[Role, NDArray[np.float64]] = {"sender": problem.d, "receiver": problem.d}
    previous = values
    for iteration in range(max_iterations):
        updated: dict[Role, NDArray[np.float64]] = {}
        pieces: dict[Role, tuple[Candidate, bool]] = {}
        for proposer in ROLES:
            value, candidate, deal = _step(problem, protocol, proposer, values[other(proposer)])
            updated[proposer], pieces[proposer] = value, (candidate, deal)
        change = max(float(np.abs(updated[r] - values[r]).max()) for r in ROLES)
        cycle = max(float(np.abs(updated[r] - previous[r]).max()) for r in ROLES)
        previous, values = values, updated
        if change < 1e-14 * problem.feasible.scale:
            break
        if cycle < 1e-14 * problem.feasible.scale:
            return RubinsteinOutcome(None, None, _PARITY)
        if iteration % 16 == 15:
            exact = _exact_fixed_point(problem, protocol, pieces)
            if exact is not None:
                values = exact
                break
    else:
        return RubinsteinOutcome(None, None, _PARITY)
    return RubinsteinOutcome(Payoffs(*map(float, values["sender"])), Payoffs(*map(float, values["receiver"])))


def first_proposers(first: FirstProposer) -> tuple[Role, ...]:
    """Kept for callers of this module: :func:`infobargain.game.protocol.first_proposers`."""
    return _protocol.first_proposers(first)
