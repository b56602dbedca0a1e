"""Frontier offer tables of many 2×2 games at once, in closed form (no LP, no Python loop over games).

The vector env plays a fresh random 2-state, 2-action, 2-signal game in every episode; each needs the
tables of its ``"frontier"`` offers. The reference path (:func:`~infobargain.theory.problem.bargaining_problem`
then :class:`~infobargain.envs.offers.FrontierOffers`) walks the obedience polytope game by game;
:func:`frontier_tables_2x2` gives the same tables for a whole batch with array operations
(``benchmarks/bench_offer_tables.py`` compares the two).

**The closed form.** With direct recommendations a scheme is ``(α, β) = (φ(signal 1 | state 0), φ(signal 1 |
state 1))`` in the unit square, and both payoffs are affine in ``(α, β)``. Write ``Δ_s = u_R(s, 1) − u_R(s, 0)``,
``m`` the obedience margin and ``r±_s = μ0(s)·(Δ_s ± m)``. Obeying signal 1 by the margin is ``α·r⁻_0 + β·r⁻_1 ≥
0`` (a line through the corner ``(0, 0)``) and obeying signal 0 is ``(1 − α)·r⁺_0 + (1 − β)·r⁺_1 ≤ 0`` (a line
through ``(1, 1)``). The reference's feasible set ``U`` is the hull of the obedient payoffs and ``d``, the
payoffs of the no-information scheme ``D = (a0, a0)``; as the map is affine, it is the image of the hull of the
obedient ``(α, β)`` and ``D``, which is

- a point, ``D``, when no state favours action 0 by more than ``m`` and the prior favours action 1 by more than
  ``m`` (no recommendation of action 0 is ever obeyed), or the same with the actions swapped;
- a triangle when each state favours its own action by more than ``m`` (the "up" state action 1, the "down"
  state action 0): ``F`` full disclosure (the receiver's best scheme, the top vertex), ``D``, and ``C``, where
  the line through ``D`` meets the square's edge next to ``F``: ``φ(1 | up) = 1 + r⁺_down / r⁺_up`` with
  ``φ(1 | down) = 0`` when ``a0 = 1``, ``φ(1 | down) = −r⁻_up / r⁻_down`` with ``φ(1 | up) = 1`` when ``a0 =
  0``. (With a margin the obedient set may be a quadrilateral without ``D``; its other two vertices then lie
  on the edges ``C–D`` and ``D–F`` of the hull.) At ``m = 0`` both lines are the receiver's no-information level, ``C–D`` is the bottom
  edge and the frontier is a single edge; with ``m > 0`` it may have two.

The Pareto frontier is the chain of the triangle's vertices from ``F`` to the one paying the sender most, as
the reference walks it (counter-clockwise from the rightmost vertex to the top one, ties within ``1e-12``). The
``K`` offers are spread evenly along it by arc length, and the map being affine and (checked) invertible, the
scheme of a point a fraction ``w`` along an edge is the same mixture of the ends' schemes: the only scheme with
those payoffs, so the one the reference mixes from its vertex schemes. The tables are then what the reference
computes from the schemes: the receiver's obedient action after each signal with :mod:`infobargain.game.schemes`'
tie rules (tolerance :data:`~infobargain.game.schemes.TIE_TOLERANCE`, unsent signals answered by the prior's
action), the state-action distribution and the payoffs. The receiver's offers are the sender's in reverse.

**Why it is exact, and which rows fall back.** The reference decides a few things with tolerances: the
no-information action (``|G|``, ``G = Σ_s μ0(s)·Δ_s``, against the tie tolerance), the vertices of ``U``
(duplicates and collinear points within ``1e-11`` of its scale), the ends of the frontier (``1e-12``), which
vertex or edge a frontier point is mixed from (``1e-12``), the receiver's ties after each signal; its simplex
walk also treats tiny rates and pivots as zero. A row is marked exact only when every such decision is clear of
its threshold by a wide margin (the ``*_MARGIN`` constants below), so the reference and the closed form, each
accurate to rounding, decide alike. Rows marked ``False`` have NaN tables; the caller recomputes them with the
reference path. They are:

- a state where the receiver is (nearly) indifferent or indifferent by the margin (``|Δ_s| ≈ m``, including
  ``Δ_s = 0`` at ``m = 0``), a state of (nearly) zero prior, and so every game the margin leaves with no
  obedient scheme (where the reference raises :class:`~infobargain.theory.lp.InfeasibleError`);
- a prior (nearly) indifferent by the margin (``|G| ≈ m``), except ``G = 0`` within rounding at ``m = 0``,
  which is exact (``C`` is then the corner opposite ``D``); a prior tie where the sender is indifferent too;
- a triangle that is (nearly) flat in payoff space, e.g. a sender whose utility differences are proportional to
  the receiver's (equal or opposed utilities: several schemes give the same payoffs), nearly equal vertices,
  two vertices (nearly) tied for the sender's best, ``C`` (nearly) at a corner of the square;
- an offer so near a frontier vertex it does not sit on (its distance times the sine of the vertex's angle below
  ``1e-10``) that the reference may mix it from the vertex's other edge;
- an offer whose receiver is within rounding of the tie tolerance after a signal sent with non-negligible
  probability, or indifferent with a sender (nearly) indifferent too.

On random 2×2 instances (Dirichlet prior, utilities uniform on ``[-1, 1]``) 1 row in 200,000 fell back at
``m = 0`` (``benchmarks/bench_offer_tables.py`` prints the fraction); at ``m > 0`` also those the margin makes
infeasible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from infobargain.envs.offers import RECEIVER_OFFERS
from infobargain.game.instance import PRIOR_TOLERANCE
from infobargain.game.schemes import TIE_TOLERANCE, TieBreak, check_tie_break
from infobargain.theory.lp import check_margin
from infobargain.theory.polygon import GEOMETRY_TOLERANCE

__all__ = ["FrontierTables", "check_options", "frontier_tables_2x2"]

CHUNK_ENTRIES = 65536
"""Offers are computed for this many (game, offer) pairs at a time."""
RATE_MARGIN = 1e-6
"""``|r_s|`` and ``|G|`` below this (times the receiver's utility scale) fall back: the receiver or the prior
is (nearly) indifferent, where the reference's tolerances decide."""
LEVEL_MARGIN = 1e-11
"""``|G|`` below this times ``min |r_s|`` is a prior that leaves the receiver indifferent: ``C`` is then within
rounding of the corner opposite ``D``."""
CORNER_MARGIN = 1e-7
"""``C`` closer than this to a corner of the square (in ``α`` or ``β``) falls back."""
HULL_TOLERANCE = 1e-11
"""The slack (times the scale) below which the reference's hull drops a vertex as collinear or duplicate."""
HULL_MARGIN = 1e4
"""A triangle whose corners turn by less than this many times the reference's collinearity slack falls back."""
SEPARATION_MARGIN = 1e-8
"""Vertices closer than this (times the polygon's scale) in either payoff, where the reference's duplicate and
frontier-end tests (``1e-11``, ``1e-12``) could decide otherwise, fall back."""
TIE_MARGIN = 1e-13
"""A receiver's (or, in a tie, sender's) value gap within this (times its utility scale) of the tie tolerance
may be judged otherwise by the reference: such offers fall back."""
OFFER_MARGIN = 1e-10
"""An offer near a vertex it does not sit on, at a distance that times the sine of the vertex's angle is below
this (times the scale), may lie within the reference's ``1e-12`` of the vertex's other edge, whose mixture the
reference may then take: such rows fall back."""
VERTEX_MARGIN = 1e-14
"""An offer this close (times the scale) to the frontier's middle vertex sits on it."""
SHORT_EDGE = 1e-3
"""An offer sitting on the middle vertex of a frontier with an edge shorter than this falls back (its scheme
would move by more than 1e-11 from rounding)."""
MASS_MARGIN = 1e-11
"""Signals sent with at most this probability cannot move a table entry by 1e-9 whichever action they get."""


@dataclass(frozen=True)
class FrontierTables:
    """The ``"frontier"`` offer tables of a batch of ``B`` games with ``K`` offers per proposer."""

    d: NDArray[np.float64]
    """``[B, 2]``: the disagreement point (sender, receiver)."""
    payoffs: NDArray[np.float64]
    """``[B, 2, K, 2]``: what offer ``k`` of proposer ``p`` (0 sender, 1 receiver) pays if accepted."""
    schemes: NDArray[np.float64]
    """``[B, 2, K, S, Σ]``: the scheme offer ``k`` commits to."""
    joints: NDArray[np.float64]
    """``[B, 2, K, S, A]``: the probability of each (state, action) when the receiver obeys that scheme."""
    no_information_action: NDArray[np.intp]
    """``[B]``: the action the receiver plays on its prior (without a deal), with the reference's tie rule."""


def _check_inputs(
    prior: ArrayLike, sender_utility: ArrayLike, receiver_utility: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    arrays = []
    for field, value, shape in (
        ("prior", prior, "[B, 2]"),
        ("sender_utility", sender_utility, "[B, 2, 2]"),
        ("receiver_utility", receiver_utility, "[B, 2, 2]"),
    ):
        array = np.asarray(value, dtype=np.float64)
        if array.shape[1:] != ((2,) if field == "prior" else (2, 2)):
            raise ValueError(
                f"{field}: must have shape {shape} (a batch of 2-state, 2-action games), got {array.shape}"
            )
        if not np.isfinite(array.sum()):  # one reduction in the common case; the row only on failure
            bad = ~np.isfinite(array).all(axis=tuple(range(1, array.ndim)))
            raise ValueError(f"{field}: row {int(np.argmax(bad))} contains NaN or infinity")
        arrays.append(array)
    p, u_sender, u_receiver = arrays
    if not len(p) == len(u_sender) == len(u_receiver):
        raise ValueError(
            f"prior, sender_utility, receiver_utility: batch sizes differ ({len(p)}, {len(u_sender)}, {len(u_receiver)})"
        )
    bad = (p < 0).any(axis=1) | (np.abs(p.sum(axis=1) - 1.0) > PRIOR_TOLERANCE)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(f"prior: row {row} is not a probability vector: {p[row].tolist()}")
    return p / p.sum(axis=1, keepdims=True), u_sender, u_receiver


def check_options(tie_break: str, obedience_margin: float, receiver_offer: str, grid_size: int) -> TieBreak:
    """Check the table builders' options as the env checks them; returns the tie-break rule."""
    check_margin(obedience_margin)
    if receiver_offer not in RECEIVER_OFFERS:
        raise ValueError(f"receiver_offer: must be one of {RECEIVER_OFFERS}, got {receiver_offer!r}")
    if isinstance(grid_size, bool) or not isinstance(grid_size, (int, np.integer)) or grid_size < 2:
        raise ValueError(f"grid_size: must be an integer >= 2, got {grid_size!r}")
    return check_tie_break(tie_break)


def _obeyed(
    receiver_gain: NDArray[np.float64],
    sender_gain: NDArray[np.float64],
    total: NDArray[np.float64],
    default: NDArray[np.bool_],
    scales: tuple[NDArray[np.float64], NDArray[np.float64]],
    tie_break: TieBreak,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Whether the obedient receiver plays action 1 after a signal sent with probability ``total``, as
    :func:`~infobargain.game.schemes.obey_actions` decides it, and whether that decision is clear of the tie
    tolerance. ``receiver_gain`` and ``sender_gain``: what action 1 gains each player over action 0, summed over
    the signal's joint ``x(·, σ)``; ``default``: the prior's action (a signal never sent gets it); ``scales``: the
    receiver's and sender's utility scales."""
    receiver_scale, sender_scale = scales
    tolerance = TIE_TOLERANCE * receiver_scale * total
    tie = np.abs(receiver_gain) <= tolerance
    prefers = sender_gain > 0 if tie_break == "sender" else sender_gain < 0  # exact ties go to action 0
    action = np.where(total > 0, np.where(tie, prefers, receiver_gain > 0), default)
    doubtful = (np.abs(np.abs(receiver_gain) - tolerance) <= TIE_MARGIN * receiver_scale) | (
        tie & (np.abs(sender_gain) <= TIE_MARGIN * sender_scale)
    )
    return action, ~(doubtful & (total > MASS_MARGIN))


Point = NDArray[np.float64]
"""``[2, B]`` ``(α, β)`` or ``[4, B]`` ``(α, β, U_S, U_R)``: one point per game, component-major so that every
component is a contiguous ``[B]`` array."""


def _corners(
    p: NDArray[np.float64],
    diff_receiver: NDArray[np.float64],
    gain: NDArray[np.float64],
    a0: NDArray[np.bool_],
    margin: float,
    receiver_scale: NDArray[np.float64],
) -> tuple[tuple[Point, Point, Point], NDArray[np.bool_], NDArray[np.bool_]]:
    """``F``, ``D``, ``C`` in ``(α, β)`` (a point region: ``D`` three times); which rows are triangles; which rows
    are clear of the reference's tolerances."""
    plus, minus = p * (diff_receiver + margin), p * (diff_receiver - margin)  # r± = μ0·(Δ ± m)
    floor = RATE_MARGIN * receiver_scale
    up0 = diff_receiver[:, 0] > 0  # state 0 favours action 1
    # A triangle: each state favours its own action by more than the margin (|Δ_s| > m, clearly), and the prior
    # is clearly not indifferent by the margin, or (margin 0) exactly indifferent: G = 0 within rounding, when
    # the chord is the diagonal and C the corner opposite D.
    triangle = ((plus > 0) == (minus > 0)).all(axis=1) & (up0 != (diff_receiver[:, 1] > 0))
    level = (margin == 0) & (np.abs(gain) <= LEVEL_MARGIN * np.abs(p * diff_receiver).min(axis=1))
    clear = triangle & (np.minimum(np.abs(plus), np.abs(minus)).min(axis=1) > floor)
    clear &= level | (np.abs(np.abs(gain) - margin) > floor)
    # A point: no state favours action 0 by the margin and the prior favours action 1 by more (obeying signal 0
    # is impossible, so the scheme always recommends 1), or the same the other way round.
    clear |= ((plus > floor[:, None]).all(axis=1) & (gain - margin > floor)) | (
        (minus < -floor[:, None]).all(axis=1) & (-gain - margin > floor)
    )
    full = np.stack([up0, ~up0]).astype(np.float64)
    info = np.stack([a0, a0]).astype(np.float64)
    # With "up" the state favouring action 1: when a0 = 1, C is where obeying signal 0 binds on the edge
    # φ(1 | down) = 0, at φ(1 | up) = 1 + r⁺_down / r⁺_up; when a0 = 0, where obeying signal 1 binds on the edge
    # φ(1 | up) = 1, at φ(1 | down) = −r⁻_up / r⁻_down (r± = μ0·(Δ ± m)).
    plus_up, plus_down = np.where(up0, plus[:, 0], plus[:, 1]), np.where(up0, plus[:, 1], plus[:, 0])
    minus_up, minus_down = np.where(up0, minus[:, 0], minus[:, 1]), np.where(up0, minus[:, 1], minus[:, 0])
    free = np.where(
        a0,
        1.0 + plus_down / np.where(plus_up != 0, plus_up, 1.0),
        -minus_up / np.where(minus_down != 0, minus_down, 1.0),
    )
    free = np.where(level, 1.0 - a0, free)
    fixed = 1.0 - a0
    chord = np.where(up0 == a0, np.stack([free, fixed]), np.stack([fixed, free]))
    clear &= ~triangle | level | ((free > CORNER_MARGIN) & (free < 1.0 - CORNER_MARGIN))
    return (np.where(triangle, full, info), info, np.where(triangle, chord, info)), triangle, clear


def _frontier(
    corners: tuple[Point, Point, Point], triangle: NDArray[np.bool_], payoff: Callable[[Point], Point]
) -> tuple[tuple[Point, Point, Point], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """The Pareto frontier as three points ``(α, β, U_S, U_R)`` by increasing sender payoff, from F (the last
    repeated where it has fewer); the polygon's scale; a lower bound on the sines of its angles; which rows are
    clear of the reference's tolerances."""
    full, first, second = (np.concatenate([corner, payoff(corner)]) for corner in corners)
    cross = (first[2] - full[2]) * (second[3] - full[3]) - (first[3] - full[3]) * (second[2] - full[2])
    # Counter-clockwise order F, first, second, as the reference stores the polygon.
    first, second = np.where(cross > 0, first, second), np.where(cross > 0, second, first)
    scale = np.maximum(1.0, np.abs(np.stack([full[2:], first[2:], second[2:]])).max(axis=(0, 1)))
    # The reference's frontier runs counter-clockwise from the rightmost vertex (ties: the highest) to the top one
    # (F: full disclosure is the receiver's best scheme), then is reversed.
    right_x = np.maximum(np.maximum(full[2], first[2]), second[2])
    heights = [np.where(v[2] >= right_x - GEOMETRY_TOLERANCE * scale, v[3], -np.inf) for v in (full, first, second)]
    right_is_full = (heights[0] >= heights[1]) & (heights[0] >= heights[2])
    right_is_first = ~right_is_full & (heights[1] >= heights[2])
    middle = np.where(right_is_full, full, second)
    last = np.where(right_is_first, first, middle)
    ends = tuple(np.where(triangle, vertex, first) for vertex in (full, middle, last))  # a point region: D

    spans = [np.hypot(a[2] - b[2], a[3] - b[3]) for a, b in ((full, first), (first, second), (second, full))]
    longest = np.maximum(np.maximum(spans[0], spans[1]), spans[2])
    second_x = full[2] + first[2] + second[2] - right_x - np.minimum(np.minimum(full[2], first[2]), second[2])
    separation = SEPARATION_MARGIN * scale
    clear = (
        (full[3] - np.maximum(first[3], second[3]) > separation)  # F alone on top
        & (right_x - second_x > separation)  # one rightmost vertex
        & (np.minimum(np.minimum(spans[0], spans[1]), spans[2]) > separation)  # no duplicates
        & (np.abs(cross) > HULL_MARGIN * HULL_TOLERANCE * scale * longest)  # not collinear
    )
    squared = longest * longest  # 0 also where a tiny (sub-1e-154) triangle's square underflows
    sine = np.abs(cross) / np.where(squared > 0, squared, 1.0)  # at most the sine of every corner's angle
    return ends, scale, sine, ~triangle | clear  # type: ignore[return-value]


def _spread(
    ends: tuple[Point, Point, Point], scale: NDArray[np.float64], sine: NDArray[np.float64], count: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """``φ(1 | state 0)`` and ``φ(1 | state 1)`` ``[B, K]`` of ``count`` points spread evenly by arc length (in
    payoff space) along the frontier ``ends``, and which rows are clear of the reference's tolerances."""
    start, middle, end = ends
    first = np.hypot(middle[2] - start[2], middle[3] - start[3])
    second = np.hypot(end[2] - middle[2], end[3] - middle[3])
    total = first + second
    targets = total[:, None] * np.linspace(0.0, 1.0, count)
    # How far along each edge (0 before it, 1 after it): points on the first edge get none of the second.
    along_first = np.minimum(targets * np.where(first > 0, 1.0 / np.where(first > 0, first, 1.0), 0.0)[:, None], 1.0)
    along_second = np.maximum(targets - first[:, None], 0.0)
    along_second *= np.where(second > 0, 1.0 / np.where(second > 0, second, 1.0), 0.0)[:, None]
    coordinates = [
        start[state, :, None]
        + along_first * (middle[state] - start[state])[:, None]
        + along_second * (end[state] - middle[state])[:, None]
        for state in (0, 1)
    ]
    # The reference gives a point within 1e-12 of a vertex that vertex's scheme, and one within 1e-12 of another
    # edge the mixture along that edge: offers must be clear of every vertex but the ones they sit on.
    two_edges = (first > 0) & (second > 0)
    bend = np.abs(targets - first[:, None]).min(axis=1)  # the offer closest to the middle vertex
    on_bend = bend <= VERTEX_MARGIN * scale
    nearest = np.where(two_edges & ~on_bend, bend, np.inf)
    if count > 2:
        nearest = np.minimum(nearest, np.minimum(targets[:, 1], total - targets[:, -2]))
    far = np.isinf(nearest)  # no offer but those sitting on vertices
    clear = far | (np.where(far, 0.0, nearest) * sine > OFFER_MARGIN * scale) | (total == 0)
    clear &= ~(two_edges & on_bend) | (np.minimum(first, second) > SHORT_EDGE * scale)
    return coordinates[0], coordinates[1], clear


class _Games(NamedTuple):
    """The per-game inputs the offer tables need, ``[B, ...]`` each."""

    prior: NDArray[np.float64]
    diff_sender: NDArray[np.float64]  # [B, s]: what action 1 gains the sender over action 0
    diff_receiver: NDArray[np.float64]
    sender_scale: NDArray[np.float64]
    receiver_scale: NDArray[np.float64]
    a0: NDArray[np.bool_]
    base: NDArray[np.float64]  # [B, player]: the payoffs of action 0 in every state
    gain: NDArray[np.float64]  # [B, player]: what action 1 in every state adds to them (G for the receiver)

    def rows(self, part: slice) -> _Games:
        """The games in ``part``."""
        return _Games(*(field[part] for field in self))  # type: ignore[arg-type]


def _fill_offers(
    games: _Games,
    ends: tuple[Point, Point, Point],
    scale: NDArray[np.float64],
    sine: NDArray[np.float64],
    tie_break: TieBreak,
    out: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
) -> NDArray[np.bool_]:
    """Write the sender's offers (payoffs ``[B, K, 2]``, schemes and joints ``[B, K, 2, 2]``, the arrays of
    ``out``) and return which rows are clear of the reference's tolerances."""
    payoffs, schemes, joints = out
    size, count = payoffs.shape[:2]
    alpha, beta, exact = _spread(ends, scale, sine, count)
    not_alpha, not_beta = 1.0 - alpha, 1.0 - beta
    p = games.prior
    x = ((p[:, :1] * not_alpha, p[:, :1] * alpha), (p[:, 1:] * not_beta, p[:, 1:] * beta))  # x[s][σ]
    # What action 1 gains each player after signal 1; after signal 0 it is the prior's gain less that.
    receiver_one = x[0][1] * games.diff_receiver[:, :1] + x[1][1] * games.diff_receiver[:, 1:]
    sender_one = x[0][1] * games.diff_sender[:, :1] + x[1][1] * games.diff_sender[:, 1:]
    gains = (
        (games.gain[:, 1:] - receiver_one, games.gain[:, :1] - sender_one),
        (receiver_one, sender_one),
    )
    clear = np.ones((size, count), dtype=bool)
    actions = []
    for signal in (0, 1):
        action, sure = _obeyed(
            *gains[signal],
            x[0][signal] + x[1][signal],
            games.a0[:, None],
            (games.receiver_scale[:, None], games.sender_scale[:, None]),
            tie_break,
        )
        actions.append(action)
        clear &= sure
    plays_one = []  # the probability of each state and action 1
    for state, (sends_zero, sends_one) in enumerate(((not_alpha, alpha), (not_beta, beta))):
        one = np.where(actions[0], x[state][0], 0.0) + np.where(actions[1], x[state][1], 0.0)
        plays_one.append(one)
        schemes[:, :, state, 0], schemes[:, :, state, 1] = sends_zero, sends_one
        np.subtract(p[:, state, None], one, out=joints[:, :, state, 0])
        joints[:, :, state, 1] = one
    # Payoffs: action 0 in every state, plus what playing action 1 instead adds where it is played.
    for player, diff in enumerate((games.diff_sender, games.diff_receiver)):
        payoffs[:, :, player] = games.base[:, player, None] + plays_one[0] * diff[:, :1] + plays_one[1] * diff[:, 1:]
    return exact & clear.all(axis=1)


def frontier_tables_2x2(
    prior: ArrayLike,
    sender_utility: ArrayLike,
    receiver_utility: ArrayLike,
    *,
    tie_break: str,
    obedience_margin: float,
    receiver_offer: str,
    grid_size: int,
) -> tuple[FrontierTables, NDArray[np.bool_]]:
    """The ``"frontier"`` offer tables of ``B`` 2×2 games with two signals, and which rows are exact.

    Args:
        prior: ``[B, 2]`` priors.
        sender_utility, receiver_utility: ``[B, 2, 2]`` utilities ``[state, action]``.
        tie_break, obedience_margin, receiver_offer, grid_size: as for the env (``receiver_offer`` does not change
            frontier offers: a receiver's frontier offer commits to the scheme of its frontier point either way).

    Returns:
        The tables and ``exact[B]``: rows equal to the reference path (``bargaining_problem`` then
        ``FrontierOffers``) within rounding. Other rows are NaN; the module docstring lists when that happens.
    """
    p, u_sender, u_receiver = _check_inputs(prior, sender_utility, receiver_utility)
    rule = check_options(tie_break, obedience_margin, receiver_offer, grid_size)
    size = len(p)
    count = int(grid_size)

    receiver_scale = np.maximum(1.0, np.abs(u_receiver).max(axis=(1, 2)))
    sender_scale = np.maximum(1.0, np.abs(u_sender).max(axis=(1, 2)))
    margin = float(obedience_margin)
    # Payoffs are affine in (α, β): U = base + α·rate[:, 0] + β·rate[:, 1], per player.
    diff_receiver = u_receiver[:, :, 1] - u_receiver[:, :, 0]  # [B, s]: what action 1 gains over action 0
    diff_sender = u_sender[:, :, 1] - u_sender[:, :, 0]
    rate_receiver, rate_sender = p * diff_receiver, p * diff_sender  # r_s, and the sender's
    base = np.stack([(p * u_sender[:, :, 0]).sum(axis=1), (p * u_receiver[:, :, 0]).sum(axis=1)], axis=1)
    gain = rate_receiver.sum(axis=1)  # G: what action 1 gains the receiver over action 0 under the prior

    # The no-information action a0, with the reference's tie rule.
    sender_gain = rate_sender.sum(axis=1)
    prior_tie = np.abs(gain) <= TIE_TOLERANCE * receiver_scale
    a0 = np.where(prior_tie, sender_gain > 0 if rule == "sender" else sender_gain < 0, gain > 0)
    d = base + a0[:, None] * np.stack([sender_gain, gain], axis=1)
    exact = np.abs(np.abs(gain) - TIE_TOLERANCE * receiver_scale) > TIE_MARGIN * receiver_scale
    exact &= ~(prior_tie & (np.abs(sender_gain) <= TIE_MARGIN * sender_scale))

    corners, triangle, clear = _corners(p, diff_receiver, gain, a0, margin, receiver_scale)
    exact &= clear

    def payoff(point: Point) -> Point:
        """``[2, B]`` payoffs of ``(α, β)`` points."""
        return np.stack(
            [
                base[:, 0] + point[0] * rate_sender[:, 0] + point[1] * rate_sender[:, 1],
                base[:, 1] + point[0] * rate_receiver[:, 0] + point[1] * rate_receiver[:, 1],
            ]
        )

    ends, scale, sine, clear = _frontier(corners, triangle, payoff)
    exact &= clear
    games = _Games(
        p,
        diff_sender,
        diff_receiver,
        sender_scale,
        receiver_scale,
        a0,
        base,
        np.stack([sender_gain, gain], axis=1),
    )
    # One allocation for the three tables: the allocator then reuses it from call to call, where three would be
    # fresh pages every time (a third of the run time at batch 4,096).
    block = np.empty(size * 2 * count * 10)
    payoffs = block[: size * 2 * count * 2].reshape(size, 2, count, 2)
    schemes = block[size * 2 * count * 2 : size * 2 * count * 6].reshape(size, 2, count, 2, 2)
    joints = block[size * 2 * count * 6 :].reshape(size, 2, count, 2, 2)
    rows = max(1, CHUNK_ENTRIES // count)  # bounded work arrays: the allocator reuses them from chunk to chunk
    for first in range(0, size, rows):
        part = slice(first, first + rows)
        exact[part] &= _fill_offers(
            games.rows(part),
            tuple(end[:, part] for end in ends),  # type: ignore[arg-type]
            scale[part],
            sine[part],
            rule,
            (payoffs[part, 0], schemes[part, 0], joints[part, 0]),
        )
    tables = (d, payoffs, schemes, joints)
    for table in tables[1:]:  # the receiver's offers are the sender's in reverse (its worst point is its best)
        table[:, 1] = table[:, 0, ::-1]
    if not exact.all():
        for table in tables:
            table[~exact] = np.nan
    return FrontierTables(*tables, no_information_action=a0.astype(np.intp)), exact
