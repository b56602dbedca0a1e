"""The bargaining stage as an OpenSpiel game: ``pyspiel.load_game("python_infobargain", {...})``.

Importing this module registers the game with OpenSpiel (``pip install open-spiel``)::

    import pyspiel
    import infobargain.envs.openspiel_game  # registers "python_infobargain"

    game = pyspiel.load_game("python_infobargain", {"protocol": "alternating", "first_proposer": "coin_flip"})

It is the discretised game of the PettingZoo environment's ``"grid"`` / ``"frontier"`` offer spaces (same
parameter names and defaults, same actions: ``0`` ACCEPT, ``1`` REJECT, ``2 + k`` offer ``k``), with nature's
moves as explicit **chance nodes**: the coin flip that picks the first proposer (``first_proposer=
"coin_flip"``; outcome ``0`` the sender, ``1`` the receiver) and, after every rejection before the last
round, the break-off draw (outcome ``0`` breaks down with probability ``break_off``, ``1`` continues).
Player ``0`` is the sender, ``1`` the receiver. The game is general-sum with perfect information (every
move is public) and terminal rewards: a deal in round ``t`` pays ``discount**t`` times the offer's payoffs,
a breakdown in round ``t`` or the deadline pays ``discount**t`` times the disagreement point ``d``. The
realization stage has no decisions, so a deal pays its expected utilities (the env's ``"expected"`` mode).

Offers and their payoffs come from the environment's own offer encoding, so both play the same game. The
rules below follow the env card's timing; ``tests/test_openspiel_game.py`` checks them against the
library's exact exploitability (OpenSpiel's ``nash_conv`` must agree with it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyspiel
from numpy.typing import NDArray
from open_spiel.python.observation import IIGObserverForPublicInfoGame

from infobargain.envs.information_bargaining_v0 import raw_env
from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT, DiscreteOffers
from infobargain.game.protocol import Role, other

SHORT_NAME = "python_infobargain"
PLAYER: dict[Role, int] = {"sender": 0, "receiver": 1}
BREAK_DOWN, CONTINUE = 0, 1
"""Outcomes of the break-off chance node."""
PARAMETERS: dict[str, Any] = {
    "game": "pure_math",
    "protocol": "alternating",
    "first_proposer": "sender",
    "max_rounds": 10,
    "break_off": 0.1,
    "discount": 1.0,
    "tie_break": "sender",
    "obedience_margin": 0.0,
    "receiver_offer": "threshold",
    "offer_space": "frontier",
    "grid_size": 11,
}
"""The game's parameters and their defaults: the environment's arguments that shape the bargaining stage."""


class GameTables:
    """What a state needs to know of its game; immutable, so copies of a state share it."""

    def __init__(self, env: raw_env) -> None:
        encoding = env.encoding
        assert isinstance(encoding, DiscreteOffers)
        self.rules = env.rules
        self.disagreement: NDArray[np.float64] = np.asarray(env.problem.d, dtype=np.float64)
        self.offer_payoffs: dict[Role, NDArray[np.float64]] = {
            role: np.asarray(encoding.offer_points(role).vertices, dtype=np.float64) for role in PLAYER
        }
        self.n_offers = encoding.size

    def __deepcopy__(self, memo: dict[int, Any]) -> GameTables:
        return self


_GAME_TYPE = pyspiel.GameType(
    short_name=SHORT_NAME,
    long_name="Information bargaining (infobargain)",
    dynamics=pyspiel.GameType.Dynamics.SEQUENTIAL,
    chance_mode=pyspiel.GameType.ChanceMode.EXPLICIT_STOCHASTIC,
    information=pyspiel.GameType.Information.PERFECT_INFORMATION,
    utility=pyspiel.GameType.Utility.GENERAL_SUM,
    reward_model=pyspiel.GameType.RewardModel.TERMINAL,
    max_num_players=2,
    min_num_players=2,
    provides_information_state_string=True,
    provides_information_state_tensor=False,
    provides_observation_string=True,
    provides_observation_tensor=False,
    parameter_specification=PARAMETERS,
)


class InformationBargainingGame(pyspiel.Game):
    """The discretised bargaining game; ``params`` are :data:`PARAMETERS` (missing ones take the defaults)."""

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        settings = {**PARAMETERS, **(params or {})}
        self.env = raw_env(**settings, realization="expected")
        if not isinstance(self.env.encoding, DiscreteOffers):
            raise ValueError(
                f"offer_space: OpenSpiel needs a discrete offer space ('grid' or 'frontier'), got {settings['offer_space']!r}"
            )
        if self.env.sampler is not None:
            raise ValueError("game: the OpenSpiel game needs one fixed game, not a sampler")
        self.tables = tables = GameTables(self.env)
        values = np.concatenate([*tables.offer_payoffs.values(), tables.disagreement[None, :]]).ravel()
        rounds = tables.rules.rounds
        super().__init__(
            _GAME_TYPE,
            pyspiel.GameInfo(
                num_distinct_actions=FIRST_OFFER + tables.n_offers,
                max_chance_outcomes=2,
                num_players=2,
                min_utility=float(min(0.0, values.min())),
                max_utility=float(max(0.0, values.max())),
                max_game_length=2 * rounds + (rounds - 1) + 1,
            ),
            settings,
        )

    def new_initial_state(self) -> BargainingState:
        return BargainingState(self)

    def make_py_observer(self, iig_obs_type: Any = None, params: Any = None) -> IIGObserverForPublicInfoGame:
        """Every move is public, so a player's information state is the history itself."""
        return IIGObserverForPublicInfoGame(iig_obs_type or pyspiel.IIGObservationType(perfect_recall=True), params)


class BargainingState(pyspiel.State):
    """One history of the game: who proposes, the round, the offer on the table, pending chance events."""

    def __init__(self, game: InformationBargainingGame) -> None:
        super().__init__(game)
        self.spec = game.tables
        setting = self.spec.rules.first_proposer
        self.first: Role | None = None if setting == "coin_flip" else setting
        self.round = 0
        self.proposer: Role = self.first or "sender"
        self.pending: int | None = None
        """Index of the offer on the table (made by ``proposer``)."""
        self.counter: int | None = None
        """A counter-offer waiting at the break-off node to open the next round."""
        self.breaking_off = False
        self.payoffs: NDArray[np.float64] | None = None

    # who moves

    @property
    def acting(self) -> Role:
        return self.proposer if self.pending is None else other(self.proposer)

    @property
    def can_counter(self) -> bool:
        return self.spec.rules.protocol == "alternating" and self.round < self.spec.rules.rounds - 1

    def current_player(self) -> int:
        if self.payoffs is not None:
            return int(pyspiel.PlayerId.TERMINAL)
        if self.first is None or self.breaking_off:
            return int(pyspiel.PlayerId.CHANCE)
        return PLAYER[self.acting]

    def _legal_actions(self, player: int) -> list[int]:
        offers = list(range(FIRST_OFFER, FIRST_OFFER + self.spec.n_offers))
        if self.pending is None:
            return offers
        return [ACCEPT, *offers] if self.can_counter else [ACCEPT, REJECT]

    def chance_outcomes(self) -> list[tuple[int, float]]:
        if self.first is None:
            return [(PLAYER["sender"], 0.5), (PLAYER["receiver"], 0.5)]
        p = self.spec.rules.break_off
        return [(outcome, q) for outcome, q in ((BREAK_DOWN, p), (CONTINUE, 1.0 - p)) if q > 0]

    # moves

    def _apply_action(self, action: int) -> None:
        if self.first is None:
            self.first = self.proposer = "sender" if action == PLAYER["sender"] else "receiver"
        elif self.breaking_off:
            self.breaking_off = False
            if action == BREAK_DOWN:
                self._end(self.spec.disagreement)
            else:
                self.round += 1
                self.proposer = self.spec.rules.proposer(self.round, self.first)
                self.pending, self.counter = self.counter, None
        elif self.pending is None:
            self.pending = action - FIRST_OFFER
        elif action == ACCEPT:
            self._end(self.spec.offer_payoffs[self.proposer][self.pending])
        elif self.round >= self.spec.rules.rounds - 1:
            self._end(self.spec.disagreement)
        else:
            self.counter = action - FIRST_OFFER if action >= FIRST_OFFER else None
            self.pending, self.breaking_off = None, True

    def _end(self, value: NDArray[np.float64]) -> None:
        self.payoffs = self.spec.rules.discount**self.round * value

    def _action_to_string(self, player: int, action: int) -> str:
        if player == pyspiel.PlayerId.CHANCE:
            if self.first is None:
                return f"{'sender' if action == PLAYER['sender'] else 'receiver'} proposes first"
            return "break down" if action == BREAK_DOWN else "continue"
        if action == ACCEPT:
            return "accept"
        if action == REJECT:
            return "reject"
        role: Role = "sender" if player == PLAYER["sender"] else "receiver"
        sender, receiver = self.spec.offer_payoffs[role][action - FIRST_OFFER]
        return f"offer {action - FIRST_OFFER} (U_S {sender:.4f}, U_R {receiver:.4f})"

    # outcome

    def is_terminal(self) -> bool:
        return self.payoffs is not None

    def returns(self) -> list[float]:
        return [0.0, 0.0] if self.payoffs is None else [float(v) for v in self.payoffs]

    def __str__(self) -> str:
        if self.first is None:
            return "coin flip for the first proposer"
        offer = "nothing" if self.pending is None else f"offer {self.pending}"
        return f"round {self.round}, {self.proposer} proposes, {offer} on the table"


pyspiel.register_game(_GAME_TYPE, InformationBargainingGame)


def load_game(**parameters: Any) -> pyspiel.Game:
    """``pyspiel.load_game("python_infobargain", parameters)``, with the env's argument names."""
    return pyspiel.load_game(SHORT_NAME, parameters)
