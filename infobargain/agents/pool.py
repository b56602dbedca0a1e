"""A pool of players that plays one member per episode (fictitious-play style opponents)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from infobargain.agents.base import Observation, Policy
from infobargain.envs.view import GameView, act
from infobargain.game.protocol import Role


class PolicyPool:
    """Plays as one of its members, drawn uniformly at random at every :meth:`reset`.

    Training against a pool of past opponents (fictitious-play style) rather than the latest one keeps a
    learner from over-fitting to its current opponent and cycling.
    """

    def __init__(self, members: Sequence[Policy], role: Role) -> None:
        if not members:
            raise ValueError("pool: needs at least one member")
        self.members = list(members)
        self.role: Role = role
        self.rng = np.random.default_rng(0)  # seeded: deterministic until reset(seed)
        self.current = self.members[-1]

    def reset(self, seed: int | None = None) -> None:
        """Draw the member for the next episode (and reset it with a seed from this draw)."""
        self.rng = np.random.default_rng(seed)
        self.current = self.members[int(self.rng.integers(len(self.members)))]
        self.current.reset(int(self.rng.integers(2**63)))

    reads_view = True  # members that read the game get the env's view

    def act(self, observation: Observation, view: GameView | None = None) -> Any:
        if view is None:
            return self.current.act(observation)
        return act(self.current, observation, view)

    def save(self, path: str | Path) -> None:
        raise TypeError("pool: a pool is not one player; save its members instead")

    def __repr__(self) -> str:
        return f"PolicyPool({len(self.members)} members, role={self.role!r})"
