"""Offer encodings (``offer_space``): how an agent's action becomes an offer, and what accepting it pays.

- ``"scheme"``: a Box in ``[-1, 1]``: one decision entry (``>= 0`` accepts, ``< 0`` rejects or, where the
  protocol allows, counter-offers) then one entry per ``(state, signal)``. Row ``s`` becomes
  ``φ(·|s) = w / Σ w`` with ``w = (a + 1) / 2``; an all-``-1`` row becomes uniform. Every scheme is reached,
  deterministic ones included: ``φ`` is encoded by ``a = 2 φ / max φ − 1`` (:meth:`SchemeOffers.encode`).
- ``"grid"``: ``Discrete(2 + K)``: ``ACCEPT``, ``REJECT``, then ``K`` schemes whose probabilities are
  multiples of ``1 / (grid_size − 1)``.
- ``"frontier"``: ``Discrete(2 + grid_size)``: ``ACCEPT``, ``REJECT``, then ``grid_size`` points spread evenly
  along the proposer's Pareto frontier, from its worst point (index 2) to its best (index ``1 + grid_size``).
  For a pie, point ``k`` keeps the share ``keep_min + k (keep_max − keep_min) / (grid_size − 1)``.

A sender's offer is the scheme it commits to. A receiver's offer is a demanded scheme ``φ1``: with
``receiver_offer="threshold"`` the sender who accepts commits to its best scheme giving the receiver at
least ``U_R(φ1)``; with ``"exact"`` to ``φ1`` itself.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from functools import cached_property
from typing import Any, Literal, NamedTuple

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from infobargain.game.instance import Instance
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import ROLE_INDEX, ROLES, Role
from infobargain.game.schemes import ObedientReceiver, fit_signals
from infobargain.game.state import ACCEPT, FIRST_OFFER, REJECT, Offer, OfferTable
from infobargain.theory.polygon import PointSet, Polyline, segment_points
from infobargain.theory.problem import BargainingProblem

OfferSpaceName = Literal["scheme", "grid", "frontier"]
OFFER_SPACES: tuple[OfferSpaceName, ...] = ("scheme", "grid", "frontier")
ReceiverOffer = Literal["threshold", "exact"]
RECEIVER_OFFERS: tuple[ReceiverOffer, ...] = ("threshold", "exact")

MAX_GRID_OFFERS = 20_000

__all__ = [  # the action constants and Offer live in the game core; re-exported for the env's users
    "ACCEPT",
    "FIRST_OFFER",
    "OFFER_SPACES",
    "RECEIVER_OFFERS",
    "REJECT",
    "DiscreteOffers",
    "FrontierOffers",
    "GridOffers",
    "Offer",
    "OfferEncoding",
    "SchemeOffers",
    "make_offer_encoding",
    "schemes_from_actions",
    "threshold_schemes",
]


def _simplex_grid(levels: int, size: int) -> NDArray[np.float64]:
    """All probability vectors of length ``size`` whose entries are multiples of ``1 / (levels − 1)``."""
    steps = levels - 1
    rows = [c for c in itertools.product(range(steps + 1), repeat=size) if sum(c) == steps]
    return np.array(rows, dtype=np.float64) / steps


class OfferEncoding:
    """Maps actions to offers for one game; built once per game (and again when a sampler draws a new one)."""

    name: OfferSpaceName

    def __init__(self, problem: BargainingProblem, game: Instance | SplitPie, receiver_offer: ReceiverOffer) -> None:
        self.problem = problem
        self.game = game
        self.receiver_offer = receiver_offer

    @property
    def instance(self) -> Instance:
        assert isinstance(self.game, Instance)
        return self.game

    @cached_property
    def obedient(self) -> ObedientReceiver:
        """Decides and pays the schemes offered (persuasion only; built once per encoding)."""
        return ObedientReceiver(self.instance, self.problem.tie_break)

    def offer_problem(self) -> BargainingProblem:
        """The bargaining problem with the offers this encoding lets each proposer make; its SPE is the exact
        SPE of the game the env plays. Built once per encoding (rebuilt whenever the game changes)."""
        return self.problem

    def action_space(self) -> spaces.Space:
        raise NotImplementedError

    def decode(self, action: object, proposer: Role) -> Offer:
        """The offer an action makes (the caller has checked the action is an offer)."""
        raise NotImplementedError

    def accepts(self, action: object) -> bool:
        """Whether a responder's action accepts the offer on the table."""
        raise NotImplementedError

    def makes_offer(self, action: object) -> bool:
        """Whether a responder's action carries a (counter-)offer."""
        raise NotImplementedError

    def receiver_demand(self, demanded: NDArray[np.float64], index: int | None = None) -> Offer:
        """What a receiver's demanded scheme commits the sender to if it accepts."""
        own = self.obedient.payoffs(demanded)
        if self.receiver_offer == "threshold":
            scheme, feasible = threshold_schemes(self.problem, self.instance, own[1:])
            if feasible[0]:
                return Offer("receiver", self.obedient.payoffs(scheme[0]), scheme[0], demanded, index=index)
        return Offer("receiver", own, demanded, demanded, index=index)


def schemes_from_actions(actions: NDArray[np.floating], instance: Instance) -> NDArray[np.float64]:
    """``[..., state, signal]`` schemes of ``"scheme"`` actions ``[..., 1 + S·Σ]`` (the module docstring's
    mapping; entry 0, the decision, is ignored): one action or a batch through the same compiled rule
    (:func:`~infobargain.envs.scheme_kernels.scheme_from_action`). Shared by the AEC env and the vector env."""
    from infobargain.envs.scheme_kernels import schemes_from_actions as kernel

    batch = np.ascontiguousarray(actions, dtype=np.float64)
    size = 1 + instance.n_states * instance.signals
    if batch.ndim == 0 or batch.shape[-1] != size:
        raise ValueError(f"actions: a 'scheme' action has {size} entries, got shape {batch.shape}")
    flat = batch.reshape(-1, size)
    schemes = np.empty((len(flat), instance.n_states, instance.signals))
    kernel(flat, schemes)
    return schemes.reshape(*batch.shape[:-1], instance.n_states, instance.signals)


class FrontierTable(NamedTuple):
    """What a receiver's threshold demand is answered from (one bargaining problem's Pareto frontier), in the
    argument order of :func:`~infobargain.envs.scheme_kernels.threshold_schemes`."""

    receiver_levels: NDArray[np.float64]
    """The frontier's receiver utilities, increasing."""
    sender_levels: NDArray[np.float64]
    """The sender's utility at each of those points."""
    max_level: float
    """The most the receiver can be given (within the polygon's tolerance); a larger demand has no answer."""
    senders: NDArray[np.float64]
    """The frontier's sender utilities, increasing."""
    vertex_schemes: NDArray[np.float64]
    """``[vertex, state, action]``: the scheme attaining each frontier vertex, in that order."""

    @classmethod
    def of(cls, problem: BargainingProblem) -> FrontierTable:
        """``problem``'s table, built once per problem (cached while the problem lives)."""
        table = _FRONTIER_TABLES.get(problem)
        if table is None:
            indices = problem.feasible.pareto_indices()
            frontier = problem.feasible.vertices[indices]  # by increasing sender utility
            table = cls(
                frontier[::-1, 1].copy(),
                frontier[::-1, 0].copy(),
                float(frontier[0, 1] + problem.feasible.tolerance),
                frontier[:, 0].copy(),
                np.array([problem.vertex_scheme(i) for i in indices]),
            )
            _FRONTIER_TABLES[problem] = table
        return table


_FRONTIER_TABLES: weakref.WeakKeyDictionary[BargainingProblem, FrontierTable] = weakref.WeakKeyDictionary()


def threshold_schemes(
    problem: BargainingProblem, instance: Instance, demanded_utilities: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Under ``receiver_offer="threshold"``: the schemes a sender commits to when it accepts demands worth
    ``demanded_utilities`` to the receiver (its best scheme giving the receiver at least that), and which demands
    have one (``False`` only when a positive obedience margin excludes the demand; those rows are NaN).
    One compiled rule (:func:`~infobargain.envs.scheme_kernels.threshold_schemes`), shared by the AEC env and the
    vector env."""
    from infobargain.envs.scheme_kernels import threshold_schemes as kernel

    levels = np.ascontiguousarray(demanded_utilities, dtype=np.float64).reshape(-1)
    table = FrontierTable.of(problem)
    schemes = np.full((len(levels), *table.vertex_schemes.shape[1:]), np.nan)
    feasible = np.empty(len(levels), dtype=np.bool_)
    kernel(levels, *table, schemes, feasible)
    if feasible.all():
        return fit_signals(schemes, instance.signals), feasible
    fitted: NDArray[np.float64] = np.full((len(levels), instance.n_states, instance.signals), np.nan)
    if feasible.any():
        fitted[feasible] = fit_signals(schemes[feasible], instance.signals)
    return fitted, feasible


_NO_TABLE = FrontierTable(np.zeros(1), np.zeros(1), -np.inf, np.zeros(1), np.zeros((1, 1, 1)))
"""What the decode kernel reads for the frontier under ``receiver_offer="exact"``: nothing (it never gets there)."""


class SchemeOffers(OfferEncoding):
    name: OfferSpaceName = "scheme"

    def __init__(self, problem: BargainingProblem, game: Instance | SplitPie, receiver_offer: ReceiverOffer) -> None:
        super().__init__(problem, game, receiver_offer)
        self._offer_problem: BargainingProblem | None = None

    def action_space(self) -> spaces.Box:
        size = 1 + self.instance.n_states * self.instance.signals
        return spaces.Box(-1.0, 1.0, (size,), dtype=np.float64)

    def offer_problem(self) -> BargainingProblem:
        """A receiver's demand is mapped to the sender's best answer, a Pareto-frontier point: under
        ``receiver_offer="threshold"`` the receiver's offers are the frontier, not the whole set."""
        if self.receiver_offer != "threshold":
            return self.problem
        if self._offer_problem is None:
            frontier = Polyline(self.problem.feasible.pareto_frontier())
            self._offer_problem = self.problem.with_offers(self.problem.offers[0], frontier)
        return self._offer_problem

    def to_scheme(self, action: NDArray[np.floating]) -> NDArray[np.float64]:
        return schemes_from_actions(action, self.instance)

    def encode(self, scheme: NDArray[np.float64], accept: bool = False) -> NDArray[np.float64]:
        """An action that offers ``scheme`` (and accepts or not): the inverse of the documented mapping."""
        rows = np.asarray(scheme, dtype=np.float64)
        body = 2.0 * rows / rows.max(axis=1, keepdims=True) - 1.0
        return np.concatenate([[1.0 if accept else -1.0], body.ravel()])

    def accepts(self, action: object) -> bool:
        return bool(action[0] >= 0)  # type: ignore[index]

    def makes_offer(self, action: object) -> bool:
        return True

    def decode(self, action: object, proposer: Role) -> Offer:
        """One compiled call (:func:`~infobargain.envs.scheme_kernels.decode_offer`): the same rules as
        :meth:`to_scheme`, the obedient receiver and :meth:`receiver_demand`."""
        vector = np.ascontiguousarray(action, dtype=np.float64)
        if vector.shape != self._action_shape:
            raise ValueError(f"action: a 'scheme' action has shape {self._action_shape}, got {vector.shape}")
        kernel, constants, scratch = self._decoder
        instance = self.instance
        scheme, payoffs = np.empty((instance.n_states, instance.signals)), np.empty(2)
        if proposer == "sender":
            kernel(vector, False, *constants, scheme, payoffs, *self._unused, *scratch)
            return Offer("sender", payoffs, scheme)
        demand = self.receiver_offer == "threshold"
        committed, committed_payoffs = (np.empty(self._committed_shape), np.empty(2)) if demand else self._unused
        if kernel(vector, demand, *constants, scheme, payoffs, committed, committed_payoffs, *scratch):
            return Offer("receiver", committed_payoffs, fit_signals(committed, instance.signals), scheme)
        return Offer("receiver", payoffs, scheme, scheme)

    @cached_property
    def _decoder(self) -> tuple[Callable[..., bool], tuple[Any, ...], tuple[NDArray[Any], ...]]:
        """The decode kernel, the constants it reads (obedient receiver, frontier table) and its scratch space."""
        from infobargain.envs.scheme_kernels import decode_offer

        receiver, instance = self.obedient, self.instance
        table = FrontierTable.of(self.problem) if self.receiver_offer == "threshold" else _NO_TABLE
        constants = (receiver.weights, receiver.unsent, receiver.tolerance, receiver.sign, *table)
        scratch = (
            np.empty((1, max(instance.signals, instance.n_actions)), dtype=np.intp),
            np.empty(2 * instance.n_actions + 1),
            np.empty(2 * instance.n_actions + 1),
        )
        return decode_offer, constants, scratch

    @cached_property
    def _action_shape(self) -> tuple[int]:
        return (1 + self.instance.n_states * self.instance.signals,)

    @cached_property
    def _committed_shape(self) -> tuple[int, int]:
        return (self.instance.n_states, self.instance.n_actions)

    @cached_property
    def _unused(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Stand-ins for the committed scheme and payoffs where there is no threshold demand (never written)."""
        return np.empty(self._committed_shape), np.empty(2)


class DiscreteOffers(OfferTable, OfferEncoding):
    """Shared by the grid and frontier encodings: a fixed table of offers per proposer (decoded by the game
    core's :class:`~infobargain.game.state.OfferTable`)."""

    offers: dict[Role, list[Offer]]  # type: ignore[assignment]

    def __init__(self, problem: BargainingProblem, game: Instance | SplitPie, receiver_offer: ReceiverOffer) -> None:
        OfferEncoding.__init__(self, problem, game, receiver_offer)
        OfferTable.__init__(self, {role: self._build(role) for role in ROLES})
        self._offer_problem: BargainingProblem | None = None

    def _build(self, proposer: Role) -> list[Offer]:
        raise NotImplementedError

    def action_space(self) -> spaces.Discrete:
        return spaces.Discrete(FIRST_OFFER + self.size)

    def menu(self) -> NDArray[np.float64]:
        """``[proposer, offer, 2]``: both players' payoffs of every offer of each proposer (sender first), the
        observation's ``offer_menu``."""
        return np.array([[offer.payoffs for offer in self.offers[role]] for role in ROLES], dtype=np.float64)

    def offer_points(self, proposer: Role) -> PointSet:
        """The payoffs each of ``proposer``'s offers gives if accepted (in offer-index order)."""
        return PointSet([offer.payoffs for offer in self.offers[proposer]])

    def offer_problem(self) -> BargainingProblem:
        if self._offer_problem is None:
            self._offer_problem = self.problem.with_offers(self.offer_points("sender"), self.offer_points("receiver"))
        return self._offer_problem


class GridOffers(DiscreteOffers):
    name: OfferSpaceName = "grid"

    def __init__(
        self, problem: BargainingProblem, game: Instance | SplitPie, receiver_offer: ReceiverOffer, grid_size: int
    ) -> None:
        assert isinstance(game, Instance)
        rows = _simplex_grid(grid_size, game.signals)
        count = len(rows) ** game.n_states
        if count > MAX_GRID_OFFERS:
            raise ValueError(
                f"grid_size: a grid of {grid_size} levels over {game.n_states} states × {game.signals} signals has "
                f"{count} offers (more than {MAX_GRID_OFFERS}); lower grid_size or use offer_space='frontier' or 'scheme'"
            )
        choice = np.array(list(itertools.product(range(len(rows)), repeat=game.n_states)), dtype=np.intp)
        self.schemes = rows[choice]  # [offer, state, signal]
        super().__init__(problem, game, receiver_offer)

    def _build(self, proposer: Role) -> list[Offer]:
        if proposer == "sender":
            payoffs = self.obedient.payoffs(self.schemes)
            return [Offer("sender", p, s, index=k) for k, (p, s) in enumerate(zip(payoffs, self.schemes, strict=True))]
        return [self.receiver_demand(s, k) for k, s in enumerate(self.schemes)]


class FrontierOffers(DiscreteOffers):
    name: OfferSpaceName = "frontier"

    def __init__(
        self, problem: BargainingProblem, game: Instance | SplitPie, receiver_offer: ReceiverOffer, grid_size: int
    ) -> None:
        self.grid_size = grid_size
        super().__init__(problem, game, receiver_offer)

    def _build(self, proposer: Role) -> list[Offer]:
        mine = ROLE_INDEX[proposer]
        if isinstance(self.game, SplitPie):
            keeps = np.linspace(self.game.keep_min, self.game.keep_max, self.grid_size)
            return [
                Offer(proposer, np.array(self.game.payoffs(float(k), proposer)), keep=float(k), index=i)
                for i, k in enumerate(keeps)
            ]
        frontier = self.problem.offers[mine].pareto_frontier()  # type: ignore[union-attr]
        points = segment_points(frontier if mine == 0 else frontier[::-1], self.grid_size)  # proposer's worst → best
        offers = []
        for index, point in enumerate(points):
            scheme = fit_signals(self.problem.scheme_for_point(point), self.instance.signals)
            payoffs = self.obedient.payoffs(scheme)
            offers.append(Offer(proposer, payoffs, scheme, demanded=scheme if mine else None, index=index))
        return offers


def make_offer_encoding(
    name: str, problem: BargainingProblem, game: Instance | SplitPie, receiver_offer: ReceiverOffer, grid_size: int
) -> OfferEncoding:
    if name not in OFFER_SPACES:
        raise ValueError(f"offer_space: must be one of {OFFER_SPACES}, got {name!r}")
    if isinstance(game, SplitPie) and name != "frontier":
        raise ValueError(
            f"offer_space: a pie ({game.name}) is bargained over with offer_space='frontier' only, got {name!r}"
        )
    if name == "scheme":
        return SchemeOffers(problem, game, receiver_offer)
    if isinstance(grid_size, bool) or not isinstance(grid_size, (int, np.integer)) or grid_size < 2:
        raise ValueError(f"grid_size: must be an integer >= 2, got {grid_size!r}")
    if name == "grid":
        return GridOffers(problem, game, receiver_offer, int(grid_size))
    return FrontierOffers(problem, game, receiver_offer, int(grid_size))
