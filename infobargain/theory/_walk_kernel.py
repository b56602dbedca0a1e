"""The compiled loop of the shadow-vertex walk; the method, its basis and its cost are described in
:mod:`infobargain.theory.shadow_vertex`, its only caller.

Layout. The basis is kept as ``N = W⁻¹`` in the top-left ``k × k`` corner of a buffer with spare room (doubled
when ``W`` outgrows it). Row ``j`` of ``N`` belongs to the basic column ``x(column_state[j], column_action[j])``,
column ``r`` to the working basis's row ``r`` (the ``S`` prior rows, then tight obedience row
``(tight_from[i], tight_to[i])`` at ``S + i``). The duals ``c_B N`` and every update of ``N`` are sums of its
rows, which vectorise; only ``N a`` for an entering column ``a`` reads it across rows, on the few columns where
``a`` is nonzero. (Storing ``Nᵀ`` instead measured 1.6× slower per pivot.) A failure returns a status code
(``shadow_vertex._FAILURES``) rather than raising, so that the caller raises its own
:class:`~infobargain.theory.shadow_vertex.WalkError`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Basis = tuple[Ints, Ints, Ints, Ints]
"""``(column_state, column_action, tight_from, tight_to)``."""

_OK, _SINGULAR, _UNBOUNDED, _TOO_LONG, _INACCURATE = 0, 1, 2, 3, 4
_ANGLE_TOLERANCE = 1e-12
_STAND_IN_WINDOW = 1e-9
"""Rates whose angle stand-ins are this close to the smallest get an exact angle (the stand-in moves by at most
one unit per radian, so any rate within ``TURN_TIE`` of the first crossing is among them)."""
_REINVERTED_DRIFT = 1e-7
"""A freshly inverted ``W`` leaving residuals above this is too ill-conditioned to walk on."""


@njit(cache=True, inline="always")
def _add_scaled(target: Floats, source: Floats, factor: float, size: int) -> None:
    """``target[:size] += factor · source[:size]``, with no temporary array."""
    for c in range(size):
        target[c] += factor * source[c]


@njit(cache=True)
def _working_basis(gain: Floats, n_states: int, k: int, basis: Basis) -> Floats:
    """``W`` itself: a column per basic column, holding its prior row's 1 and its tight rows' coefficients."""
    column_state, column_action, tight_from, tight_to = basis
    matrix = np.zeros((k, k))
    for j in range(k):
        matrix[column_state[j], j] = 1.0
        for i in range(k - n_states):
            if column_action[j] == tight_from[i]:
                matrix[n_states + i, j] = gain[column_state[j], tight_from[i], tight_to[i]]
    return matrix


@njit(cache=True)
def _invert(matrix: Floats, inverse: Floats) -> bool:
    """``inverse[:n, :n] = matrix⁻¹`` by in-place Gauss–Jordan elimination with partial pivoting (``n³``
    multiply-adds, single-threaded: a multithreaded LAPACK call stalls for a second on a busy machine);
    False if ``matrix`` is singular. ``matrix`` is overwritten."""
    size = matrix.shape[0]
    swapped = np.zeros(size, np.int64)
    for column in range(size):
        pivot, best, largest = column, 0.0, 0.0
        for row in range(size):
            largest = max(largest, abs(matrix[row, column]))
            if row >= column and abs(matrix[row, column]) > best:
                pivot, best = row, abs(matrix[row, column])
        if best <= 1e-14 * max(1.0, largest):
            return False
        swapped[column] = pivot
        if pivot != column:
            for c in range(size):
                matrix[column, c], matrix[pivot, c] = matrix[pivot, c], matrix[column, c]
        scale = 1.0 / matrix[column, column]
        matrix[column, column] = 1.0
        for c in range(size):
            matrix[column, c] *= scale
        for row in range(size):
            factor = matrix[row, column]
            if row != column and factor != 0.0:
                matrix[row, column] = 0.0
                _add_scaled(matrix[row], matrix[column], -factor, size)
    # Row swaps of the matrix are column swaps of its inverse, undone in reverse order.
    for column in range(size - 1, -1, -1):
        pivot = swapped[column]
        if pivot != column:
            for row in range(size):
                matrix[row, column], matrix[row, pivot] = matrix[row, pivot], matrix[row, column]
    inverse[:size, :size] = matrix
    return True


@njit(cache=True)
def _solution(
    inverse: Floats, k: int, n_states: int, prior: Floats, costs: Floats, basis: Basis, basic: Floats, duals: Floats
) -> None:
    """The basic solution ``x_B = N [μ0; 0]`` and both objectives' duals ``y = c_B N``."""
    column_state, column_action = basis[0], basis[1]
    duals[:, :k] = 0.0
    for j in range(k):
        value = 0.0
        for s in range(n_states):
            value += inverse[j, s] * prior[s]
        basic[j] = value
        _add_scaled(duals[0], inverse[j], costs[0, column_state[j], column_action[j]], k)
        _add_scaled(duals[1], inverse[j], costs[1, column_state[j], column_action[j]], k)


@njit(cache=True)
def _drift(
    gain: Floats,
    costs: Floats,
    prior: Floats,
    scale: float,
    k: int,
    n_states: int,
    n_actions: int,
    basis: Basis,
    basic: Floats,
    duals: Floats,
) -> float:
    """Largest residual of ``W x_B = [μ0; 0]`` and of ``y W = c_B`` (the latter relative to the scale)."""
    column_state, column_action, tight_from, tight_to = basis
    n_tight = k - n_states
    # The tight rows of each action, so that each basic column meets only its own.
    starts = np.zeros(n_actions + 1, np.int64)
    for i in range(n_tight):
        starts[tight_from[i] + 1] += 1
    starts = np.cumsum(starts)
    slots, filled = np.zeros(n_tight, np.int64), starts[:-1].copy()
    for i in range(n_tight):
        slots[filled[tight_from[i]]] = i
        filled[tight_from[i]] += 1
    primal = -prior.copy()
    tight_activity = np.zeros(n_tight)
    worst_dual = 0.0
    for j in range(k):
        state, action = column_state[j], column_action[j]
        primal[state] += basic[j]
        sender = duals[0, state] - costs[0, state, action]
        receiver = duals[1, state] - costs[1, state, action]
        for m in range(starts[action], starts[action + 1]):
            i = slots[m]
            along = gain[state, action, tight_to[i]]
            tight_activity[i] += along * basic[j]
            sender += duals[0, n_states + i] * along
            receiver += duals[1, n_states + i] * along
        worst_dual = max(worst_dual, abs(sender), abs(receiver))
    worst = 0.0
    for value in primal:
        worst = max(worst, abs(value))
    for value in tight_activity:
        worst = max(worst, abs(value))
    return max(worst, worst_dual / scale)


@njit(cache=True)
def _infeasibility(
    gain: Floats, prior: Floats, scale: float, k: int, basis: Basis, basic: Floats, activities: Floats
) -> float:
    """How far the basic solution is from obedient: the largest error of a state's mass against its prior, and
    the largest shortfall of an obedience row (relative to the scale). ``activities`` is ``A × A`` scratch."""
    column_state, column_action = basis[0], basis[1]
    n_actions = activities.shape[0]
    masses = -prior.copy()
    activities[:] = 0.0
    for j in range(k):
        masses[column_state[j]] += basic[j]
        _add_scaled(activities[column_action[j]], gain[column_state[j], column_action[j]], basic[j], n_actions)
    worst = 0.0
    for mass in masses:
        worst = max(worst, abs(mass))
    for a in range(n_actions):
        for b in range(n_actions):
            if a != b:
                worst = max(worst, -activities[a, b] / scale)
    return worst


@njit(cache=True)
def _refresh(
    inverse: Floats,
    k: int,
    problem: tuple[Floats, Floats, Floats, float],
    basis: Basis,
    basic: Floats,
    duals: Floats,
    check: bool,
    drift_tolerance: float,
) -> int:
    """Basic solution and duals after a pivot; if ``check``, ``W`` is inverted afresh when the updates of its
    inverse have drifted. Returns the status.

    The duals are recomputed at every pivot rather than updated: the walk's choices hinge on which rates cross
    first within ``TURN_TIE``, and updated duals, though within ``1e-9`` of these, made 50×50 walks take longer
    detours, and one cycle."""
    gain, costs, prior, scale = problem
    n_states, n_actions = costs.shape[1], costs.shape[2]
    _solution(inverse, k, n_states, prior, costs, basis, basic, duals)
    if not check or _drift(gain, costs, prior, scale, k, n_states, n_actions, basis, basic, duals) <= drift_tolerance:
        return _OK
    if not _invert(_working_basis(gain, n_states, k, basis), inverse):
        return _SINGULAR
    _solution(inverse, k, n_states, prior, costs, basis, basic, duals)
    if _drift(gain, costs, prior, scale, k, n_states, n_actions, basis, basic, duals) > _REINVERTED_DRIFT:
        return _SINGULAR
    return _OK


@njit(cache=True)
def _rates(
    costs: Floats,
    gain_by_row: Floats,
    duals: Floats,
    k: int,
    basis: Basis,
    is_basic: NDArray[np.bool_],
    rates: Floats,
) -> None:
    """Payoff rates ``v = (dU_S, dU_R)`` of raising each nonbasic variable, into ``rates[:, :S·A + t]``: the
    columns ``(s, a)`` at ``s·A + a`` (basic ones zero), then the tight rows' slacks."""
    n_states, n_actions = costs.shape[1], costs.shape[2]
    n_columns = n_states * n_actions
    tight_from, tight_to = basis[2], basis[3]
    for s in range(n_states):
        for a in range(n_actions):
            for objective in range(2):
                rates[objective, s * n_actions + a] = costs[objective, s, a] - duals[objective, s]
    for i in range(k - n_states):
        action = tight_from[i]
        sender, receiver = duals[0, n_states + i], duals[1, n_states + i]
        along = gain_by_row[action, tight_to[i]]
        for s in range(n_states):
            rates[0, s * n_actions + action] -= along[s] * sender
            rates[1, s * n_actions + action] -= along[s] * receiver
        rates[0, n_columns + i], rates[1, n_columns + i] = sender, receiver
    for s in range(n_states):
        for a in range(n_actions):
            if is_basic[s, a]:
                rates[0, s * n_actions + a] = rates[1, s * n_actions + a] = 0.0


@njit(cache=True, inline="always")
def _exact_turn(sender_rate: float, receiver_rate: float, cosine: float, sine: float) -> float:
    """How far the direction turns before rate ``v`` stops being non-improving (see :func:`_choose`)."""
    along, ahead = cosine * sender_rate + sine * receiver_rate, cosine * receiver_rate - sine * sender_rate
    turn = math.atan2(-along, ahead) % (2.0 * math.pi)
    return 0.0 if turn > 1.5 * math.pi else turn


@njit(cache=True)
def _choose(
    rates: Floats, count: int, angle: float, scale: float, dual_tolerance: float, turn_tie: float, turns: Floats
) -> tuple[int, float]:
    """The entering variable at direction ``angle`` (index into ``rates``; -1 when no variable changes the
    payoffs, i.e. ``U`` is a point) and how far the direction turns first (0 when one is improving now).

    Rate ``v`` stops being non-improving when the direction ``w`` has turned by the angle of ``(v·u, −v·w)``,
    ``u`` being the direction a quarter turn ahead: in ``[0, π]`` for a non-improving rate, and just below
    ``2π`` for one just past its crossing by rounding (that one turns by 0). The first crossing is found on a
    cheap monotone stand-in for the angle (``1 − x/(|x|+|y|)`` above the axis, ``3 + x/(|x|+|y|)`` below);
    only the rates near it get an exact ``atan2``.
    """
    cosine, sine = math.cos(angle), math.sin(angle)
    threshold = dual_tolerance * scale
    best, best_gain, moving, first_stand_in = -1, 0.0, 0, np.inf
    for j in range(count):
        along, ahead = cosine * rates[0, j] + sine * rates[1, j], cosine * rates[1, j] - sine * rates[0, j]
        if along * along + ahead * ahead <= threshold * threshold:
            turns[j] = np.inf  # not moving: never enters
            continue
        moving += 1
        if along > threshold and (best < 0 or along > best_gain):
            best, best_gain = j, along
        ratio = ahead / (abs(ahead) + abs(along))
        stand_in = 1.0 - ratio if along <= 0.0 else 3.0 + ratio
        turns[j] = 0.0 if stand_in > 3.0 else stand_in  # past 1.5π: just crossed
        first_stand_in = min(first_stand_in, turns[j])
    if moving == 0:
        return -1, 0.0
    if best >= 0:
        return best, 0.0
    first = np.inf
    for j in range(count):
        if turns[j] <= first_stand_in + _STAND_IN_WINDOW:
            turns[j] = _exact_turn(rates[0, j], rates[1, j], cosine, sine)
            first = min(first, turns[j])
        else:
            turns[j] = np.inf
    # Among rates crossing together, the longest: it goes farthest per unit, like Dantzig's rule.
    best_norm = -1.0
    for j in range(count):
        if turns[j] <= first + turn_tie:
            norm = rates[0, j] * rates[0, j] + rates[1, j] * rates[1, j]
            if norm > best_norm:
                best, best_norm = j, norm
    return best, first


@njit(cache=True)
def _ratio_test(
    values: Floats,
    rates: Floats,
    count: int,
    k: int,
    scale: float,
    pivot_tolerance: float,
    primal_tolerance: float,
    preference: float,
) -> tuple[int, float]:
    """Harris's ratio test over the blocking candidates (the ``k`` basic columns first, then the loose rows):
    the leaving candidate's index and the step length; index -1 when nothing blocks (unbounded)."""
    largest = 1.0
    for j in range(count):
        largest = max(largest, abs(rates[j]))
    blocking, floor = -pivot_tolerance * largest, primal_tolerance * scale
    # The largest step any candidate allows with the slack; values within rounding of zero are zero, so a
    # degenerate pivot is one, not a step of 1e-17.
    limit = np.inf
    for j in range(count):
        if rates[j] < blocking:
            clipped = values[j] if values[j] > floor else 0.0
            limit = min(limit, (clipped + floor) / -rates[j])
    if limit == np.inf:
        return -1, 0.0
    largest_pivot = 0.0
    for j in range(count):
        if rates[j] < blocking:
            clipped = values[j] if values[j] > floor else 0.0
            if clipped / -rates[j] <= limit:
                largest_pivot = max(largest_pivot, -rates[j])
    # Among ties, the biggest pivot; a basic column leaving keeps W small (a loose row leaving makes it
    # grow), so it is preferred unless its pivot is much smaller than the best one.
    chosen, chosen_pivot, chosen_column = -1, 0.0, False
    for j in range(count):
        if rates[j] < blocking:
            clipped = values[j] if values[j] > floor else 0.0
            if clipped / -rates[j] > limit:
                continue
            column = j < k and -rates[j] >= preference * largest_pivot
            better = -rates[j] > chosen_pivot if column == chosen_column else column
            if chosen < 0 or better:
                chosen, chosen_pivot, chosen_column = j, -rates[j], column
    clipped = values[chosen] if values[chosen] > floor else 0.0
    return chosen, clipped / -rates[chosen]


@njit(cache=True)
def _replace_column(inverse: Floats, k: int, position: int, solved: Floats) -> None:
    """Basic column ``position`` leaves and the entering column ``a`` takes its place (``solved = N a``)."""
    work = inverse[position, :k] / solved[position]
    for j in range(k):
        if j != position and solved[j] != 0.0:
            _add_scaled(inverse[j], work, -solved[j], k)
    inverse[position, :k] = work


@njit(cache=True)
def _replace_row(inverse: Floats, k: int, position: int, solved: Floats) -> None:
    """Working-basis row ``position`` is replaced by the row ``r`` (``solved = r N``)."""
    pivot = solved[position]
    for j in range(k):
        factor = inverse[j, position] / pivot
        if factor != 0.0:
            _add_scaled(inverse[j], solved, -factor, k)
        inverse[j, position] = factor


@njit(cache=True)
def _border(inverse: Floats, k: int, solved: Floats, solved_row: Floats, schur: float) -> Floats:
    """``W`` grows by the entering column ``a`` and a row ``r`` (``solved = N a``, ``solved_row = r N``,
    ``schur`` = their shared entry − ``r N a``); returns the buffer, doubled if it had no room."""
    if k + 1 > inverse.shape[0]:
        grown = np.zeros((2 * (k + 1), 2 * (k + 1)))
        grown[:k, :k] = inverse[:k, :k]
        inverse = grown
    for j in range(k):
        if solved[j] != 0.0:
            _add_scaled(inverse[j], solved_row, solved[j] / schur, k)
        inverse[j, k] = -solved[j] / schur
    for r in range(k):
        inverse[k, r] = -solved_row[r] / schur
    inverse[k, k] = 1.0 / schur
    return inverse


@njit(cache=True)
def _unborder(inverse: Floats, k: int, position: int, row: int) -> None:
    """Basic column ``position`` leaves and working-basis row ``row`` loosens: both are swapped to the end,
    then ``W`` loses its last row and column (the caller swaps its labels the same way)."""
    last = k - 1
    for r in range(k):
        inverse[position, r], inverse[last, r] = inverse[last, r], inverse[position, r]
    for j in range(k):
        inverse[j, row], inverse[j, last] = inverse[j, last], inverse[j, row]
    pivot = inverse[last, last]
    for j in range(last):
        if inverse[j, last] != 0.0:
            _add_scaled(inverse[j], inverse[last], -inverse[j, last] / pivot, last)


@njit(cache=True)
def _grow(array: NDArray[Any], size: int) -> Any:
    """``array`` if it holds ``size`` entries, else a copy (same dtype) with twice that room."""
    if size <= array.shape[0]:
        return array
    grown = np.zeros(2 * size, dtype=array.dtype)
    grown[: array.shape[0]] = array
    return grown


@njit(cache=True, nogil=True)
def walk_half(
    gain: Floats,
    costs: Floats,
    prior: Floats,
    start_actions: Ints,
    scale: float,
    max_pivots: int,
    tolerances: Floats,
) -> tuple[int, int, Ints, Ints, Floats]:
    """Walk counter-clockwise from full disclosure (direction ``(0, 1)``) until the direction points straight
    down; returns ``(status, pivots, offsets, cells, masses)``, the last three as
    :class:`~infobargain.theory.shadow_vertex.HalfWalk` describes them. Releases the GIL, so the two halves can
    walk on two threads."""
    dual_tolerance, pivot_tolerance, primal_tolerance = tolerances[0], tolerances[1], tolerances[2]
    drift_tolerance, preference, turn_tie, check_every = tolerances[3], tolerances[4], tolerances[5], tolerances[6]
    verify_tolerance = tolerances[7]
    problem = (gain, costs, prior, scale)
    n_states, n_actions = costs.shape[1], costs.shape[2]
    n_columns, most_rows = n_states * n_actions, n_actions * (n_actions - 1)
    most_basic = n_states + most_rows
    gain_by_row = np.ascontiguousarray(gain.transpose(1, 2, 0))  # [a, a', s]

    # The basis: full disclosure, W = I.
    inverse = np.zeros((2 * n_states, 2 * n_states))
    column_state, column_action = np.zeros(most_basic, np.int64), np.zeros(most_basic, np.int64)
    tight_from, tight_to = np.zeros(most_rows, np.int64), np.zeros(most_rows, np.int64)
    basis = (column_state, column_action, tight_from, tight_to)
    is_basic = np.zeros((n_states, n_actions), np.bool_)
    is_tight = np.zeros((n_actions, n_actions), np.bool_)
    for s in range(n_states):
        inverse[s, s] = 1.0
        column_state[s], column_action[s] = s, start_actions[s]
        is_basic[s, start_actions[s]] = True
    k = n_states
    basic, duals = np.zeros(most_basic), np.zeros((2, most_basic))

    # Work buffers.
    rates, turns = np.zeros((2, n_columns + most_rows)), np.zeros(n_columns + most_rows)
    change, solved, solved_row = np.zeros((3, most_basic))
    on_action, on_gain = np.zeros(most_rows, np.int64), np.zeros(most_rows)
    candidate_values = np.zeros(most_basic + n_actions * n_actions)
    candidate_rates = np.zeros(most_basic + n_actions * n_actions)
    loose_from, loose_to = np.zeros(n_actions * n_actions, np.int64), np.zeros(n_actions * n_actions, np.int64)
    slacks, slack_change = np.zeros((n_actions, n_actions)), np.zeros((n_actions, n_actions))

    # The vertices met.
    offsets = np.zeros(64, np.int64)
    entry_state, entry_action, entry_mass = np.zeros(256, np.int64), np.zeros(256, np.int64), np.zeros(256)
    n_vertices = n_entries = 0

    status = _refresh(inverse, k, problem, basis, basic, duals, False, drift_tolerance)
    angle, turned, since_check = 0.5 * math.pi, 0.0, 0
    record = True
    state = action = slot = 0
    for pivots in range(max_pivots + 1):
        if record:  # the start, and every vertex a pivot moved to, once it is checked obedient
            if _infeasibility(gain, prior, scale, k, basis, basic, slacks) > verify_tolerance:
                # Rounding in an ill-conditioned basis (a margin far below the utility differences makes one):
                # invert W afresh; if the vertex is still off, the walk cannot be trusted here.
                status = _refresh(inverse, k, problem, basis, basic, duals, True, 0.0)
                if status == _OK and _infeasibility(gain, prior, scale, k, basis, basic, slacks) > verify_tolerance:
                    status = _INACCURATE
                if status != _OK:
                    break
            offsets = _grow(offsets, n_vertices + 2)
            entry_state = _grow(entry_state, n_entries + k)  # room for every basic column, once per vertex
            entry_action = _grow(entry_action, n_entries + k)
            entry_mass = _grow(entry_mass, n_entries + k)
            for j in range(k):
                if basic[j] > 0.0:
                    entry_state[n_entries], entry_action[n_entries] = column_state[j], column_action[j]
                    entry_mass[n_entries] = basic[j]
                    n_entries += 1
            n_vertices += 1
            offsets[n_vertices] = n_entries

        n_tight = k - n_states
        _rates(costs, gain_by_row, duals, k, basis, is_basic, rates)
        entering, turn = _choose(rates, n_columns + n_tight, angle, scale, dual_tolerance, turn_tie, turns)
        if entering < 0 or turned + turn >= math.pi - _ANGLE_TOLERANCE:
            break
        if pivots == max_pivots:
            status = _TOO_LONG
            break
        angle, turned = angle + turn, turned + turn

        # The move: how the basic columns change per unit of the entering variable.
        is_column = entering < n_columns
        if is_column:  # solved = N a: a has its prior row's 1 and the coefficients of its action's tight rows
            state, action = entering // n_actions, entering % n_actions
            n_on = 0
            for i in range(n_tight):
                if tight_from[i] == action:
                    on_action[n_on], on_gain[n_on] = n_states + i, gain[state, action, tight_to[i]]
                    n_on += 1
            for j in range(k):
                value = inverse[j, state]
                for m in range(n_on):
                    value += inverse[j, on_action[m]] * on_gain[m]
                solved[j], change[j] = value, -value
        else:  # a tight row's slack: N times that row's unit vector
            slot = entering - n_columns
            change[:k] = inverse[:k, n_states + slot]

        # Blocking candidates: the basic columns, then the loose rows (row-major).
        slacks[:] = 0.0
        slack_change[:] = 0.0
        for j in range(k):
            _add_scaled(slacks[column_action[j]], gain[column_state[j], column_action[j]], basic[j], n_actions)
            _add_scaled(slack_change[column_action[j]], gain[column_state[j], column_action[j]], change[j], n_actions)
        if is_column:
            _add_scaled(slack_change[action], gain[state, action], 1.0, n_actions)
        count = k
        candidate_values[:k], candidate_rates[:k] = basic[:k], change[:k]
        for a in range(n_actions):
            for b in range(n_actions):
                if a != b and not is_tight[a, b]:
                    candidate_values[count], candidate_rates[count] = slacks[a, b], slack_change[a, b]
                    loose_from[count - k], loose_to[count - k] = a, b
                    count += 1
        leaving, step = _ratio_test(
            candidate_values, candidate_rates, count, k, scale, pivot_tolerance, primal_tolerance, preference
        )
        if leaving < 0:
            status = _UNBOUNDED
            break

        if leaving < k and is_column:  # a basic column leaves, the entering one takes its place
            _replace_column(inverse, k, leaving, solved)
            is_basic[column_state[leaving], column_action[leaving]] = False
            column_state[leaving], column_action[leaving] = state, action
            is_basic[state, action] = True
        elif leaving < k:  # a basic column leaves and a tight row loosens: W loses a border
            last, last_slot = k - 1, k - 1 - n_states
            is_basic[column_state[leaving], column_action[leaving]] = False
            is_tight[tight_from[slot], tight_to[slot]] = False
            _unborder(inverse, k, leaving, n_states + slot)
            column_state[leaving], column_action[leaving] = column_state[last], column_action[last]
            tight_from[slot], tight_to[slot] = tight_from[last_slot], tight_to[last_slot]
            k = last
        else:  # a loose row becomes tight: r N for its row r, nonzero on the basic columns of its action
            row_from, row_to = loose_from[leaving - k], loose_to[leaving - k]
            solved_row[:k] = 0.0
            for j in range(k):
                if column_action[j] == row_from:
                    _add_scaled(solved_row, inverse[j], gain[column_state[j], row_from, row_to], k)
            if is_column:  # and the entering column becomes basic: W grows by a border
                schur = gain[state, action, row_to] if action == row_from else 0.0
                for j in range(k):
                    if column_action[j] == row_from:
                        schur -= gain[column_state[j], row_from, row_to] * solved[j]
                inverse = _border(inverse, k, solved, solved_row, schur)
                column_state[k], column_action[k] = state, action
                tight_from[n_tight], tight_to[n_tight] = row_from, row_to
                is_basic[state, action] = True
                is_tight[row_from, row_to] = True
                k += 1
            else:  # in place of the tight row that loosens
                _replace_row(inverse, k, n_states + slot, solved_row)
                is_tight[tight_from[slot], tight_to[slot]] = False
                tight_from[slot], tight_to[slot] = row_from, row_to
                is_tight[row_from, row_to] = True

        since_check += 1
        status = _refresh(inverse, k, problem, basis, basic, duals, since_check >= check_every, drift_tolerance)
        if since_check >= check_every:
            since_check = 0
        if status != _OK:
            break
        record = step > 0.0
    cells = np.stack((entry_state[:n_entries], entry_action[:n_entries]), axis=1)
    return status, pivots, offsets[: n_vertices + 1].copy(), cells, entry_mass[:n_entries].copy()
