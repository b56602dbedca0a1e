"""The observation vector's layout and its game part, shared by the AEC env and the vector env.

An observation is one flat float vector: first what describes the game (the prior and both utility tables,
or a pie's share-to-payoff lines; ``d``; for ``"frontier"`` offers the offer menu), then the situation
(role, turn, phase, round, the offer on the table, the deal), then private information (the state or the
signal in the realization stage). :class:`ObservationLayout` names every slice; the env card
(:mod:`infobargain.envs.information_bargaining_v1`) describes them.

With ``observation="menu"`` (frontier offers only) the vector does not depend on the game's size, so one player
can play games of any number of states and actions under any protocol: the game is described by ``d`` and the
offer menu alone (on the frontier grid they are all the bargaining stage depends on), the protocol by
:func:`protocol_features`, the round by one-hots over :data:`MENU_ROUNDS` rounds counted from the start and from
the end, and the offer on the table by its payoffs; there is no scheme, state or signal entry.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from infobargain.envs.offers import DiscreteOffers, OfferEncoding
from infobargain.game.instance import Instance
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import PROTOCOLS, Protocol
from infobargain.theory.problem import BargainingProblem

OBSERVATIONS = ("full", "menu")
"""``observation=``: ``"full"`` (the game's own tables, sized by its states and actions) or ``"menu"`` (one size
for every game: the module docstring)."""
MENU_ROUNDS = 10
"""The most rounds a ``"menu"`` observation describes (its round one-hots have this many entries)."""


class ObservationLayout:
    """Named slices of the flat observation vector."""

    def __init__(self, parts: list[tuple[str, int]], constants: dict[str, NDArray[np.float64]] | None = None) -> None:
        self.constants = constants or {}
        """Entries fixed by the env's configuration, not by the game (the ``"menu"`` protocol features)."""
        self.slices: dict[str, slice] = {}
        start = 0
        for name, size in parts:
            self.slices[name] = slice(start, start + size)
            start += size
        self.size = start
        self.starts = {name: part.start for name, part in self.slices.items()}
        """Where each slice starts (what a one-hot entry is written at)."""

    def __getitem__(self, name: str) -> slice:
        return self.slices[name]

    def __repr__(self) -> str:
        """``ObservationLayout(size=92: prior[0:2], ...)``: what each index of the vector holds, when printed."""
        parts = ", ".join(f"{name}[{part.start}:{part.stop}]" for name, part in self.slices.items())
        return f"ObservationLayout(size={self.size}: {parts})"


def protocol_features(rules: Protocol) -> NDArray[np.float64]:
    """What a ``"menu"`` observation says about the protocol: a one-hot of its name (in :data:`PROTOCOLS`' order),
    the break-off chance, the discount and the number of offers as a share of :data:`MENU_ROUNDS`."""
    one_hot = [1.0 if rules.protocol == name else 0.0 for name in PROTOCOLS]
    return np.array([*one_hot, rules.break_off, rules.discount, rules.rounds / MENU_ROUNDS])


def observation_layout(
    game: Instance | SplitPie, encoding: OfferEncoding, rules: Protocol, observation: str = "full"
) -> ObservationLayout:
    """The layout of ``game``'s observations under ``encoding`` and ``rules``; ``observation="menu"``: the
    size-independent layout (the module docstring), which needs frontier offers and at most :data:`MENU_ROUNDS`
    rounds."""
    if observation not in OBSERVATIONS:
        raise ValueError(f"observation: must be one of {OBSERVATIONS}, got {observation!r}")
    # the offer menu's entries: both players' payoffs of every offer of both proposers (frontier offers only)
    menu = 2 * encoding.size * 2 if isinstance(encoding, DiscreteOffers) and encoding.name == "frontier" else 0
    if observation == "menu":
        if not menu:
            raise ValueError(
                f"observation: 'menu' describes a game by its frontier offers; offer_space={encoding.name!r} has "
                "none (use offer_space='frontier')"
            )
        if rules.rounds > MENU_ROUNDS:
            raise ValueError(
                f"observation: 'menu' describes at most {MENU_ROUNDS} rounds, the protocol has {rules.rounds} "
                f"(max_rounds <= {MENU_ROUNDS}, or observation='full')"
            )
        features = protocol_features(rules)
        parts = [
            ("disagreement", 2),
            ("offer_menu", menu),
            ("protocol", len(features)),
            ("role", 2),
            ("my_turn", 1),
            ("proposing", 1),
            ("phase", 2),
            ("round", MENU_ROUNDS),
            ("rounds_left", MENU_ROUNDS),
            ("offer_on_table", 1),
            ("offer_payoffs", 2),
            ("offer_by_me", 1),
            ("deal", 1),
        ]
        return ObservationLayout(parts, {"protocol": features})
    if isinstance(game, SplitPie):
        game_parts = [("pie", 6), ("disagreement", 2)]
        offer_parts = [("offer_keep", 1)]
        private: list[tuple[str, int]] = []
    else:
        game_parts = [
            ("prior", game.n_states),
            ("sender_utility", game.n_states * game.n_actions),
            ("receiver_utility", game.n_states * game.n_actions),
            ("disagreement", 2),
        ]
        offer_parts = [("offer_scheme", game.n_states * game.signals)]
        private = [("state", game.n_states), ("signal", game.signals)]
    if menu:  # what each offer action means here
        game_parts.append(("offer_menu", menu))
    return ObservationLayout(
        [
            *game_parts,
            ("role", 2),
            ("my_turn", 1),
            ("proposing", 1),
            ("phase", 2),
            ("round", rules.rounds),
            ("offer_on_table", 1),
            *offer_parts,
            ("offer_payoffs", 2),
            ("offer_by_me", 1),
            ("deal", 1),
            *private,
        ]
    )


def round_entries(layout: ObservationLayout, rounds: int, current: NDArray[np.intp]) -> list[NDArray[np.intp]]:
    """The indices set to 1 for games in round ``current`` of a ``rounds``-round protocol: the ``round`` one-hot
    (the last round past the deadline), and ``rounds_left`` where the layout has it."""
    played = np.minimum(current, rounds - 1)
    entries = [layout.starts["round"] + played]
    if "rounds_left" in layout.slices:
        entries.append(layout.starts["rounds_left"] + rounds - 1 - played)
    return entries


def game_observations(
    layout: ObservationLayout,
    d: NDArray[np.float64],
    menu: NDArray[np.float64] | None,
    *,
    prior: NDArray[np.float64] | None = None,
    utilities: NDArray[np.float64] | None = None,
    pie: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """``[games, observation]``: the game part of the observation of a batch of games (other entries 0), from
    their ``d`` ``[games, 2]``, offer menus ``[games, 2, K, 2]`` (when the layout has one), and either priors and
    utilities ``[games, 2 (sender, receiver), S, A]`` or a pie's description ``[games, 6]``. The AEC env and the
    vector env both build their observations with it."""
    vector = np.zeros((len(d), layout.size), dtype=np.float64)
    for name, values in layout.constants.items():
        vector[:, layout[name]] = values
    if "pie" in layout.slices:
        vector[:, layout["pie"]] = pie
    elif "prior" in layout.slices:
        assert prior is not None and utilities is not None
        vector[:, layout["prior"]] = prior
        vector[:, layout["sender_utility"]] = utilities[:, 0].reshape(len(d), -1)
        vector[:, layout["receiver_utility"]] = utilities[:, 1].reshape(len(d), -1)
    vector[:, layout["disagreement"]] = d
    if "offer_menu" in layout.slices:
        assert menu is not None
        vector[:, layout["offer_menu"]] = menu.reshape(len(d), -1)
    return vector


def game_observation(
    layout: ObservationLayout, game: Instance | SplitPie, problem: BargainingProblem, encoding: OfferEncoding
) -> NDArray[np.float64]:
    """The observation entries that describe one game (fixed until the game changes)."""
    menu = encoding.menu()[None] if isinstance(encoding, DiscreteOffers) else None
    d = problem.d[None]
    if isinstance(game, SplitPie):
        description = np.array(
            [
                [
                    game.keep_min,
                    game.keep_max,
                    game.proposer_base,
                    game.proposer_slope,
                    game.responder_base,
                    game.responder_slope,
                ]
            ]
        )
        return game_observations(layout, d, menu, pie=description)[0]
    utilities = np.stack([game.sender_utility, game.receiver_utility])[None]
    return game_observations(layout, d, menu, prior=game.prior[None], utilities=utilities)[0]
