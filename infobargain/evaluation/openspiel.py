"""Our players as an OpenSpiel policy, and OpenSpiel's NashConv of a pair: an independent check of
:mod:`infobargain.evaluation.exploitability` on the game of :mod:`infobargain.envs.openspiel_game`.

Needs ``open-spiel`` (the ``clients`` extra).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyspiel
from open_spiel.python import policy
from open_spiel.python.algorithms import exploitability

from infobargain.envs.openspiel_game import PARAMETERS, BargainingState, load_game
from infobargain.evaluation.exploitability import DecisionTable, SituationProbe
from infobargain.evaluation.players import PlayerSpec
from infobargain.game.protocol import ROLES, Role


def game_for(env_kwargs: Mapping[str, Any]) -> pyspiel.Game:
    """The OpenSpiel game of the environment built with ``env_kwargs`` (arguments that do not shape the
    bargaining stage, such as ``realization`` or ``max_cycles``, are left out)."""
    return load_game(**{name: value for name, value in env_kwargs.items() if name in PARAMETERS})


class PlayersPolicy(policy.Policy):  # type: ignore[misc]
    """A sender and a receiver of this library, read as one OpenSpiel policy over the game's states.

    Each player's decision in every bargaining situation is read once, as the exact exploitability does
    (:class:`~infobargain.evaluation.exploitability.SituationProbe`), for each possible first proposer.
    """

    def __init__(
        self, game: pyspiel.Game, sender: PlayerSpec, receiver: PlayerSpec, env_kwargs: Mapping[str, Any]
    ) -> None:
        super().__init__(game, [0, 1])
        setting = game.get_parameters()["first_proposer"]
        firsts: tuple[Role, ...] = ROLES if setting == "coin_flip" else (setting,)
        self.tables: dict[Role, DecisionTable] = {
            first: SituationProbe(env_kwargs, first, sender, receiver).table() for first in firsts
        }

    def action_probabilities(self, state: BargainingState, player_id: int | None = None) -> dict[int, float]:
        assert state.first is not None, "no decisions before the coin flip"
        table, role = self.tables[state.first], state.acting
        if state.pending is None:
            decision = table.propose[(role, state.round)]
        else:
            decision = table.respond[(role, state.round)][state.pending]
        return {int(a): float(p) for a, p in zip(decision.actions, decision.probabilities, strict=True)}


def openspiel_nash_conv(sender: PlayerSpec, receiver: PlayerSpec, env_kwargs: Mapping[str, Any]) -> float:
    """OpenSpiel's ``exploitability.nash_conv`` of the pair on the game of ``env_kwargs``."""
    game = game_for(env_kwargs)
    return float(exploitability.nash_conv(game, PlayersPolicy(game, sender, receiver, env_kwargs)))
