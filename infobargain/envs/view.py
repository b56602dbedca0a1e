"""The public, read-only view of an environment's game and situation, and how drivers hand it to players.

Players that need more than their observation (exact analytic players, chat-model prompts, best-response
tools) read a :class:`GameView`, never the env's attributes; :func:`act` passes it to the players that declare
``reads_view``. Every env exposes one: ``raw_env.view``, ``parallel_env.view`` and the Gymnasium views' ``view``.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from numpy.typing import NDArray

from infobargain.envs.observations import ObservationLayout
from infobargain.envs.offers import DiscreteOffers, Offer, OfferEncoding
from infobargain.game.instance import Instance
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import Protocol, Role
from infobargain.game.schemes import TieBreak
from infobargain.game.state import Phase, State
from infobargain.theory.problem import BargainingProblem

__all__ = ["GameView", "act"]


def act(policy: Any, observation: Any, view: GameView) -> Any:
    """``policy``'s action on ``observation``. Players that read the game beyond their observation declare
    ``reads_view = True`` and get the env's public :class:`GameView` too; the others get the observation alone."""
    if getattr(policy, "reads_view", False):
        return policy.act(observation, view=view)
    return policy.act(observation)


class GameView:
    """A public, read-only view of one env's game and current situation: what players that need more than their
    observation (exact analytic players, chat-model prompts, best-response tools) read, through this class only.

    It reads through to the env, so it always shows the current episode (a sampler's new game included); it
    exposes no way to change the env. ``state`` is a copy of the core's bargaining state.
    """

    __slots__ = ("_env",)

    def __init__(self, environment: Any) -> None:
        """``environment``: the ``raw_env`` (AEC env) whose game and situation this view shows. Typed loosely
        because that env's module imports this one."""
        self._env = environment

    # the game (fixed for the episode)

    @property
    def rules(self) -> Protocol:
        return self._env.rules

    @property
    def game(self) -> Instance | SplitPie:
        return self._env.game

    @property
    def instance(self) -> Instance:
        return self._env.instance

    @property
    def is_pie(self) -> bool:
        return self._env.is_pie

    @property
    def problem(self) -> BargainingProblem:
        return self._env.problem

    @property
    def offer_problem(self) -> BargainingProblem:
        """The bargaining problem with the offers the encoding lets each proposer make (its SPE is the game's)."""
        return self._env.encoding.offer_problem()

    @property
    def encoding(self) -> OfferEncoding:
        return self._env.encoding

    @property
    def discrete(self) -> bool:
        return isinstance(self._env.encoding, DiscreteOffers)

    @property
    def tie_break(self) -> TieBreak:
        return self._env.tie_break

    @property
    def receiver_offer(self) -> str:
        return self._env.receiver_offer

    @property
    def realization(self) -> str:
        return self._env.realization

    @property
    def realization_rounds(self) -> int:
        return self._env.realization_rounds

    @property
    def observation_layout(self) -> ObservationLayout:
        return self._env.observation_layout

    @property
    def action_space(self) -> gymnasium.Space:
        return self._env.action_space(self._env.possible_agents[0])

    # the situation now

    @property
    def state(self) -> State:
        """A copy of the bargaining stage's core state."""
        return self._env.game_state.clone()

    @property
    def phase(self) -> Phase:
        return self._env.phase

    @property
    def first(self) -> Role:
        return self._env.first

    @property
    def round(self) -> int:
        return self._env.round

    @property
    def proposer(self) -> Role:
        return self._env.proposer

    @property
    def pending(self) -> Offer | None:
        return self._env.pending

    @property
    def deal(self) -> Offer | None:
        return self._env.deal

    @property
    def can_counter(self) -> bool:
        return self._env.can_counter

    @property
    def acting_role(self) -> Role:
        return self._env.acting_role

    @property
    def transcript(self) -> list[str]:
        return self._env.transcript

    def action_mask(self, agent: str) -> NDArray[np.int8]:
        return self._env.action_mask(agent)

    def situation(self) -> str:
        """The decision at hand, in words (for messages)."""
        return self._env.situation()
