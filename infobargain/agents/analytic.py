"""Analytic players: exact-SPE players, target proposers (BP, Nash, threshold), obedient, ignoring, random.

All of them respond to *any* offer, on or off the equilibrium path, from the observation and the env's public
:class:`~infobargain.envs.view.GameView` (``reads_view``); a responder accepts by the game
core's one indifference rule, :func:`infobargain.game.state.at_least`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.agents.base import Observation, ViewPolicy
from infobargain.envs.view import GameView
from infobargain.game.protocol import ROLE_INDEX, Role
from infobargain.game.state import TOLERANCE, at_least
from infobargain.theory.problem import BargainingProblem
from infobargain.theory.solutions import nash
from infobargain.theory.spe import SPEOutcome, best_offer, subgame_perfect


def __getattr__(name: str) -> Any:
    if name == "ACCEPT_TOLERANCE":  # the one indifference tolerance now lives in the game core
        warnings.warn(
            "infobargain.agents.analytic.ACCEPT_TOLERANCE is deprecated; use infobargain.game.state.TOLERANCE "
            "(and infobargain.game.state.at_least for the indifference rule)",
            DeprecationWarning,
            stacklevel=2,
        )
        return TOLERANCE
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def game_problem(env: Any) -> BargainingProblem:
    """The bargaining problem of an env's (or a :class:`GameView`'s) current game with the offers its encoding
    allows."""
    view: GameView = env if isinstance(env, GameView) else env.unwrapped.view
    return view.offer_problem


class SPEPolicy(ViewPolicy):
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
        self._planned: dict[Role, tuple[BargainingProblem, SPEOutcome]] = {}

    def plan(self) -> SPEOutcome:
        """The SPE of the current game for the episode's first proposer (recomputed when the game changes)."""
        problem, first = self.env.offer_problem, self.env.first
        planned = self._planned.get(first)
        if planned is None or planned[0] is not problem:
            planned = self._planned[first] = (problem, subgame_perfect(problem, self.env.rules, first))
        return planned[1]

    def _offer_for(self, round_index: int) -> Any:
        """The equilibrium offer of ``round_index`` (an offer made to be rejected when the plan delays)."""
        candidate, _ = best_offer(self.env.offer_problem, self.role, self.plan().plan[round_index].rejection_value)
        index = candidate.start if self.env.discrete else None
        return self.offer(candidate.point, index)

    def decide(self, observation: Observation) -> Any:
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return self.passing
        if now.proposing and now.offer_payoffs is None:
            return self._offer_for(now.round)
        assert now.offer_payoffs is not None
        if at_least(now.offer_payoffs[self.me], self.plan().plan[now.round].rejection_value[self.me]):
            return self.accept()
        if self.env.can_counter:
            return self._offer_for(now.round + 1)
        return self.reject()


class TargetPolicy(ViewPolicy):
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
        problem = self.env.offer_problem
        point = self.proposal(problem, self.me)
        if self.env.discrete:  # the table entry nearest the target
            table = problem.offers[self.me].vertices
            return self.offer(point, int(np.argmin(np.abs(table - point).sum(axis=1))))
        return self.offer(point)

    def decide(self, observation: Observation) -> Any:
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return self.passing
        if now.proposing and now.offer_payoffs is None:
            return self._proposal_action()
        assert now.offer_payoffs is not None
        if at_least(now.offer_payoffs[self.me], self.accept_at_least(self.env.offer_problem, self.me)):
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


class RandomPolicy(ViewPolicy):
    """A uniformly random legal player (uniform over the Box for the scheme encoding)."""

    spec = "random"

    def decide(self, observation: Observation) -> Any:
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return self.passing
        return self.random_legal(observation)


def threshold_level(spec: str) -> float:
    """The level of ``threshold:T``: a finite number."""
    try:
        level = float(spec.split(":", 1)[1])
    except (IndexError, ValueError):
        level = math.nan
    if not math.isfinite(level):
        raise ValueError(f"policy: {spec!r} is not of the form threshold:NUMBER (e.g. threshold:0.2)")
    return level


AnalyticFactory = Callable[[Any, Role, str], ViewPolicy]
"""Builds an analytic player for ``(env, role, argument)`` (``argument``: what follows ``NAME:``)."""


def _bp(env: Any, role: Role, argument: str) -> ViewPolicy:
    if role != "sender":
        raise ValueError("policy: 'bp' (the Bayesian-persuasion sender) plays the sender only")
    return TargetPolicy(env, role, "bp", best_offer_for(0), lambda problem, me: problem.disagreement[me])


def _threshold(env: Any, role: Role, argument: str) -> ViewPolicy:
    level = threshold_level(f"threshold:{argument}")
    return TargetPolicy(env, role, f"threshold:{argument}", conceding_down_to(level), lambda problem, me: level)


ANALYTIC_PLAYERS: dict[str, tuple[AnalyticFactory, str, str | None]] = {
    "spe": (lambda env, role, argument: SPEPolicy(env, role), "plays the exact SPE of the game as played", None),
    "bp": (_bp, "the Bayesian-persuasion sender: offers its best scheme, takes nothing less", None),
    "nash": (
        lambda env, role, argument: TargetPolicy(
            env, role, "nash", lambda problem, me: nash(problem), lambda problem, me: float(nash(problem)[me])
        ),
        "offers and accepts the Nash bargaining solution",
        None,
    ),
    "obedient": (
        lambda env, role, argument: TargetPolicy(
            env, role, "obedient", best_offer_for(ROLE_INDEX[role]), lambda problem, me: -np.inf
        ),
        "offers its best deal, accepts anything",
        None,
    ),
    "ignore": (
        lambda env, role, argument: TargetPolicy(
            env, role, "ignore", best_offer_for(ROLE_INDEX[role]), lambda problem, me: np.inf
        ),
        "offers its best deal, accepts nothing",
        None,
    ),
    "random": (lambda env, role, argument: RandomPolicy(env, role), "uniform over the legal actions", None),
    "threshold": (_threshold, "concedes down to payoff T, accepts anything worth at least T", "T"),
}
"""The analytic players by name, with what they do and the placeholder of their argument (if any). The player
registry (:mod:`infobargain.agents.registry`) registers each; a chat model's fallback is one of them."""


def analytic_player(spec: str, env: Any, role: Role) -> ViewPolicy:
    """The analytic player ``spec`` names (``"spe"``, ``"threshold:0.2"``, ...) for ``role`` in ``env``."""
    name, colon, argument = spec.partition(":")
    if name not in ANALYTIC_PLAYERS or bool(colon) != (ANALYTIC_PLAYERS[name][2] is not None):
        raise ValueError(f"policy: {spec!r} is not an analytic player (known: {', '.join(ANALYTIC_PLAYERS)})")
    return ANALYTIC_PLAYERS[name][0](env, role, argument)
