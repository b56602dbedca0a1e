"""Analytic players: exact-SPE players, target proposers (BP, Nash, threshold), obedient, ignoring, random.

All of them respond to *any* offer, on or off the equilibrium path, from the observation alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.agents.base import BoundPolicy, Observation
from infobargain.envs.offers import DiscreteOffers
from infobargain.game.protocol import Role
from infobargain.theory.problem import BargainingProblem
from infobargain.theory.spe import SPEOutcome, best_offer, subgame_perfect

ACCEPT_TOLERANCE = 1e-9
"""Slack with which an indifferent responder still accepts (offers are computed in floating point)."""


def game_problem(env: Any) -> BargainingProblem:
    """The bargaining problem of the env's current game with the offers its encoding allows."""
    return env.encoding.offer_problem()  # type: ignore[no-any-return]


class SPEPolicy(BoundPolicy):
    """Plays the exact subgame-perfect strategy of the protocol being played.

    The equilibrium is stationary in the offer history: in round ``t`` the proposer makes the round's
    equilibrium offer and a responder accepts exactly the offers worth at least its rejection value
    ``C_t``; a rejecting responder that may counter-offer makes round ``t + 1``'s equilibrium offer. So
    the same rule answers every history, on the path or off it. On discrete encodings it is the SPE of
    the discretised game, not of the continuous one.
    """

    spec = "spe"

    def __init__(self, env: Any, role: Role) -> None:
        super().__init__(env, role)
        self._planned: tuple[BargainingProblem, Role, SPEOutcome] | None = None

    def plan(self) -> SPEOutcome:
        """The SPE of the env's current game (recomputed when a sampler draws a new game)."""
        problem, first = game_problem(self.env), self.env.first
        if self._planned is None or self._planned[0] is not problem or self._planned[1] != first:
            self._planned = (problem, first, subgame_perfect(problem, self.env.rules, first))
        return self._planned[2]

    def _offer_for(self, round_index: int) -> Any:
        """The equilibrium offer of ``round_index`` (an offer made to be rejected when the plan delays)."""
        candidate, _ = best_offer(game_problem(self.env), self.role, self.plan().plan[round_index].rejection_value)
        index = candidate.start if isinstance(self.env.encoding, DiscreteOffers) else None
        return self.offer(candidate.point, index)

    def act(self, observation: Observation) -> Any:
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return self.passing
        if now.proposing and now.offer_payoffs is None:
            return self._offer_for(now.round)
        assert now.offer_payoffs is not None
        threshold = self.plan().plan[now.round].rejection_value[self.me]
        if now.offer_payoffs[self.me] >= threshold - ACCEPT_TOLERANCE * max(1.0, abs(threshold)):
            return self.accept()
        if self.env.can_counter:
            return self._offer_for(now.round + 1)
        return self.reject()


class TargetPolicy(BoundPolicy):
    """Accepts any offer worth at least ``accept_at_least`` to it; proposes ``proposal(problem, me)``.

    The building block of the BP sender (proposes the BP optimum, accepts anything above ``d_S``), the
    Nash proposer (proposes and insists on the Nash point), obedient, ignoring and threshold players.
    A rejecting responder that may counter-offer counter-offers its proposal.
    """

    def __init__(
        self,
        env: Any,
        role: Role,
        spec: str,
        proposal: Callable[[BargainingProblem, int], NDArray[np.float64]],
        accept_at_least: Callable[[BargainingProblem, int], float],
    ) -> None:
        super().__init__(env, role)
        self.spec = spec
        self.proposal = proposal
        self.accept_at_least = accept_at_least

    def _proposal_action(self) -> Any:
        problem = game_problem(self.env)
        point = self.proposal(problem, self.me)
        if isinstance(self.env.encoding, DiscreteOffers):  # the table entry nearest the target
            table = problem.offers[self.me].vertices
            return self.offer(point, int(np.argmin(np.abs(table - point).sum(axis=1))))
        return self.offer(point)

    def act(self, observation: Observation) -> Any:
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return self.passing
        if now.proposing and now.offer_payoffs is None:
            return self._proposal_action()
        assert now.offer_payoffs is not None
        floor = self.accept_at_least(game_problem(self.env), self.me)
        if now.offer_payoffs[self.me] >= floor - ACCEPT_TOLERANCE * max(1.0, abs(floor) if np.isfinite(floor) else 1.0):
            return self.accept()
        if self.env.can_counter:
            return self._proposal_action()
        return self.reject()


def best_offer_for(coordinate: int) -> Callable[[BargainingProblem, int], NDArray[np.float64]]:
    """Propose the offer best for ``coordinate`` (0: sender, 1: receiver)."""

    def proposal(problem: BargainingProblem, me: int) -> NDArray[np.float64]:
        candidate = problem.offers[me].best_for(coordinate)
        assert candidate is not None
        return candidate.point

    return proposal


def conceding_down_to(level: float) -> Callable[[BargainingProblem, int], NDArray[np.float64]]:
    """Propose the other side's best offer that still gives me at least ``level`` (my best if none does)."""

    def proposal(problem: BargainingProblem, me: int) -> NDArray[np.float64]:
        offers = problem.offers[me]
        candidate = offers.best_for(1 - me, level) if np.isfinite(level) else None
        candidate = candidate or offers.best_for(me)
        assert candidate is not None
        return candidate.point

    return proposal


class RandomPolicy(BoundPolicy):
    """A uniformly random legal player (uniform over the Box for the scheme encoding)."""

    spec = "random"

    def act(self, observation: Observation) -> Any:
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return self.passing
        return self.random_legal(observation)
