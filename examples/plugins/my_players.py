"""A plug-in player: name it ``my_players:Cautious`` (from this folder) or ``examples/plugins/my_players.py:Cautious``.

    infobargain play --sender examples/plugins/my_players.py:Cautious --receiver spe --protocol ultimatum

The class is called as ``Cautious(env, role)``; anything with ``act(observation)`` (and ``reset(seed)``) plays.
"""

from __future__ import annotations

from typing import Any

from infobargain.agents import TargetPolicy
from infobargain.game.protocol import Role
from infobargain.theory.solutions import nash


class Cautious(TargetPolicy):
    """Proposes the Nash bargaining solution and accepts any offer worth at least 90 % of its Nash payoff."""

    def __init__(self, env: Any, role: Role) -> None:
        super().__init__(
            env,
            role,
            "cautious",
            lambda problem, me: nash(problem),
            lambda problem, me: 0.9 * float(nash(problem)[me]),
        )
