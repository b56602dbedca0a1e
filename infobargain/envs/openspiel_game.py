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

The rules are the library's rules core (:class:`infobargain.game.state.State`, which the environment
drives too) and the offers come from the environment's own offer encoding, so both play the same game;
``tests/test_openspiel_game.py`` checks OpenSpiel's ``nash_conv`` on it against the library's exact
exploitability.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyspiel
from numpy.typing import NDArray
from open_spiel.python.observation import IIGObserverForPublicInfoGame

from infobargain.envs.game_tables import tables_of
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT, DiscreteOffers
from infobargain.game.config import ENV_DEFAULTS
from infobargain.game.limits import check_env_size
from infobargain.game.protocol import ROLE_INDEX, Role
from infobargain.game.state import BREAK_DOWN, CHANCE, TERMINAL, IllegalActionError, State

SHORT_NAME = "python_infobargain"
PLAYER: dict[Role, int] = {"sender": 0, "receiver": 1}
PARAMETERS: dict[str, Any] = {
    name: getattr(ENV_DEFAULTS, name)
    for name in (
        "game",
        "protocol",
        "first_proposer",
        "max_rounds",
        "break_off",
        "discount",
        "tie_break",
        "obedience_margin",
        "receiver_offer",
        "offer_space",
        "grid_size",
    )
}
"""The game's parameters: the environment's arguments that shape the bargaining stage, with the environment's
defaults (:data:`~infobargain.game.config.ENV_DEFAULTS`)."""


class SharedGame:
    """What a state needs to know of its game: the rules, the offers and their payoffs (the vector env's
    :class:`~infobargain.envs.game_tables.GameTables` row of the game). Immutable, so copies of a state share it."""

    def __init__(self, env: raw_env) -> None:
        row = tables_of([env.game], env)  # reloads the game: read the encoding after
        encoding = env.encoding
        assert isinstance(encoding, DiscreteOffers) and row.payoffs is not None
        self.rules = env.rules
        self.decoder = encoding
        self.disagreement: NDArray[np.float64] = row.d[0]
        self.offer_payoffs: dict[Role, NDArray[np.float64]] = {
            role: row.payoffs[0, ROLE_INDEX[role]] for role in PLAYER
        }
        self.n_offers = encoding.size

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedGame:
        return self

    def start(self, first: Role) -> State:
        """The rules core's state at the start of bargaining with ``first`` proposing."""
        return State(self.rules, self.decoder, self.disagreement, first)


class _Core:
    """Holds the rules core's state; a deep copy (OpenSpiel's ``clone``) is the core's own compact clone."""

    def __init__(self, state: State) -> None:
        self.state = state

    def __deepcopy__(self, memo: dict[int, Any]) -> _Core:
        return _Core(self.state.clone())


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
        check_env_size(settings["game"], settings)  # before any offer table is built
        self.env = raw_env(**settings, realization="expected")
        if not isinstance(self.env.encoding, DiscreteOffers):
            raise ValueError(
                f"offer_space: OpenSpiel needs a discrete offer space ('grid' or 'frontier'), got {settings['offer_space']!r}"
            )
        if self.env.distribution is not None:
            raise ValueError("game: the OpenSpiel game needs one fixed game, not a distribution of games")
        self.tables = tables = SharedGame(self.env)
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
    """One history of the game: the coin flip, then the rules core's :class:`~infobargain.game.state.State`."""

    def __init__(self, game: InformationBargainingGame) -> None:
        super().__init__(game)
        self.tables = game.tables
        setting = self.tables.rules.first_proposer
        self.core: _Core | None = None if setting == "coin_flip" else _Core(self.tables.start(setting))

    # what the players' policies read

    @property
    def first(self) -> Role | None:
        return None if self.core is None else self.core.state.first

    @property
    def round(self) -> int:
        assert self.core is not None
        return self.core.state.round

    @property
    def acting(self) -> Role:
        assert self.core is not None
        return self.core.state.acting

    @property
    def pending(self) -> int | None:
        """Index of the offer on the table (``None``: nothing on the table)."""
        assert self.core is not None
        offer = self.core.state.pending
        return None if offer is None else offer.index

    # OpenSpiel's state API

    def current_player(self) -> int:
        if self.core is None:
            return int(pyspiel.PlayerId.CHANCE)
        player = self.core.state.current_player()
        if player == CHANCE:
            return int(pyspiel.PlayerId.CHANCE)
        if player == TERMINAL:
            return int(pyspiel.PlayerId.TERMINAL)
        return PLAYER[player]  # type: ignore[index]

    def _legal_actions(self, player: int) -> list[int]:
        assert self.core is not None
        return self.core.state.legal_actions()

    def chance_outcomes(self) -> list[tuple[int, float]]:
        if self.core is None:
            return [(PLAYER["sender"], 0.5), (PLAYER["receiver"], 0.5)]
        return [(outcome, p) for outcome, p in self.core.state.chance_outcomes() if p > 0]

    def _apply_action(self, action: int) -> None:
        if self.core is None:
            if action not in PLAYER.values():
                raise IllegalActionError(
                    f"action: {action!r} is not an outcome of the coin flip for the first proposer "
                    f"({PLAYER['sender']} the sender, {PLAYER['receiver']} the receiver)"
                )
            self.core = _Core(self.tables.start("sender" if action == PLAYER["sender"] else "receiver"))
        else:
            self.core.state.apply_action(action)

    def _action_to_string(self, player: int, action: int) -> str:
        if player == pyspiel.PlayerId.CHANCE:
            if self.core is None:
                return f"{'sender' if action == PLAYER['sender'] else 'receiver'} proposes first"
            return "break down" if action == BREAK_DOWN else "continue"
        if action == ACCEPT:
            return "accept"
        if action == REJECT:
            return "reject"
        role: Role = "sender" if player == PLAYER["sender"] else "receiver"
        sender, receiver = self.tables.offer_payoffs[role][action - FIRST_OFFER]
        return f"offer {action - FIRST_OFFER} (U_S {sender:.4f}, U_R {receiver:.4f})"

    def is_terminal(self) -> bool:
        return self.core is not None and self.core.state.is_terminal()

    def returns(self) -> list[float]:
        if not self.is_terminal():
            return [0.0, 0.0]
        assert self.core is not None
        return [float(v) for v in self.core.state.returns()]

    def __str__(self) -> str:
        return "coin flip for the first proposer" if self.core is None else self.core.state.describe()


pyspiel.register_game(_GAME_TYPE, InformationBargainingGame)


def load_game(**parameters: Any) -> pyspiel.Game:
    """``pyspiel.load_game("python_infobargain", parameters)``, with the env's argument names. OpenSpiel types
    its parameters strictly, so a whole number given for a real one (``discount=1``) is passed as a float."""
    typed = {
        name: float(value)
        if isinstance(PARAMETERS.get(name), float) and isinstance(value, int) and not isinstance(value, bool)
        else value
        for name, value in parameters.items()
    }
    return pyspiel.load_game(SHORT_NAME, typed)
