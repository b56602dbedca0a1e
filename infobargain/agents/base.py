"""The ``Policy`` protocol every player implements, and what analytic players share.

A policy plays one role. It acts on the agent's observation (the env's ``{"observation", "action_mask"}``
dict). Players that need the game itself (the analytic players, the terminal and chat-model players) set
``reads_view = True`` and also read the env's public, read-only
:class:`~infobargain.envs.view.GameView` (the game is common knowledge): drivers hand
it over with :func:`~infobargain.envs.view.act`, so one player object plays in any env
of its configuration without being re-bound; called without a view, a player reads the view of the env it
was built for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT, DiscreteOffers, SchemeOffers
from infobargain.envs.view import GameView
from infobargain.game.protocol import ROLE_INDEX, ROLES, Role
from infobargain.game.schemes import fit_signals

Observation = Mapping[str, NDArray[Any]]


@runtime_checkable
class Policy(Protocol):
    """A player: picks an action for its role from its observation."""

    role: Role

    def act(self, observation: Observation) -> Any:
        """The action to take; must be legal under ``observation["action_mask"]`` when there is one."""
        ...

    def reset(self, seed: int | None = None) -> None:
        """Start a new episode (and reseed any randomness)."""
        ...

    def save(self, path: str | Path) -> None:
        """Write what :func:`infobargain.agents.load_policy` needs to rebuild this player."""
        ...


@dataclass(frozen=True)
class Situation:
    """What an observation says about the decision at hand."""

    my_turn: bool
    bargaining: bool
    proposing: bool
    round: int
    offer_payoffs: NDArray[np.float64] | None


class BoundPolicy:
    """Base of the library's players: observation decoding and offer encoding, for one role in one env
    configuration. ``env`` is the public :class:`GameView` of the env the player was built for."""

    spec: str = ""
    reads_view: bool = False
    """Whether :meth:`act` takes the env's :class:`GameView` (``act(observation, view=...)``, :class:`ViewPolicy`)."""

    def __init__(self, env: Any, role: Role) -> None:
        if role not in ROLES:
            raise ValueError(f"role: must be 'sender' or 'receiver', got {role!r}")
        self.env: GameView = env if isinstance(env, GameView) else env.unwrapped.view
        self.role: Role = role
        self.me = ROLE_INDEX[role]
        self.rng = np.random.default_rng(0)  # seeded: deterministic until reset(seed) reseeds it

    def act(self, observation: Observation) -> Any:
        raise NotImplementedError

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({"policy": self.spec, "role": self.role}) + "\n")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r}, role={self.role!r})"

    # reading the observation

    def situation(self, observation: Observation) -> Situation:
        layout = self.env.observation_layout
        vector = np.asarray(observation["observation"])
        on_table = vector[layout["offer_on_table"]][0] > 0.5
        return Situation(
            my_turn=bool(vector[layout["my_turn"]][0] > 0.5),
            bargaining=bool(vector[layout["phase"]][0] > 0.5),
            proposing=bool(vector[layout["proposing"]][0] > 0.5),
            round=int(np.argmax(vector[layout["round"]])),
            offer_payoffs=vector[layout["offer_payoffs"]].astype(np.float64) if on_table else None,
        )

    # writing actions

    @property
    def _box_shape(self) -> tuple[int, ...]:
        return self.env.action_space.shape or (1,)

    @property
    def passing(self) -> Any:
        """The action of an agent with nothing to decide."""
        if isinstance(self.env.encoding, SchemeOffers):
            return np.ones(self._box_shape, dtype=np.float64)
        return ACCEPT

    def accept(self) -> Any:
        return self.passing

    def reject(self) -> Any:
        if isinstance(self.env.encoding, SchemeOffers):
            return -np.ones(self._box_shape, dtype=np.float64)
        return REJECT

    def offer(self, point: NDArray[np.float64], index: int | None = None) -> Any:
        """The action offering payoff pair ``point`` (a discrete encoding's offer ``index`` if known).

        Discrete encodings take the nearest offer in the player's table; the scheme encoding offers a
        scheme attaining the point exactly (a receiver demands it).
        """
        encoding = self.env.encoding
        if isinstance(encoding, DiscreteOffers):
            if index is None:
                table = encoding.offer_points(self.role).vertices
                index = int(np.argmin(np.abs(table - point).sum(axis=1)))
            return FIRST_OFFER + index
        assert isinstance(encoding, SchemeOffers)
        scheme = fit_signals(self.env.problem.scheme_for_point(point), self.env.instance.signals)
        return encoding.encode(scheme, accept=False)

    def random_legal(self, observation: Observation) -> Any:
        """A uniformly random legal action."""
        mask = observation.get("action_mask")
        if mask is not None:
            return int(self.rng.choice(np.flatnonzero(mask)))
        space = self.env.action_space
        return self.rng.uniform(space.low, space.high).astype(np.float64)  # type: ignore[attr-defined]


class ViewPolicy(BoundPolicy):
    """A player that reads the game beyond its observation: drivers pass the public view of the env being
    played to :meth:`act`, for that decision only; subclasses implement :meth:`decide`, reading ``self.env``."""

    reads_view = True

    def act(self, observation: Observation, view: GameView | None = None) -> Any:
        """The action on ``observation``; ``view``: the public view of the env being played (default: the view
        of the env the player was built for)."""
        if view is None or view is self.env:
            return self.decide(observation)
        home, self.env = self.env, view
        try:
            return self.decide(observation)
        finally:
            self.env = home

    def decide(self, observation: Observation) -> Any:
        raise NotImplementedError
