"""The payoff polygon of the obedience LP by the shadow-vertex method: one simplex walk around it.

The feasible set ``U`` of a persuasion instance is the image of the obedience polytope

    ``P = {x ≥ 0 : Σ_a x(s, a) = μ0(s) for all s;  Σ_s x(s, a) g(s, a, a') ≥ 0 for all a ≠ a'}``,
    ``g(s, a, a') = u_R(s, a) − u_R(s, a') − ε``,

under the linear map ``x ↦ (U_S(x), U_R(x))`` (THEORY.md §2). Its vertices are the optima of
``max w(θ)·U(x)``, ``w(θ) = (cos θ, sin θ)``, as θ turns once around the circle. The shadow-vertex
(parametric objective) simplex method (Gass & Saaty 1955; Borgwardt, *The Simplex Method: A Probabilistic
Analysis*, Springer 1987, §1.3) follows that family with a single basis: a basis optimal for w(θ) stays
optimal while the reduced costs of all nonbasic variables, each ``w(θ)·v`` for a fixed payoff rate ``v``,
stay ≤ 0. When θ reaches the first angle where one of them crosses zero, one primal pivot on that variable
moves to the adjacent vertex of ``U`` (counter-clockwise), or to another basis of the same vertex when the
pivot is degenerate. So the walk meets every vertex of ``U`` once, in order, and every vertex comes with the
basic solution (an obedient joint distribution) that attains it.

**Basis.** The equality rows are always active; of the ``A(A−1)`` obedience rows only the tight ones (slack
nonbasic) enter the *working basis* ``W``: rows = the ``S`` prior rows and the ``t`` tight rows, columns = the
basic ``x(s, a)``, a square ``k × k`` matrix with ``k = S + t`` (the number of positive entries of a
nondegenerate vertex's joint distribution, typically 2S–3S on random instances). Loose rows' slacks are
basic and are read off ``x``.

**Cost.** Each pivot factorises ``W`` afresh (``O(k³)``: no drift from product-form updates, so every
vertex is as accurate as a fresh LP solve), prices all ``S·A`` columns and ``t`` tight rows for both
objectives (``O(S·t·A)``) and runs a ratio test over the basic variables and loose rows (``O(k·A + A²)``).
The walk makes one pivot per vertex of ``U`` plus degenerate pivots (in practice about two per vertex),
so a polygon with ``V`` vertices costs ``O(V·(k³ + S·t·A))``, output-sensitive: no LP is solved from
scratch and no direction is probed twice. The earlier method (one warm-started HiGHS solve per polygon
edge and one more to certify it) paid a full LP iteration sequence per vertex.

Tolerances are explicit: :data:`DUAL_TOLERANCE` (a reduced cost below it counts as zero), :data:`PIVOT_TOLERANCE`
(smallest pivot element accepted) and :data:`PRIMAL_TOLERANCE` (Harris ratio-test slack). The walk starts from
the no-information basis (every state recommends the prior's best action), which is obedient when that action
beats the others by the margin; otherwise, or if the walk ever fails a consistency check, it raises
:class:`WalkError` and the caller falls back to the LP-per-direction method.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from infobargain.game.instance import Instance
from infobargain.theory.lp import check_margin

DUAL_TOLERANCE = 1e-11
"""A nonbasic variable whose payoff rate ``w·v`` is at most this (times the utility scale) is not improving."""
PIVOT_TOLERANCE = 1e-9
"""The smallest entering-column entry the ratio test pivots on (times the column's largest entry)."""
PRIMAL_TOLERANCE = 1e-12
"""Harris ratio-test slack: basic values may fall this far below zero (times the utility scale), then are clipped."""
CHECK_EVERY = 32
"""Pivots between checks of the working basis's inverse (kept by rank-one updates in between)."""
DRIFT_TOLERANCE = 1e-11
"""Largest residual of ``W x_B = [μ0; 0]`` and ``y W = c_B`` (relative) before ``W`` is inverted afresh."""
_FULL_TURN = 2 * np.pi


class WalkError(RuntimeError):
    """The walk cannot start here or lost consistency; use the LP-per-direction method instead."""


def _bincount2(rows: NDArray[np.int64], width: int, values: NDArray[np.float64], shape: tuple[int, int]) -> NDArray:
    """``out[rows[i], j] += values[i, j]`` for a ``[len(rows), width]`` array, without ``np.add.at``'s slowness."""
    index = (rows[:, None] * width + np.arange(width)).ravel()
    return np.bincount(index, weights=values.ravel(), minlength=shape[0] * shape[1]).reshape(shape)


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

    def __init__(self, instance: Instance, obedience_margin: float = 0.0) -> None:
        check_margin(obedience_margin)
        self.instance = instance
        self.n_states, self.n_actions = n_states, n_actions = instance.n_states, instance.n_actions
        utility = instance.receiver_utility
        self.gain = utility[:, :, None] - utility[:, None, :] - obedience_margin  # g[s, a, a']
        self.costs = np.stack([instance.sender_utility, instance.receiver_utility])  # [objective, s, a]
        self.scale = max(1.0, float(np.abs(self.costs).max()), float(np.abs(self.gain).max()))
        self.rows = ~np.eye(n_actions, dtype=bool)  # obedience row (a, a') exists for a ≠ a'
        # Full disclosure maximises U_R: W = I, and every reduced cost u_R(s, a) − max_a' u_R(s, a') is ≤ 0.
        self.column_state = np.arange(n_states)
        self.column_action = np.argmax(utility, axis=1)
        self.tight_from = np.zeros(0, dtype=np.int64)
        self.tight_to = np.zeros(0, dtype=np.int64)
        self.inverse = np.eye(n_states)
        self._since_check = 0
        self._update_solution()
        if self._slacks(self.basic)[self.rows].min() < -PRIMAL_TOLERANCE * self.scale:
            raise WalkError("full disclosure is not obedient by the margin")

    # Basis algebra

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
            self.duals = basic_costs @ self.inverse  # [objective, row]
            if attempt or self._since_check < CHECK_EVERY:
                return
            self._since_check = 0
            matrix = self._matrix()
            drift = max(
                float(np.abs(matrix @ self.basic - self._right_side()).max()),
                float(np.abs(self.duals @ matrix - basic_costs).max()) / self.scale,
            )
            if drift <= DRIFT_TOLERANCE:
                return
            self.inverse = _invert(matrix)

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
        """``[a, a']``: the obedience rows' activities when the basic columns take ``values``."""
        contributions = values[:, None] * self.gain[self.column_state, self.column_action, :]
        return _bincount2(self.column_action, self.n_actions, contributions, (self.n_actions, self.n_actions))

    def _rates(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Payoff rates ``v = (dU_S, dU_R)`` of raising each nonbasic variable: ``[2, S, A]`` for the columns
        (basic ones set to zero) and ``[2, t]`` for the tight rows' slacks."""
        n_states, n_actions = self.n_states, self.n_actions
        tight_duals = self.duals[:, n_states:]  # [objective, t]
        rates = self.costs - self.duals[:, :n_states, None]
        if tight_duals.shape[1]:
            along = self.gain[:, self.tight_from, self.tight_to]  # [s, t]
            rows = np.repeat(np.arange(n_states), len(self.tight_from))
            for objective in range(2):
                spread = (along * tight_duals[objective]).ravel()
                index = rows * n_actions + np.tile(self.tight_from, n_states)
                rates[objective] -= np.bincount(index, spread, n_states * n_actions).reshape(n_states, n_actions)
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
            slack_change = self._slacks(change)
            slack_change[action] += self.gain[state, action]
        else:
            change = self.inverse[:, n_states + index].copy()
            slack_change = self._slacks(change)
        loose = self.rows.copy()
        loose[self.tight_from, self.tight_to] = False
        # Blocking candidates: basic columns, then loose rows (row-major).
        values = np.concatenate([self.basic, self._slacks(self.basic)[loose]])
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
        chosen = within[np.argmax(-rates[candidates][within])]
        leaving, step = int(candidates[chosen]), float(clipped[chosen] / -rates[candidates][chosen])
        size = len(self.column_state)
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
        inverse[position] /= solved[position]
        others = np.arange(len(solved)) != position
        inverse[others] -= solved[others, None] * inverse[position]
        self.column_state, self.column_action = self.column_state.copy(), self.column_action.copy()
        self.column_state[position], self.column_action[position] = state, action

    def _replace_row(self, position: int, row_from: int, row_to: int) -> None:
        """Tight row at W-row ``position`` loosens, row ``(row_from, row_to)`` becomes tight in its place."""
        new_row = self._row_coefficients(np.array([row_from]), np.array([row_to]))[0]
        inverse = self.inverse
        solved = new_row @ inverse
        inverse[:, position] /= solved[position]
        others = np.arange(len(solved)) != position
        inverse[:, others] -= inverse[:, position, None] * solved[others]
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
        grown = np.empty((size + 1, size + 1))
        grown[:size, :size] = inverse + np.outer(solved_column, solved_row) / schur
        grown[:size, size] = -solved_column / schur
        grown[size, :size] = -solved_row / schur
        grown[size, size] = 1.0 / schur
        self.inverse = grown
        self.column_state, self.column_action = (
            np.append(self.column_state, state),
            np.append(self.column_action, action),
        )
        self.tight_from, self.tight_to = np.append(self.tight_from, row_from), np.append(self.tight_to, row_to)

    def _remove(self, position: int, row: int) -> None:
        """Basic column ``position`` leaves and the tight row at W-row ``row`` loosens: ``W`` loses a border."""
        inverse = self.inverse
        keep_columns = np.arange(len(inverse)) != position
        keep_rows = np.arange(len(inverse)) != row
        self.inverse = inverse[keep_columns][:, keep_rows] - inverse[keep_columns, row, None] * (
            inverse[position, keep_rows] / inverse[position, row]
        )
        self.column_state, self.column_action = self.column_state[keep_columns], self.column_action[keep_columns]
        slot = row - self.n_states
        self.tight_from, self.tight_to = np.delete(self.tight_from, slot), np.delete(self.tight_to, slot)

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
        """Joint distributions at the vertices of ``U``, counter-clockwise from the receiver's best point."""
        limit = max_pivots or 50 * (self.n_states * self.n_actions + self.n_actions**2) + 1000
        angle, turned = np.pi / 2, 0.0
        joints = [self.joint()]
        for _ in range(limit):
            choice = self._choose(angle)
            if choice is None:
                return joints
            entering, turn = choice
            if turned + turn >= _FULL_TURN - 1e-9:
                return joints
            angle, turned = angle + turn, turned + turn
            if self._pivot(entering) > 0:
                joints.append(self.joint())
        raise WalkError(f"no full turn within {limit} pivots")
