"""Tabular players: one action distribution per bargaining situation, on a discrete offer space.

A bargaining situation is ``(first proposer, round, offer on the table)``: everything a player's decision
may depend on in a perfect-information bargaining game, and exactly what
:func:`~infobargain.evaluation.exploitability.exact_exploitability` probes. :class:`SituationIndex` numbers the
situations of one game; :class:`TabularPolicy` plays one role from a table ``[situation, action]`` of
probabilities (it exposes :meth:`TabularPolicy.action_probabilities`, so exact exploitability covers it even
when it mixes). Saved as ``.npz`` (:meth:`TabularPolicy.save`, :func:`load_tabular_player`).

Offers with identical payoffs are one situation (the observation shows an offer's payoffs, not its index):
:attr:`SituationIndex.canonical` maps each offer to the first one with its payoffs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.agents.base import BoundPolicy, Observation
from infobargain.envs.information_bargaining_v0 import raw_env
from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT, DiscreteOffers
from infobargain.game.protocol import ROLES, Role

FORMAT = "infobargain-tabular"


class SituationIndex:
    """Numbers the bargaining situations of one game: ``((first · rounds) + round) · (K + 1) + slot``, where slot
    0 is "nothing on the table" (the proposer decides) and slot ``1 + k`` is "offer ``k`` on the table" (the
    responder decides). ``first`` is 0 for the sender, 1 for the receiver."""

    def __init__(self, env: Any) -> None:
        game = env.unwrapped if hasattr(env, "unwrapped") else env
        encoding = game.encoding
        if not isinstance(encoding, DiscreteOffers):
            raise ValueError(
                f"offer_space: tabular players need a discrete offer space ('grid' or 'frontier'), got {game.offer_space!r}"
            )
        self.rules = game.rules
        self.rounds = self.rules.rounds
        self.size = encoding.size
        self.n_actions = FIRST_OFFER + self.size
        self.count = 2 * self.rounds * (self.size + 1)
        self.payoffs = {role: encoding.offer_points(role).vertices for role in ROLES}
        self.canonical = {role: _first_equal(self.payoffs[role]) for role in ROLES}
        self.actor = np.zeros(self.count, dtype=np.intp)
        """Who decides in each situation (0 sender, 1 receiver)."""
        self.legal = np.zeros((self.count, self.n_actions), dtype=bool)
        self.reachable = np.zeros(self.count, dtype=bool)
        """Situations that play from round 0 can reach (fresh rounds and every offer on the table)."""
        alternating = self.rules.protocol == "alternating"
        for first_index, first in enumerate(ROLES):
            for t in range(self.rounds):
                proposer = ROLES.index(self.rules.proposer(t, first))
                base = self.situation(first_index, t, None)
                self.actor[base] = proposer
                self.legal[base, FIRST_OFFER:] = True
                self.reachable[base] = t == 0 or not alternating
                responding = base + 1 + np.arange(self.size)
                self.actor[responding] = 1 - proposer
                self.legal[responding, ACCEPT] = True
                if alternating and t < self.rounds - 1:
                    self.legal[responding, FIRST_OFFER:] = True
                else:
                    self.legal[responding, REJECT] = True
                canonical = self.canonical[ROLES[proposer]]
                self.reachable[base + 1 + np.unique(canonical)] = True

    def situation(self, first: int, round_index: int, offer: int | None) -> int:
        slot = 0 if offer is None else 1 + offer
        return (first * self.rounds + round_index) * (self.size + 1) + slot

    def situations(
        self,
        first: NDArray[np.intp],
        rounds: NDArray[np.intp],
        pending: NDArray[np.bool_],
        offer: NDArray[np.intp],
        proposer: NDArray[np.intp],
    ) -> NDArray[np.intp]:
        """Vectorised :meth:`situation` (offers mapped to their canonical index by their proposer's table)."""
        canonical = np.where(proposer == 0, self.canonical["sender"][offer], self.canonical["receiver"][offer])
        slot = np.where(pending, 1 + canonical, 0)
        return (first * self.rounds + rounds) * (self.size + 1) + slot  # type: ignore[no-any-return]

    def first_proposer(self, round_index: int, proposer: Role) -> int:
        """The first proposer under which ``proposer`` proposes in ``round_index`` (the sender's when both do)."""
        for first_index, first in enumerate(ROLES):
            if self.rules.proposer(round_index, first) == proposer:
                return first_index
        raise ValueError(f"no first proposer makes the {proposer} propose in round {round_index}")


def _first_equal(points: NDArray[np.float64]) -> NDArray[np.intp]:
    """For each point, the index of the first point equal to it (to 1e-12)."""
    result = np.arange(len(points))
    for k in range(1, len(points)):
        same = np.flatnonzero(np.abs(points[:k] - points[k]).max(axis=1) <= 1e-12)
        if len(same):
            result[k] = same[0]
    return result


class TabularPolicy(BoundPolicy):
    """Plays ``role`` from ``probabilities[situation, action]`` (rows of situations where ``role`` does not
    decide are ignored). ``greedy`` plays each row's most likely action (the first on ties)."""

    def __init__(
        self, probabilities: NDArray[np.float64], env: Any, role: Role, *, greedy: bool = False, spec: str = "tabular"
    ) -> None:
        super().__init__(env, role)
        self.index = SituationIndex(self.env)
        table = np.asarray(probabilities, dtype=np.float64)
        if table.shape != (self.index.count, self.index.n_actions):
            raise ValueError(
                f"probabilities: expected shape {(self.index.count, self.index.n_actions)} for this game, got {table.shape}"
            )
        self.probabilities = table
        self.greedy = greedy
        self.spec = spec

    def _row(self, observation: Observation) -> NDArray[np.float64]:
        now = self.situation(observation)
        proposer: Role = self.role if now.proposing else ROLES[1 - self.me]
        first = self.index.first_proposer(now.round, proposer)
        offer = None
        if now.offer_payoffs is not None:
            table = self.index.payoffs[proposer]
            offer = int(self.index.canonical[proposer][np.argmin(np.abs(table - now.offer_payoffs).sum(axis=1))])
        row = self.probabilities[self.index.situation(first, now.round, offer)]
        mask = np.asarray(observation["action_mask"], dtype=bool)
        legal = np.where(mask, row, 0.0)
        total = legal.sum()
        return legal / total if total > 0 else mask / mask.sum()

    def action_probabilities(self, observation: Observation) -> NDArray[np.float64]:
        """The distribution this player draws its action from (the greedy action with certainty when greedy)."""
        row = self._row(observation)
        if not self.greedy:
            return row
        chosen = np.zeros_like(row)
        chosen[int(np.argmax(row))] = 1.0
        return chosen

    def act(self, observation: Observation) -> Any:
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return self.passing
        row = self.action_probabilities(observation)
        return int(np.argmax(row)) if self.greedy else int(self.rng.choice(len(row), p=row))

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            Path(path),
            format=FORMAT,
            role=self.role,
            greedy=self.greedy,
            spec=self.spec,
            probabilities=self.probabilities,
        )


def load_tabular_player(path: str | Path, env: Any, role: Role) -> TabularPolicy:
    """Rebuild a :class:`TabularPolicy` saved with :meth:`TabularPolicy.save` (for the same game)."""
    with np.load(Path(path), allow_pickle=False) as saved:
        if "format" not in saved or str(saved["format"]) != FORMAT:
            raise ValueError(f"policy: {path} is not a saved tabular player")
        if str(saved["role"]) != role:
            raise ValueError(f"policy: {path} plays the {saved['role']}, not the {role}")
        return TabularPolicy(saved["probabilities"], env, role, greedy=bool(saved["greedy"]), spec=str(path))


def uniform_table(env: raw_env) -> NDArray[np.float64]:
    """Uniform over the legal actions of every situation (the starting point of tabular learners)."""
    index = SituationIndex(env)
    return index.legal / index.legal.sum(axis=1, keepdims=True)
