"""The payoff polygon of the obedience LP by the shadow-vertex method: one simplex walk around it.

The feasible set ``U`` of a persuasion instance is the image of the obedience polytope

    ``P = {x ≥ 0 : Σ_a x(s, a) = μ0(s) for all s;  Σ_s x(s, a) g(s, a, a') ≥ 0 for all a ≠ a'}``,
    ``g(s, a, a') = u_R(s, a) − u_R(s, a') − ε``,

under the linear map ``x ↦ (U_S(x), U_R(x))`` (docs/theory.md §2). Its vertices are the optima of
``max w(θ)·U(x)``, ``w(θ) = (cos θ, sin θ)``, as θ turns once around the circle. The shadow-vertex
(parametric objective) simplex method (Gass & Saaty 1955; Borgwardt, *The Simplex Method: A Probabilistic
Analysis*, Springer 1987, §1.3) follows that family with a single basis: a basis optimal for w(θ) stays
optimal while the reduced costs of all nonbasic variables, each ``w(θ)·v`` for a fixed payoff rate ``v``,
stay ≤ 0. When θ reaches the first angle where one of them crosses zero, one primal pivot on that variable
moves to the adjacent vertex of ``U`` (counter-clockwise), or to another basis of the same vertex when the
pivot is degenerate. So the walk meets the vertices of ``U`` in order, and every vertex comes with the basic
solution (an obedient joint distribution) that attains it: no point is ever located in a vertex list.

**Start and halves.** Full disclosure (each state recommends the receiver's best action there) is optimal for
``θ = π/2`` with the identity as basis, so no phase 1 is needed. From there one walk turns counter-clockwise
and a second, on the mirror image ``U_S ↦ −U_S``, clockwise; each stops when the direction points straight
down. That bottom face (``U_R`` at its no-information floor: every scheme that tells the receiver nothing
useful) is by far the most degenerate part of the polytope, where a walk along it would take thousands of
degenerate pivots; its two ends are where the halves stop, so it is never walked.

**Basis.** The equality rows are always active; of the ``A(A−1)`` obedience rows only the tight ones (slack
nonbasic) enter the *working basis* ``W``: rows = the ``S`` prior rows and the ``t`` tight rows, columns = the
basic ``x(s, a)``, a square ``k × k`` matrix with ``k = S + t``. Loose rows' slacks are basic and are read
off ``x``. Degenerate tight rows accumulate, so ``k`` runs above the support of the vertex's joint
distribution (median ``k`` ≈ 3S at 20×20, 6–7S at 50×50).

**Cost per pivot.** Pricing all ``S·A`` columns and ``t`` tight rows for both objectives is ``O(S·A + S·t)``,
the ratio test over the basic variables and loose rows ``O(k·A + A²)``, and the update of ``W⁻¹`` (a
rank-one or bordering formula, in place) ``O(k²)``; every :data:`CHECK_EVERY` pivots the residuals of
``W x_B = [μ0; 0]`` and ``y W = c_B`` are checked (``O(k·t)``) and ``W`` is inverted afresh (``O(k³)``) only
if they exceed :data:`DRIFT_TOLERANCE`. **Overall**: ``O(P·(k² + S·A + k·A + A²))`` for ``P`` pivots, and ``P``
is the number of vertices ``V`` of ``U`` plus the degenerate pivots (measured: P ≈ 1.9·V at 20×20, 2.8·V at
50×50). So the cost is output-sensitive, about ``O(V·k²)``: no LP is solved from scratch and no direction is
probed twice. (The earlier method, :func:`~infobargain.theory.problem.polygon_by_directions`, solved two
warm-started LPs per vertex, each a full dual-simplex run from a far-away direction.) Note that ``V`` itself
grows about as ``n³`` on random n×n instances.

Tolerances are explicit: :data:`DUAL_TOLERANCE` (a payoff rate below it counts as zero),
:data:`PIVOT_TOLERANCE` (smallest pivot element accepted), :data:`PRIMAL_TOLERANCE` (Harris ratio-test slack;
basic values below it are zero) and :data:`DRIFT_TOLERANCE`. If full disclosure misses the obedience margin,
or the walk fails a consistency check, it raises :class:`WalkError` and the caller falls back to the
LP-per-direction method.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from infobargain.game.instance import Instance
from infobargain.theory.lp import check_margin

DUAL_TOLERANCE = 1e-9
"""A nonbasic variable whose payoff rate ``w·v`` is at most this (times the utility scale) is not improving."""
PIVOT_TOLERANCE = 1e-9
"""The smallest entering-column entry the ratio test pivots on (times the column's largest entry)."""
PRIMAL_TOLERANCE = 1e-12
"""Harris ratio-test slack: basic values may fall this far below zero (times the utility scale), then are clipped."""
CHECK_EVERY = 32
"""Pivots between checks of the working basis's inverse (kept by rank-one updates in between)."""
DRIFT_TOLERANCE = 1e-11
"""Largest residual of ``W x_B = [μ0; 0]`` and ``y W = c_B`` (relative) before ``W`` is inverted afresh."""
PREFERENCE_RATIO = 1e-2
"""A tied basic column may leave instead of a loose row if its pivot is at least this fraction of the largest."""
_FULL_TURN = 2 * np.pi
_ANGLE_TOLERANCE = 1e-12


class WalkError(RuntimeError):
    """The walk cannot start here or lost consistency; use the LP-per-direction method instead."""


def _invert(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """``matrix⁻¹`` by Gauss–Jordan elimination with partial pivoting, in elementwise numpy (LAPACK's threaded
    kernels stall for milliseconds per call on a busy machine at these sizes)."""
    size = len(matrix)
    work = np.hstack([matrix, np.eye(size)])
    for column in range(size):
        pivot = column + int(np.argmax(np.abs(work[column:, column])))
        if abs(work[pivot, column]) <= 1e-14 * max(1.0, float(np.abs(work[:, column]).max())):
            raise WalkError("working basis became singular")
        if pivot != column:
            work[[column, pivot]] = work[[pivot, column]]
        work[column] /= work[column, column]
        factors = work[:, column].copy()
        factors[column] = 0.0
        work -= factors[:, None] * work[column]
    return work[:, size:]


class ShadowVertexWalk:
    """The simplex state of one obedience polytope, walked counter-clockwise around its payoff polygon.

    The basis is kept as the inverse ``N`` of the working basis ``W`` (rows: the ``S`` prior rows, then the
    tight obedience rows in :attr:`tight_from`/:attr:`tight_to` order; columns: the basic ``x(s, a)`` in
    :attr:`column_state`/:attr:`column_action` order), updated by rank-one formulas and re-inverted every
    :data:`CHECK_EVERY` pivots when they drift. No LAPACK call runs per pivot: on a busy machine its multithreaded
    kernels stall for milliseconds on matrices this small.
    """

    def __init__(self, instance: Instance, obedience_margin: float = 0.0, *, clockwise: bool = False) -> None:
        check_margin(obedience_margin)
        self.instance = instance
        self.clockwise = clockwise
        self.n_states, self.n_actions = n_states, n_actions = instance.n_states, instance.n_actions
        utility = instance.receiver_utility
        self.gain = utility[:, :, None] - utility[:, None, :] - obedience_margin  # g[s, a, a']
        # Clockwise is counter-clockwise on the mirror image U_S ↦ −U_S.
        sign = -1.0 if clockwise else 1.0
        self.costs = np.stack([sign * instance.sender_utility, instance.receiver_utility])  # [objective, s, a]
        self.scale = max(1.0, float(np.abs(self.costs).max()), float(np.abs(self.gain).max()))
        self.rows = ~np.eye(n_actions, dtype=bool)  # obedience row (a, a') exists for a ≠ a'
        # Full disclosure maximises U_R: W = I, and every reduced cost u_R(s, a) − max_a' u_R(s, a') is ≤ 0.
        self.column_state = np.arange(n_states)
        self.column_action = np.argmax(utility, axis=1)
        self.tight_from = np.zeros(0, dtype=np.int64)
        self.tight_to = np.zeros(0, dtype=np.int64)
        self._buffer = np.eye(2 * n_states)  # N lives in its top-left k × k corner, updated in place
        self._size = n_states
        self._since_check = 0
        self._update_solution()
        if self._slacks(self.basic[None])[0][self.rows].min() < -PRIMAL_TOLERANCE * self.scale:
            raise WalkError("full disclosure is not obedient by the margin")

    # Basis algebra

    @property
    def inverse(self) -> NDArray[np.float64]:
        """``N = W⁻¹`` (a view: rows follow the basic columns, columns the working basis's rows)."""
        return self._buffer[: self._size, : self._size]

    def _resize(self, size: int) -> None:
        """Make room for a ``size × size`` inverse (amortised doubling: no k × k allocation per pivot)."""
        if size > len(self._buffer):
            grown = np.zeros((2 * size, 2 * size))
            grown[: self._size, : self._size] = self.inverse
            self._buffer = grown
        self._size = size

    def _times_inverse(self, left: NDArray[np.float64]) -> NDArray[np.float64]:
        """``left @ N`` for a few row vectors, one matrix–vector product each (a matrix product here would
        go to a multithreaded BLAS kernel, which stalls on a busy machine)."""
        inverse = self.inverse
        return np.stack([row @ inverse for row in left])

    def _matrix(self) -> NDArray[np.float64]:
        """The working basis ``W`` itself."""
        n_states, size = self.n_states, len(self.column_state)
        matrix = np.zeros((size, size))
        matrix[self.column_state, np.arange(size)] = 1.0
        matrix[n_states:] = self._row_coefficients(self.tight_from, self.tight_to)
        return matrix

    def _row_coefficients(self, row_from: NDArray[np.int64], row_to: NDArray[np.int64]) -> NDArray[np.float64]:
        """``[row, basic column]``: obedience rows ``(row_from, row_to)`` restricted to the basic columns."""
        same_action = self.column_action[None, :] == row_from[:, None]
        values = self.gain[self.column_state[None, :], row_from[:, None], row_to[:, None]]
        return np.where(same_action, values, 0.0)

    def _entering_column(self, state: int, action: int) -> NDArray[np.float64]:
        """Column ``x(state, action)`` restricted to the working basis's rows."""
        column = np.zeros(len(self.column_state))
        column[state] = 1.0
        on_action = self.tight_from == action
        column[self.n_states :][on_action] = self.gain[state, action, self.tight_to[on_action]]
        return column

    def _update_solution(self) -> None:
        """Basic solution ``x_B = N [μ0; 0]`` and both objectives' duals ``y = c_B N``; every
        :data:`CHECK_EVERY` pivots, re-invert ``W`` if the updates have drifted."""
        basic_costs = self.costs[:, self.column_state, self.column_action]
        for attempt in range(2):
            self.basic = self.inverse[:, : self.n_states] @ self.instance.prior
            self.duals = self._times_inverse(basic_costs)  # [objective, row]
            if attempt or self._since_check < CHECK_EVERY:
                return
            self._since_check = 0
            matrix = self._matrix()
            drift = max(
                float(np.abs(matrix @ self.basic - self._right_side()).max()),
                max(float(np.abs(row @ matrix - cost).max()) for row, cost in zip(self.duals, basic_costs, strict=True))
                / self.scale,
            )
            if drift <= DRIFT_TOLERANCE:
                return
            self.inverse[...] = _invert(matrix)

    def _right_side(self) -> NDArray[np.float64]:
        right = np.zeros(len(self.column_state))
        right[: self.n_states] = self.instance.prior
        return right

    def joint(self) -> NDArray[np.float64]:
        """The basic solution as ``x[state][action]``."""
        joint = np.zeros((self.n_states, self.n_actions))
        joint[self.column_state, self.column_action] = self.basic
        return joint

    def _slacks(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """``[..., a, a']``: the obedience rows' activities when the basic columns take ``values`` (``[..., k]``)."""
        n_actions = self.n_actions
        leading = values.shape[:-1]
        contributions = values[..., :, None] * self.gain[self.column_state, self.column_action, :]
        index = (self.column_action * n_actions)[:, None] + np.arange(n_actions)
        count = int(np.prod(leading))
        index = (index + n_actions * n_actions * np.arange(count)[:, None, None]).ravel()
        flat = np.bincount(index, contributions.ravel(), count * n_actions * n_actions)
        return np.asarray(flat, dtype=np.float64).reshape(*leading, n_actions, n_actions)

    def _rates(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Payoff rates ``v = (dU_S, dU_R)`` of raising each nonbasic variable: ``[2, S, A]`` for the columns
        (basic ones set to zero) and ``[2, t]`` for the tight rows' slacks."""
        n_states, n_actions = self.n_states, self.n_actions
        tight_duals = self.duals[:, n_states:]  # [objective, t]
        rates = self.costs - self.duals[:, :n_states, None]
        if tight_duals.shape[1]:
            along = self.gain[:, self.tight_from, self.tight_to]  # [s, t]
            index = np.arange(n_states)[:, None] * n_actions + self.tight_from  # [s, t] → flat (s, a)
            index = (index + n_states * n_actions * np.arange(2)[:, None, None]).ravel()
            weights = (along * tight_duals[:, None, :]).ravel()
            rates -= np.bincount(index, weights, 2 * n_states * n_actions).reshape(rates.shape)
        rates[:, self.column_state, self.column_action] = 0.0
        return rates, tight_duals

    # One pivot

    def _pivot(self, entering: tuple[str, int]) -> float:
        """Raise the entering variable until a basic one hits zero, exchange them; returns the step length."""
        kind, index = entering
        n_states = self.n_states
        if kind == "column":
            state, action = divmod(index, self.n_actions)
            column = self._entering_column(state, action)
            change = -(self.inverse @ column)
        else:
            change = self.inverse[:, n_states + index].copy()
        slacks, slack_change = self._slacks(np.stack([self.basic, change]))
        if kind == "column":
            slack_change[action] += self.gain[state, action]
        loose = self.rows.copy()
        loose[self.tight_from, self.tight_to] = False
        # Blocking candidates: basic columns, then loose rows (row-major).
        values = np.concatenate([self.basic, slacks[loose]])
        rates = np.concatenate([change, slack_change[loose]])
        largest = max(1.0, float(np.abs(rates).max()))
        candidates = np.flatnonzero(rates < -PIVOT_TOLERANCE * largest)
        if len(candidates) == 0:
            raise WalkError("unbounded pivot on a bounded polytope")
        # Values within rounding of zero are zero: the pivot is degenerate, not a step of 1e-17.
        clipped = values[candidates]
        clipped = np.where(clipped > PRIMAL_TOLERANCE * self.scale, clipped, 0.0)
        # Harris: the largest step any candidate allows with the slack, then the biggest pivot within it.
        limit = ((clipped + PRIMAL_TOLERANCE * self.scale) / -rates[candidates]).min()
        within = np.flatnonzero(clipped / -rates[candidates] <= limit)
        size = len(self.column_state)
        pivots = -rates[candidates][within]
        # Among ties, a basic column leaving keeps W small (a loose row leaving makes it grow), unless its
        # pivot is much smaller than the best one.
        columns = (candidates[within] < size) & (pivots >= PREFERENCE_RATIO * pivots.max())
        chosen = within[np.argmax(np.where(columns, pivots, -np.inf))] if columns.any() else within[np.argmax(pivots)]
        leaving, step = int(candidates[chosen]), float(clipped[chosen] / -rates[candidates][chosen])
        if leaving < size:
            if kind == "column":
                self._replace_column(leaving, state, action, -change)
            else:
                self._remove(leaving, n_states + index)
        else:
            row_from, row_to = np.argwhere(loose)[leaving - size]
            if kind == "column":
                self._append(state, action, column, row_from, row_to)
            else:
                self._replace_row(n_states + index, row_from, row_to)
        self._since_check += 1
        self._update_solution()
        return step

    def _replace_column(self, position: int, state: int, action: int, solved: NDArray[np.float64]) -> None:
        """Basic column ``position`` leaves, ``x(state, action)`` takes its place (``solved = N a``)."""
        inverse = self.inverse
        row = inverse[position] / solved[position]
        np.subtract(inverse, solved[:, None] * row, out=inverse)
        inverse[position] += row
        self.column_state, self.column_action = self.column_state.copy(), self.column_action.copy()
        self.column_state[position], self.column_action[position] = state, action

    def _replace_row(self, position: int, row_from: int, row_to: int) -> None:
        """Tight row at W-row ``position`` loosens, row ``(row_from, row_to)`` becomes tight in its place."""
        new_row = self._row_coefficients(np.array([row_from]), np.array([row_to]))[0]
        inverse = self.inverse
        solved = new_row @ inverse
        column = inverse[:, position] / solved[position]
        np.subtract(inverse, column[:, None] * solved, out=inverse)
        inverse[:, position] += column
        slot = position - self.n_states
        self.tight_from, self.tight_to = self.tight_from.copy(), self.tight_to.copy()
        self.tight_from[slot], self.tight_to[slot] = row_from, row_to

    def _append(self, state: int, action: int, column: NDArray[np.float64], row_from: int, row_to: int) -> None:
        """``x(state, action)`` becomes basic and row ``(row_from, row_to)`` tight: ``W`` grows by a border."""
        new_row = self._row_coefficients(np.array([row_from]), np.array([row_to]))[0]
        corner = self.gain[state, action, row_to] if action == row_from else 0.0
        inverse = self.inverse
        solved_column = inverse @ column
        solved_row = new_row @ inverse
        schur = corner - float(new_row @ solved_column)
        size = len(column)
        np.add(inverse, solved_column[:, None] * (solved_row / schur), out=inverse)
        self._resize(size + 1)
        self._buffer[:size, size] = -solved_column / schur
        self._buffer[size, :size] = -solved_row / schur
        self._buffer[size, size] = 1.0 / schur
        self.column_state, self.column_action = (
            np.append(self.column_state, state),
            np.append(self.column_action, action),
        )
        self.tight_from, self.tight_to = np.append(self.tight_from, row_from), np.append(self.tight_to, row_to)

    def _remove(self, position: int, row: int) -> None:
        """Basic column ``position`` leaves and the tight row at W-row ``row`` loosens: ``W`` loses a border."""
        last = self._size - 1
        buffer = self._buffer
        # Move the leaving basic column and the loosening row to the end, then drop the last row and column.
        buffer[[position, last], : self._size] = buffer[[last, position], : self._size]
        buffer[: self._size, [row, last]] = buffer[: self._size, [last, row]]
        self.column_state, self.column_action = self.column_state.copy(), self.column_action.copy()
        self.column_state[[position, last]] = self.column_state[[last, position]]
        self.column_action[[position, last]] = self.column_action[[last, position]]
        slot, last_slot = row - self.n_states, last - self.n_states
        self.tight_from, self.tight_to = self.tight_from.copy(), self.tight_to.copy()
        self.tight_from[[slot, last_slot]] = self.tight_from[[last_slot, slot]]
        self.tight_to[[slot, last_slot]] = self.tight_to[[last_slot, slot]]
        kept = buffer[:last, :last]
        np.subtract(kept, buffer[:last, last, None] * (buffer[last, :last] / buffer[last, last]), out=kept)
        self._size = last
        self.column_state, self.column_action = self.column_state[:last], self.column_action[:last]
        self.tight_from, self.tight_to = self.tight_from[:-1], self.tight_to[:-1]

    # The walk

    def _choose(self, angle: float) -> tuple[tuple[str, int], float] | None:
        """The entering variable at direction ``angle`` and how far the direction turns first (0 when a
        variable is improving now); ``None`` when no variable changes the payoffs (``U`` is a point)."""
        column_rates, row_rates = self._rates()
        rates = np.concatenate([column_rates.reshape(2, -1), row_rates], axis=1)
        norms = np.hypot(rates[0], rates[1])
        moving = np.flatnonzero(norms > DUAL_TOLERANCE * self.scale)
        if len(moving) == 0:
            return None
        gains = np.cos(angle) * rates[0, moving] + np.sin(angle) * rates[1, moving]
        improving = gains > DUAL_TOLERANCE * self.scale
        if improving.any():
            chosen, turn = int(moving[np.argmax(np.where(improving, gains, -np.inf))]), 0.0
        else:
            # Rate v stops being non-improving when the direction passes angle(v) − π/2. Non-improving rates
            # turn by [0, π]; one just past its crossing (rounding) wraps to near 2π.
            turns = np.mod(np.arctan2(rates[1, moving], rates[0, moving]) - np.pi / 2 - angle, _FULL_TURN)
            turns[turns > 1.5 * np.pi] = 0.0
            first = turns.min()
            # Among rates crossing together, the longest: it goes farthest per unit, like Dantzig's rule.
            tied = np.flatnonzero(turns <= first + 1e-12)
            position = int(tied[np.argmax(norms[moving[tied]])])
            chosen, turn = int(moving[position]), float(first)
        n_columns = self.n_states * self.n_actions
        entering = ("column", chosen) if chosen < n_columns else ("row", chosen - n_columns)
        return entering, turn

    def walk(self, max_pivots: int | None = None) -> list[NDArray[np.float64]]:
        """Joint distributions at the vertices of one half of ``U``: from the receiver's best point (full
        disclosure, direction ``(0, 1)``) counter-clockwise (clockwise if so built) until the direction
        points straight down. The bottom face, ``U_R`` at its no-information floor, is where the polytope is
        most degenerate (every scheme that tells the receiver nothing useful), so neither half walks along
        it: its two ends are where the halves stop."""
        limit = max_pivots or 50 * (self.n_states * self.n_actions + self.n_actions**2) + 1000
        angle, turned = np.pi / 2, 0.0
        joints = [self.joint()]
        for _ in range(limit):
            choice = self._choose(angle)
            if choice is None:
                return joints
            entering, turn = choice
            if turned + turn >= np.pi - _ANGLE_TOLERANCE:
                return joints
            angle, turned = angle + turn, turned + turn
            if self._pivot(entering) > 0:
                joints.append(self.joint())
        raise WalkError(f"no half turn within {limit} pivots")


def walk_polygon(instance: Instance, obedience_margin: float = 0.0) -> list[NDArray[np.float64]]:
    """Joint distributions at every vertex of ``U`` (possibly with collinear extras): both half walks."""
    return [
        *ShadowVertexWalk(instance, obedience_margin).walk(),
        *ShadowVertexWalk(instance, obedience_margin, clockwise=True).walk()[1:],
    ]
