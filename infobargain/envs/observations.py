"""The observation vector's layout and its game part, shared by the AEC env and the vector env.

An observation is one flat float vector: first what describes the game (the prior and both utility tables,
or a pie's share-to-payoff lines; ``d``; for ``"frontier"`` offers the offer menu), then the situation
(role, turn, phase, round, the offer on the table, the deal), then private information (the state or the
signal in the realization stage). :class:`ObservationLayout` names every slice; the env card
(:mod:`infobargain.envs.information_bargaining_v1`) describes them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from infobargain.envs.offers import DiscreteOffers, OfferEncoding
from infobargain.game.instance import Instance
from infobargain.game.pie import SplitPie
from infobargain.theory.problem import BargainingProblem


class ObservationLayout:
    """Named slices of the flat observation vector."""

    def __init__(self, parts: list[tuple[str, int]]) -> None:
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


def observation_layout(game: Instance | SplitPie, encoding: OfferEncoding, rounds: int) -> ObservationLayout:
    """The layout of ``game``'s observations under ``encoding`` with ``rounds`` offers at most."""
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
    if isinstance(encoding, DiscreteOffers) and encoding.name == "frontier":  # what each offer action means here
        game_parts.append(("offer_menu", 2 * encoding.size * 2))
    return ObservationLayout(
        [
            *game_parts,
            ("role", 2),
            ("my_turn", 1),
            ("proposing", 1),
            ("phase", 2),
            ("round", rounds),
            ("offer_on_table", 1),
            *offer_parts,
            ("offer_payoffs", 2),
            ("offer_by_me", 1),
            ("deal", 1),
            *private,
        ]
    )


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
    if pie is not None:
        vector[:, layout["pie"]] = pie
    else:
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
