"""The realization stage of ``realization="sampled"``: the deal (or its absence) played out round by round.

Every round nature draws the state from the prior, the committed scheme draws a signal, the receiver plays
its committed rule (the obedient action for the signal, or its default action without a deal), and both
players are paid ``discount**t · u(state, action)`` (``t``: the round bargaining ended). Nobody decides
anything (bilateral commitment): each agent passes once per round, turns alternating, and the round is paid
when the second one passes. A pie pays the split it agreed on (or ``d``) every round.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from infobargain.game.instance import Instance
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import Role, other
from infobargain.game.schemes import TieBreak, default_action, obey_actions
from infobargain.game.state import Offer


class RealizationStage:
    """One episode's realization stage, from the end of bargaining (``deal``, or ``None``) to its last round."""

    def __init__(
        self,
        game: Instance | SplitPie,
        deal: Offer | None,
        bargaining_value: NDArray[np.float64],
        *,
        factor: float,
        rounds: int,
        tie_break: TieBreak,
        first: Role,
        rng: np.random.Generator,
    ) -> None:
        """``bargaining_value``: what a round pays a pie (the deal's payoffs or ``d``); ``factor``: the discount
        ``discount**t``; ``first``: who passes first (the last proposer, so turns keep alternating)."""
        self.game, self.deal, self.rng = game, deal, rng
        self.factor, self.rounds, self.tie_break = factor, rounds, tie_break
        self.bargaining_value = bargaining_value
        self.actor: Role = first
        """Who passes next."""
        self.round = 0
        self.total = np.zeros(2)
        """The sum of the rounds paid so far."""
        self.half = False
        """Whether one agent has passed in this round."""
        self.committed_actions: NDArray[np.intp] | None = None
        """The receiver's committed action for each signal (a deal on a persuasion instance)."""
        if isinstance(game, Instance) and deal is not None:
            assert deal.scheme is not None
            self.committed_actions = obey_actions(game, deal.scheme, tie_break)
        self.world_state: int | None = None
        """This round's state (private to the sender); ``None`` for a pie."""
        self.signal: int | None = None
        """This round's signal (private to the receiver); ``None`` without a deal."""
        self._draw()

    @property
    def over(self) -> bool:
        return self.round >= self.rounds

    @property
    def payoffs(self) -> NDArray[np.float64]:
        """The episode payoff: the mean reward of the rounds paid."""
        return self.total / self.rounds

    def pass_turn(self, role: Role) -> NDArray[np.float64] | None:
        """``role`` passes; returns the round's (sender, receiver) rewards when this pass completes the round."""
        self.actor = other(role)
        if not self.half:
            self.half = True
            return None
        self.half = False
        reward = self.factor * self._value()
        self.total += reward
        self.round += 1
        if not self.over:
            self._draw()
        return reward

    def _value(self) -> NDArray[np.float64]:
        game = self.game
        if isinstance(game, SplitPie):
            return self.bargaining_value
        assert self.world_state is not None
        if self.committed_actions is None or self.signal is None:
            action = default_action(game, self.tie_break)
        else:
            action = int(self.committed_actions[self.signal])
        return np.array(
            [game.sender_utility[self.world_state, action], game.receiver_utility[self.world_state, action]]
        )

    def _draw(self) -> None:
        game = self.game
        if isinstance(game, SplitPie):
            return
        self.world_state = int(self.rng.choice(game.n_states, p=game.prior))
        if self.deal is None:  # nothing committed: no signal, the receiver plays its default action
            self.signal = None
            return
        scheme = self.deal.scheme
        assert scheme is not None
        self.signal = int(self.rng.choice(game.signals, p=scheme[self.world_state]))
