"""The obedience linear program behind every persuasion benchmark (docs/theory.md §2).

With ``Σ = A`` a scheme is a joint distribution ``x(s, a) = μ0(s) φ(a|s)``, and "the receiver obeys
by margin ε" is linear: ``Σ_s x(s, a) [u_R(s, a) − u_R(s, a') − ε] ≥ 0`` for all ``a ≠ a'``. One HiGHS
model holds these constraints; objectives and the two optional payoff thresholds change between solves,
so the dual simplex restarts from the previous basis and a whole polygon costs little more than one LP.
"""

from __future__ import annotations

import os
import threading
from typing import NamedTuple

import highspy
import numpy as np
from numpy.typing import NDArray

from infobargain.game.instance import Instance

LP_TOLERANCE = 1e-10
_INFINITY = highspy.kHighsInf
_BANNER_LOCK = threading.Lock()
_banner_shown = False


class InfeasibleError(ValueError):
    """No scheme meets the requested constraints."""


def _new_highs() -> highspy.Highs:
    """A silent HiGHS instance. The library prints a banner on stdout at its first construction in a process;
    it is swallowed at the file-descriptor level so ``solve --json`` stays valid JSON."""
    global _banner_shown
    with _BANNER_LOCK:
        if _banner_shown:
            solver = highspy.Highs()
        else:
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as devnull:
                    os.dup2(devnull.fileno(), 1)
                    solver = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_shown = True
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("solver", "simplex")
    # Only objectives and payoff floors change between solves: skip presolve so the previous basis is reused
    # as is. (Primal simplex is faster on small steps between directions but far slower on large ones.)
    solver.setOptionValue("presolve", "off")
    solver.setOptionValue("primal_feasibility_tolerance", LP_TOLERANCE)
    solver.setOptionValue("dual_feasibility_tolerance", LP_TOLERANCE)
    return solver


class Solution(NamedTuple):
    """An optimal obedient joint distribution and its payoffs."""

    joint: NDArray[np.float64]  # x[state][action]
    sender: float
    receiver: float

    @property
    def point(self) -> NDArray[np.float64]:
        return np.array([self.sender, self.receiver])


def check_margin(obedience_margin: float) -> None:
    """Reject a margin that is negative or not finite."""
    if not (np.isfinite(obedience_margin) and obedience_margin >= 0):
        raise ValueError(f"obedience_margin: must be a finite number >= 0, got {obedience_margin}")


class ObedienceLP:
    """Maximise ``w_S·U_S + w_R·U_R`` over obedient schemes, optionally with ``U_S ≥ t_S`` and ``U_R ≥ t_R``."""

    def __init__(self, instance: Instance, obedience_margin: float = 0.0) -> None:
        check_margin(obedience_margin)
        self.instance = instance
        self.margin = float(obedience_margin)
        n_states, n_actions = instance.n_states, instance.n_actions
        self._sender_weights = instance.sender_utility.ravel()
        self._receiver_weights = instance.receiver_utility.ravel()
        self._solver = solver = _new_highs()
        n_columns = n_states * n_actions
        solver.addCols(
            n_columns,
            np.zeros(n_columns),
            np.zeros(n_columns),
            np.full(n_columns, _INFINITY),
            0,
            np.array([], dtype=np.int32),
            np.array([], dtype=np.int32),
            np.array([]),
        )
        rows: list[tuple[NDArray[np.int32], NDArray[np.float64], float, float]] = []
        column = np.arange(n_columns, dtype=np.int32).reshape(n_states, n_actions)
        for s in range(n_states):  # x(s, ·) is the prior's mass on s
            rows.append((column[s], np.ones(n_actions), instance.prior[s], instance.prior[s]))
        utility = instance.receiver_utility
        for a in range(n_actions):
            for other in range(n_actions):
                if other != a:  # obeying a beats switching to `other` by the margin
                    rows.append((column[:, a], utility[:, a] - utility[:, other] - self.margin, 0.0, _INFINITY))
        starts = np.cumsum([0] + [len(r[0]) for r in rows[:-1]]).astype(np.int32)
        solver.addRows(
            len(rows),
            np.array([r[2] for r in rows]),
            np.array([r[3] for r in rows]),
            int(sum(len(r[0]) for r in rows)),
            starts,
            np.concatenate([r[0] for r in rows]).astype(np.int32),
            np.concatenate([r[1] for r in rows]),
        )
        # Threshold rows on the payoffs, off (−∞) until asked for.
        everything = column.ravel()
        for weights in (self._sender_weights, self._receiver_weights):
            solver.addRow(-_INFINITY, _INFINITY, n_columns, everything, weights)
        self._threshold_rows = (len(rows), len(rows) + 1)
        solver.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def maximize(
        self,
        sender_weight: float,
        receiver_weight: float,
        *,
        sender_at_least: float = -np.inf,
        receiver_at_least: float = -np.inf,
    ) -> Solution:
        """The obedient scheme maximising the weighted payoff under optional payoff floors."""
        solver = self._solver
        n_columns = self._sender_weights.size
        costs = sender_weight * self._sender_weights + receiver_weight * self._receiver_weights
        solver.changeColsCost(n_columns, np.arange(n_columns, dtype=np.int32), costs)
        for row, floor in zip(self._threshold_rows, (sender_at_least, receiver_at_least), strict=True):
            solver.changeRowBounds(row, floor if np.isfinite(floor) else -_INFINITY, _INFINITY)
        solver.run()
        status = solver.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise InfeasibleError(self._explain(status, sender_at_least, receiver_at_least))
        joint = clean_joint(
            self.instance,
            np.asarray(solver.getSolution().col_value).reshape(self.instance.n_states, self.instance.n_actions),
        )
        return Solution(
            joint, float(joint.ravel() @ self._sender_weights), float(joint.ravel() @ self._receiver_weights)
        )

    def _explain(self, status: object, sender_at_least: float, receiver_at_least: float) -> str:
        floors = [f"U_S >= {sender_at_least:.6g}"] * int(np.isfinite(sender_at_least)) + [
            f"U_R >= {receiver_at_least:.6g}"
        ] * int(np.isfinite(receiver_at_least))
        if floors:
            return f"no obedient scheme meets {' and '.join(floors)} (HiGHS: {status})"
        return (
            f"obedience_margin: no scheme makes the receiver obey by a margin of {self.margin:g} "
            f"for instance {self.instance.name!r} (HiGHS: {status})"
        )


def clean_masses(
    prior: NDArray[np.float64],
    states: NDArray[np.int64],
    values: NDArray[np.float64],
    rows: NDArray[np.int64] | None = None,
) -> NDArray[np.float64]:
    """A solver's masses ``x(s, a)`` with their last-bit drift removed: none negative, and each row's masses
    summing exactly to its state's prior. ``states[i]`` is the state of ``values[i]``; ``rows`` (default: the
    states) tells which masses form a row when several joint distributions are cleaned at once."""
    rows = states if rows is None else rows
    cleaned = np.clip(values, 0.0, None)
    totals = np.bincount(rows, cleaned)
    return cleaned * (prior[states] / totals[rows].clip(1e-300))


def clean_joint(instance: Instance, joint: NDArray[np.float64]) -> NDArray[np.float64]:
    """:func:`clean_masses` of one ``[state][action]`` joint distribution."""
    states = np.repeat(np.arange(instance.n_states), instance.n_actions)
    return clean_masses(instance.prior, states, joint.ravel()).reshape(joint.shape)


def scheme_from_joint(instance: Instance, joint: NDArray[np.float64]) -> NDArray[np.float64]:
    """``φ(a|s) = x(s, a) / μ0(s)``; a state of prior 0 gets the first signal."""
    scheme = np.zeros_like(joint)
    positive = instance.prior > 0
    scheme[positive] = joint[positive] / instance.prior[positive, None]
    scheme[~positive, 0] = 1.0
    return scheme / scheme.sum(axis=1, keepdims=True)
