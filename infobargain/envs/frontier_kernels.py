"""Frontier offer tables of many small games at once (up to :data:`MAX_STATES` × :data:`MAX_ACTIONS`), compiled.

The 2×2 closed form (:mod:`infobargain.envs.small_games`) has no counterpart for larger games: their bargaining
set is a polygon with a data-dependent number of vertices, and a frontier vertex's scheme is whichever vertex of
the obedience polytope the simplex walk reaches. So this module does not re-derive the tables: it runs the
reference path's own steps, one game after another inside one compiled (numba) loop that releases the GIL, with
none of the reference's per-game Python objects:

1. the shadow-vertex walk of :mod:`infobargain.theory.shadow_vertex` (the same compiled
   :func:`~infobargain.theory._walk_kernel.walk_half`, both halves, the same tolerances and pivot limit);
2. the walked joints cleaned as :func:`~infobargain.theory.lp.clean_masses` cleans them, their payoff points,
   and the disagreement point ``d`` (no information, the prior's action by the obedient receiver's own rule);
3. the hull of those points (:func:`~infobargain.theory.polygon.convex_hull_indices` at ``1e-11``), its Pareto
   frontier (:meth:`~infobargain.theory.polygon.Polygon.pareto_indices`);
4. ``grid_size`` points spread evenly by arc length (:func:`~infobargain.theory.polygon.segment_points`:
   ``linspace`` then ``interp``), each one's scheme by the reference's barycentric rule (a vertex its own, a
   point on an edge the mixture of the edge's ends, the first edge within ``1e-12``);
5. what each scheme pays and the state-action distribution it gives, by the obedient receiver's compiled rule
   (:func:`~infobargain.game.obedience_kernels.obey_scheme`). The receiver's offers are the sender's in reverse:
   the reference spreads them along the reversed frontier, which gives the same points up to rounding, and so
   the same schemes unless a point lies near one of the barycentric rule's thresholds (then they are spread
   again, as the reference spreads them).

Each step is written as the reference writes it (same operations in the same order), so a row agrees with the
reference to rounding. **Fallback rows** (marked not exact, NaN, recomputed by the caller on the reference
path): a walk that fails or cannot start (the reference then solves LPs per direction), a frontier vertex with a
near-duplicate point (within ``1e-9`` of the scale) whose scheme differs (which of the two the hull keeps may
turn on the last bit), and a frontier point the barycentric rule places on no edge. ``tests/test_frontier_kernels.py``
pins every other row to the reference to 1e-9 on seeded, hypothesis and degenerate instances;
``benchmarks/bench_offer_tables.py`` prints the speed and the fallback fraction.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from infobargain.envs.small_games import FrontierTables, check_options
from infobargain.game.instance import PRIOR_TOLERANCE
from infobargain.game.obedience_kernels import obey_scheme
from infobargain.game.schemes import TIE_TOLERANCE
from infobargain.theory._walk_kernel import walk_half
from infobargain.theory.polygon import GEOMETRY_TOLERANCE
from infobargain.theory.shadow_vertex import PRIMAL_TOLERANCE, _tolerances

__all__ = ["MAX_ACTIONS", "MAX_STATES", "frontier_tables_small"]

MAX_STATES = 4
"""The most states a game of the compiled path may have (larger games take the reference path)."""
MAX_ACTIONS = 4
"""The most actions (and signals) a game of the compiled path may have."""
HULL_TOLERANCE = 1e-11
"""The tolerance ``from_instance`` builds its hull with."""
DUPLICATE_MARGIN = 1e-9
"""Two candidate points this close (times the scale) may be merged either way by the reference's hull."""
SCHEME_AGREEMENT = 1e-10
"""Near-duplicate points whose schemes differ by more than this make a row fall back."""
THRESHOLD_WINDOW = 2.0
"""A distance within this factor of the barycentric rule's tolerance is near its threshold."""
_PLACED, _NEAR_THRESHOLD, _UNPLACED = 0, 1, 2


@njit(cache=True)
def _hull(xs: NDArray[np.float64], ys: NDArray[np.float64], tolerance: float) -> NDArray[np.int64]:
    """:func:`~infobargain.theory.polygon.convex_hull_indices`, step for step."""
    count = len(xs)
    scale = 1.0
    for i in range(count):
        scale = max(scale, abs(xs[i]), abs(ys[i]))
    slack = tolerance * scale
    order = np.arange(count)
    for i in range(1, count):  # a stable insertion sort by (x, y): np.lexsort's order
        j = i
        while j > 0 and (
            xs[order[j - 1]] > xs[order[j]] or (xs[order[j - 1]] == xs[order[j]] and ys[order[j - 1]] > ys[order[j]])
        ):
            order[j - 1], order[j] = order[j], order[j - 1]
            j -= 1
    kept = np.empty(count, np.int64)
    n_kept = 0
    for point in order:
        position = n_kept - 1
        duplicate = False
        while position >= 0 and xs[kept[position]] >= xs[point] - slack:
            if abs(ys[kept[position]] - ys[point]) <= slack:
                duplicate = True
                break
            position -= 1
        if not duplicate:
            kept[n_kept] = point
            n_kept += 1
    if n_kept <= 2:
        return kept[:n_kept].copy()
    hull = np.empty(2 * n_kept, np.int64)
    size = 0
    for half in range(2):
        chain = np.empty(n_kept, np.int64)
        length = 0
        for step in range(n_kept):
            i = kept[step] if half == 0 else kept[n_kept - 1 - step]
            while length >= 2:
                o, a = chain[length - 2], chain[length - 1]
                if (xs[a] - xs[o]) * (ys[i] - ys[o]) - (ys[a] - ys[o]) * (xs[i] - xs[o]) > 0:
                    break
                length -= 1
            chain[length] = i
            length += 1
        for step in range(length - 1):
            hull[size] = chain[step]
            size += 1
    while size >= 3:
        noisy = -1
        for position in range(size):
            before, here, after = hull[(position - 1) % size], hull[position], hull[(position + 1) % size]
            dx, dy = xs[after] - xs[before], ys[after] - ys[before]
            span = math.sqrt(dx**2 + dy**2)
            turn = dx * (ys[here] - ys[before]) - dy * (xs[here] - xs[before])
            if abs(turn) <= slack * max(span, slack):
                noisy = position
                break
        if noisy < 0:
            break
        for position in range(noisy, size - 1):
            hull[position] = hull[position + 1]
        size -= 1
    if size >= 3:
        return hull[:size].copy()
    # Collinear: the two points farthest apart along the line (the first of equal distances).
    one, best = kept[0], -1.0
    for step in range(n_kept):
        i = kept[step]
        distance = math.sqrt((xs[i] - xs[kept[0]]) ** 2 + (ys[i] - ys[kept[0]]) ** 2)
        if distance > best:
            one, best = i, distance
    other, best = kept[0], -1.0
    for step in range(n_kept):
        i = kept[step]
        distance = math.sqrt((xs[i] - xs[one]) ** 2 + (ys[i] - ys[one]) ** 2)
        if distance > best:
            other, best = i, distance
    pair = np.empty(2, np.int64)
    if xs[other] < xs[one] or (xs[other] == xs[one] and ys[other] < ys[one]):
        pair[0], pair[1] = other, one
    else:
        pair[0], pair[1] = one, other
    return pair


@njit(cache=True)
def _pareto(vertices: NDArray[np.float64], tolerance: float) -> NDArray[np.int64]:
    """:meth:`~infobargain.theory.polygon.Polygon.pareto_indices`: the frontier's vertices by increasing sender
    utility."""
    count = len(vertices)
    top_level, right_level = vertices[:, 1].max(), vertices[:, 0].max()
    top = right = -1
    for i in range(count):
        if vertices[i, 1] >= top_level - tolerance and (top < 0 or vertices[i, 0] > vertices[top, 0]):
            top = i
        if vertices[i, 0] >= right_level - tolerance and (right < 0 or vertices[i, 1] > vertices[right, 1]):
            right = i
    length = 1
    while (right + length - 1) % count != top:
        length += 1
    chain = np.empty(length, np.int64)
    for step in range(length):
        chain[length - 1 - step] = (right + step) % count
    return chain


@njit(cache=True)
def _spread(frontier: NDArray[np.float64], count: int, points: NDArray[np.float64]) -> None:
    """:func:`~infobargain.theory.polygon.segment_points` into ``points[count, 2]`` (numpy's ``linspace`` and
    ``interp``, step for step)."""
    size = len(frontier)
    if size == 1 or count == 1:
        for k in range(count):
            points[k, 0], points[k, 1] = frontier[0, 0], frontier[0, 1]
        return
    cumulative = np.zeros(size)
    for i in range(size - 1):
        dx, dy = frontier[i + 1, 0] - frontier[i, 0], frontier[i + 1, 1] - frontier[i, 1]
        cumulative[i + 1] = cumulative[i] + math.sqrt(dx * dx + dy * dy)
    total = cumulative[size - 1]
    if total == 0:
        for k in range(count):
            points[k, 0], points[k, 1] = frontier[0, 0], frontier[0, 1]
        return
    step = total / (count - 1)
    for k in range(count):
        target = k * step + 0.0 if k < count - 1 else total
        if target > total:
            j = size
        else:
            j = 0
            while j + 1 < size and cumulative[j + 1] <= target:
                j += 1
        for axis in range(2):
            if j >= size - 1:
                points[k, axis] = frontier[size - 1, axis]
            elif cumulative[j] == target:
                points[k, axis] = frontier[j, axis]
            else:
                slope = (frontier[j + 1, axis] - frontier[j, axis]) / (cumulative[j + 1] - cumulative[j])
                points[k, axis] = slope * (target - cumulative[j]) + frontier[j, axis]


@njit(cache=True)
def _mix(
    vertices: NDArray[np.float64],
    schemes: NDArray[np.float64],
    point: NDArray[np.float64],
    scheme: NDArray[np.float64],
) -> int:
    """The scheme of ``point`` into ``scheme``, by the reference's barycentric rule over the polygon's ``vertices``
    (whose schemes are ``schemes[vertex]``). Returns :data:`_PLACED`, :data:`_NEAR_THRESHOLD` where a distance the
    rule compares with its tolerance is within :data:`THRESHOLD_WINDOW` of it (a point moved by rounding might be
    placed otherwise), or :data:`_UNPLACED` where the rule places the point on no vertex or edge."""
    count = len(vertices)
    scale = 1.0
    for i in range(count):
        scale = max(scale, abs(vertices[i, 0]), abs(vertices[i, 1]))
    tolerance = 1e-12 * scale
    nearest, closest = 0, np.inf
    for i in range(count):
        distance = max(abs(vertices[i, 0] - point[0]), abs(vertices[i, 1] - point[1]))
        if distance < closest:
            nearest, closest = i, distance
    near = tolerance / THRESHOLD_WINDOW <= closest <= tolerance * THRESHOLD_WINDOW
    first, second, along = nearest, nearest, 0.0
    if not (closest <= tolerance or count == 1):
        edge = -1
        for i in range(count):
            j = (i + 1) % count
            ax, ay = vertices[j, 0] - vertices[i, 0], vertices[j, 1] - vertices[i, 1]
            length = ax * ax + ay * ay
            t = ((point[0] - vertices[i, 0]) * ax + (point[1] - vertices[i, 1]) * ay) / (length if length > 0 else 1.0)
            t = min(max(t, 0.0), 1.0)
            error = max(abs(vertices[i, 0] + t * ax - point[0]), abs(vertices[i, 1] + t * ay - point[1]))
            near |= tolerance / THRESHOLD_WINDOW <= error <= tolerance * THRESHOLD_WINDOW
            if error <= tolerance:
                edge, along = i, t
                break
        if edge < 0:
            return _UNPLACED
        first, second = edge, (edge + 1) % count
    n_states, n_actions = scheme.shape
    for s in range(n_states):
        total = 0.0
        for a in range(n_actions):
            value = 0.0
            if first == second:
                value += 1.0 * schemes[first, s, a]
            else:  # weights in vertex order, zero weights skipped, as the reference sums them
                low, high = (first, second) if first < second else (second, first)
                low_weight = 1.0 - along if low == first else along
                high_weight = along if low == first else 1.0 - along
                if low_weight != 0.0:
                    value += low_weight * schemes[low, s, a]
                if high_weight != 0.0:
                    value += high_weight * schemes[high, s, a]
            scheme[s, a] = value
            total += value
        for a in range(n_actions):
            scheme[s, a] /= total
    return _NEAR_THRESHOLD if near else _PLACED


@njit(cache=True, nogil=True)
def _one_game(
    prior: NDArray[np.float64],
    sender: NDArray[np.float64],
    receiver: NDArray[np.float64],
    sign: float,
    margin: float,
    tolerances: NDArray[np.float64],
    d: NDArray[np.float64],
    payoffs: NDArray[np.float64],
    schemes: NDArray[np.float64],
    joints: NDArray[np.float64],
) -> tuple[bool, int]:
    """One game's tables (``d[2]``, ``payoffs[2, K, 2]``, ``schemes`` and ``joints`` ``[2, K, S, A]``); returns
    whether the row is exact and the no-information action."""
    n_states, n_actions = sender.shape
    count = payoffs.shape[1]
    p = prior / prior.sum()
    # The obedient receiver's constants (ObedientReceiver): [receiver | signed sender | 1] columns.
    width = 2 * n_actions + 1
    columns = np.empty((n_states, width))
    receiver_scale = 1.0
    for s in range(n_states):
        for a in range(n_actions):
            columns[s, a] = receiver[s, a]
            columns[s, n_actions + a] = sign * sender[s, a]
            receiver_scale = max(receiver_scale, abs(receiver[s, a]))
        columns[s, width - 1] = 1.0
    tolerance = TIE_TOLERANCE * receiver_scale
    weights = np.empty((n_states, width))
    unsent = np.zeros(width)
    for s in range(n_states):
        for c in range(width):
            weights[s, c] = p[s] * columns[s, c]
            unsent[c] += p[s] * columns[s, c]
    unsent[width - 1] = 1.0
    values, totals = np.empty(width), np.empty(width)
    decided, paid = np.empty((1, 1), np.intp), np.empty((1, 2))
    belief = np.empty((1, n_states, 1))
    belief[0, :, 0] = p
    obey_scheme(belief, 0, columns, unsent, tolerance, sign, decided, paid, values, totals)
    a0 = decided[0, 0]
    d_sender = d_receiver = 0.0
    for s in range(n_states):
        d_sender += p[s] * sender[s, a0]
        d_receiver += p[s] * receiver[s, a0]
    d[0], d[1] = d_sender, d_receiver

    # The walk (ShadowVertexWalk): both halves from full disclosure.
    gain = np.empty((n_states, n_actions, n_actions))
    costs = np.empty((2, n_states, n_actions))
    scale = 1.0
    for s in range(n_states):
        for a in range(n_actions):
            for b in range(n_actions):
                gain[s, a, b] = receiver[s, a] - receiver[s, b] - margin
                scale = max(scale, abs(gain[s, a, b]))
            costs[0, s, a], costs[1, s, a] = sender[s, a], receiver[s, a]
            scale = max(scale, abs(sender[s, a]), abs(receiver[s, a]))
    start = np.empty(n_states, np.int64)
    activities = np.zeros((n_actions, n_actions))
    for s in range(n_states):
        start[s] = np.argmax(receiver[s])
        for b in range(n_actions):
            activities[start[s], b] += gain[s, start[s], b] * p[s]
    for a in range(n_actions):
        for b in range(n_actions):
            if a != b and activities[a, b] < -PRIMAL_TOLERANCE * scale:
                return False, a0  # full disclosure misses the margin: the reference solves LPs instead
    limit = 50 * (n_states * n_actions + n_actions**2) + 1000
    status, _, offsets, cells, masses = walk_half(gain, costs, p, start, scale, limit, tolerances)
    mirrored = costs.copy()
    mirrored[0] = -costs[0]
    status_cw, _, offsets_cw, cells_cw, masses_cw = walk_half(gain, mirrored, p, start, scale, limit, tolerances)
    if status != 0 or status_cw != 0:
        return False, a0

    # The vertices: the first half's, then the second's without its start; masses cleaned per (vertex, state).
    n_first = len(offsets) - 1
    n_walked = n_first + len(offsets_cw) - 2
    skip = offsets_cw[1]
    n_entries = offsets[n_first] + len(masses_cw) - skip
    entry_vertex = np.empty(n_entries, np.int64)
    entry_state = np.empty(n_entries, np.int64)
    entry_action = np.empty(n_entries, np.int64)
    entry_value = np.empty(n_entries)
    position = 0
    for v in range(n_first):
        for e in range(offsets[v], offsets[v + 1]):
            entry_vertex[position], entry_state[position], entry_action[position] = v, cells[e, 0], cells[e, 1]
            entry_value[position] = max(masses[e], 0.0)
            position += 1
    for v in range(1, len(offsets_cw) - 1):
        for e in range(offsets_cw[v], offsets_cw[v + 1]):
            entry_vertex[position] = n_first + v - 1
            entry_state[position], entry_action[position] = cells_cw[e, 0], cells_cw[e, 1]
            entry_value[position] = max(masses_cw[e], 0.0)
            position += 1
    row_totals = np.zeros(n_walked * n_states)
    for e in range(n_entries):
        row_totals[entry_vertex[e] * n_states + entry_state[e]] += entry_value[e]
    n_points = n_walked + 1
    xs, ys = np.zeros(n_points), np.zeros(n_points)
    vertex_schemes = np.zeros((n_points, n_states, n_actions))
    for e in range(n_entries):
        s, a, v = entry_state[e], entry_action[e], entry_vertex[e]
        value = entry_value[e] * (p[s] / max(row_totals[v * n_states + s], 1e-300))
        xs[v] += sender[s, a] * value
        ys[v] += receiver[s, a] * value
        vertex_schemes[v, s, a] = value  # the joint, made a scheme below
    for v in range(n_walked):
        for s in range(n_states):
            row_sum = 0.0
            for a in range(n_actions):
                if p[s] > 0:
                    vertex_schemes[v, s, a] = vertex_schemes[v, s, a] / p[s]
                else:
                    vertex_schemes[v, s, a] = 1.0 if a == 0 else 0.0
                row_sum += vertex_schemes[v, s, a]
            for a in range(n_actions):
                vertex_schemes[v, s, a] /= row_sum
    xs[n_walked], ys[n_walked] = d_sender, d_receiver
    vertex_schemes[n_walked, :, a0] = 1.0  # no information attains d

    # The polygon and its Pareto frontier.
    keep = _hull(xs, ys, HULL_TOLERANCE)
    n_vertices = len(keep)
    vertices = np.empty((n_vertices, 2))
    kept_schemes = np.empty((n_vertices, n_states, n_actions))
    polygon_scale = 1.0
    for i in range(n_vertices):
        vertices[i, 0], vertices[i, 1] = xs[keep[i]], ys[keep[i]]
        kept_schemes[i] = vertex_schemes[keep[i]]
        polygon_scale = max(polygon_scale, abs(vertices[i, 0]), abs(vertices[i, 1]))
    chain = _pareto(vertices, GEOMETRY_TOLERANCE * polygon_scale)
    # A frontier vertex with a near-duplicate of another scheme: which one the hull keeps may turn on the last bit.
    near = DUPLICATE_MARGIN * polygon_scale
    for i in chain:
        for j in range(n_points):
            if j != keep[i] and abs(xs[j] - vertices[i, 0]) <= near and abs(ys[j] - vertices[i, 1]) <= near:
                for s in range(n_states):
                    for a in range(n_actions):
                        if abs(vertex_schemes[j, s, a] - kept_schemes[i, s, a]) > SCHEME_AGREEMENT:
                            return False, a0
    frontier = np.empty((len(chain), 2))
    points = np.empty((count, 2))
    actions = np.empty((count, n_actions), np.intp)
    near_threshold = False
    for proposer in range(2):
        if proposer == 1 and not near_threshold:  # the sender's offers in reverse, as the reference finds them
            for k in range(count):
                payoffs[1, k] = payoffs[0, count - 1 - k]
                schemes[1, k] = schemes[0, count - 1 - k]
                joints[1, k] = joints[0, count - 1 - k]
            break
        for step in range(len(chain)):  # the sender's offers from its worst point, the receiver's reversed
            i = chain[step] if proposer == 0 else chain[len(chain) - 1 - step]
            frontier[step, 0], frontier[step, 1] = vertices[i, 0], vertices[i, 1]
        _spread(frontier, count, points)
        near_threshold = False
        for k in range(count):
            placed = _mix(vertices, kept_schemes, points[k], schemes[proposer, k])
            if placed == _UNPLACED:
                return False, a0
            near_threshold |= placed == _NEAR_THRESHOLD
        for k in range(count):
            obey_scheme(
                schemes[proposer], k, weights, unsent, tolerance, sign, actions, payoffs[proposer], values, totals
            )
            for s in range(n_states):
                for a in range(n_actions):
                    joints[proposer, k, s, a] = 0.0
                for signal in range(n_actions):
                    joints[proposer, k, s, actions[k, signal]] += p[s] * schemes[proposer, k, s, signal]
    return True, a0


@njit(cache=True, nogil=True)
def _all_games(
    prior: NDArray[np.float64],
    sender: NDArray[np.float64],
    receiver: NDArray[np.float64],
    sign: float,
    margin: float,
    tolerances: NDArray[np.float64],
    d: NDArray[np.float64],
    payoffs: NDArray[np.float64],
    schemes: NDArray[np.float64],
    joints: NDArray[np.float64],
    a0: NDArray[np.intp],
    exact: NDArray[np.bool_],
) -> None:
    for b in range(len(prior)):
        exact[b], a0[b] = _one_game(
            prior[b], sender[b], receiver[b], sign, margin, tolerances, d[b], payoffs[b], schemes[b], joints[b]
        )


def frontier_tables_small(
    prior: ArrayLike,
    sender_utility: ArrayLike,
    receiver_utility: ArrayLike,
    *,
    tie_break: str,
    obedience_margin: float,
    receiver_offer: str,
    grid_size: int,
) -> tuple[FrontierTables, NDArray[np.bool_]]:
    """The ``"frontier"`` offer tables of ``B`` games of ``S ≤ 4`` states and ``2 ≤ A ≤ 4`` actions (as many
    signals as actions), and which rows are exact; the same contract as
    :func:`~infobargain.envs.small_games.frontier_tables_2x2` (other rows NaN, listed in the module docstring).

    Args:
        prior: ``[B, S]`` priors.
        sender_utility, receiver_utility: ``[B, S, A]`` utilities ``[state, action]``.
        tie_break, obedience_margin, receiver_offer, grid_size: as for the env.
    """
    rule = check_options(tie_break, obedience_margin, receiver_offer, grid_size)
    p = np.ascontiguousarray(prior, dtype=np.float64)
    u_sender = np.ascontiguousarray(sender_utility, dtype=np.float64)
    u_receiver = np.ascontiguousarray(receiver_utility, dtype=np.float64)
    if p.ndim != 2 or u_sender.shape != u_receiver.shape or u_sender.shape[:2] != p.shape or u_sender.ndim != 3:
        raise ValueError(
            f"prior, sender_utility, receiver_utility: shapes [B, S], [B, S, A], [B, S, A] expected, got {p.shape}, "
            f"{u_sender.shape}, {u_receiver.shape}"
        )
    size, n_states, n_actions = u_sender.shape
    if not (1 <= n_states <= MAX_STATES and 2 <= n_actions <= MAX_ACTIONS):
        raise ValueError(
            f"frontier_tables_small: covers 1 to {MAX_STATES} states and 2 to {MAX_ACTIONS} actions, got "
            f"{n_states}x{n_actions}"
        )
    for field, array in (("prior", p), ("sender_utility", u_sender), ("receiver_utility", u_receiver)):
        if not np.isfinite(array).all():
            raise ValueError(f"{field}: contains NaN or infinity")
    bad = (p < 0).any(axis=1) | (np.abs(p.sum(axis=1) - 1.0) > PRIOR_TOLERANCE)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(f"prior: row {row} is not a probability vector: {p[row].tolist()}")
    count = int(grid_size)
    d = np.empty((size, 2))
    payoffs = np.empty((size, 2, count, 2))
    schemes = np.empty((size, 2, count, n_states, n_actions))
    joints = np.empty((size, 2, count, n_states, n_actions))
    a0 = np.empty(size, dtype=np.intp)
    exact = np.empty(size, dtype=np.bool_)
    sign = 1.0 if rule == "sender" else -1.0
    _all_games(
        p, u_sender, u_receiver, sign, float(obedience_margin), _tolerances(), d, payoffs, schemes, joints, a0, exact
    )
    if not exact.all():
        for table in (d, payoffs, schemes, joints):
            table[~exact] = np.nan
    return FrontierTables(d, payoffs, schemes, joints, a0), exact
