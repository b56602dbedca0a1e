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
distribution (median ``k`` ≈ 3S at 20×20, 6–7S at 50×50). The inverse ``N = W⁻¹`` is kept explicitly and
updated in place by a rank-one formula (a basic column or a tight row exchanged) or a bordering formula (``W``
grows or shrinks by one row and column).

**Cost per pivot.** Pricing all ``S·A`` columns and ``t`` tight rows for both objectives is ``O(S·A + S·t)``
(each entering column has one prior entry and one entry per tight row of its action, so it is sparse), the
ratio test over the basic variables and loose rows ``O(k·A + A²)``, the basic solution ``x_B = N [μ0; 0]``
``O(k·S)``, and the duals ``y = c_B N`` and the update of ``N`` one pass over it each, ``O(k²)``; every
:data:`CHECK_EVERY` pivots the residuals of ``W x_B = [μ0; 0]`` and ``y W = c_B`` are checked (``O(k·t/A)``)
and ``W`` is inverted afresh (``O(k³)``) only if they exceed :data:`DRIFT_TOLERANCE`; every vertex recorded is
checked obedient (``O(k·A + A²)``), and one that misses :data:`VERIFY_TOLERANCE` gets ``W`` inverted afresh
once before the walk gives up. **Overall**:
``O(P·(k² + S·A))`` for ``P`` pivots, and ``P`` is the number of vertices ``V`` of ``U`` plus the degenerate
pivots (``benchmarks/bench_theory.py`` prints P/V: 1.9 at 20×20, 2.4 at 30×30; 2.9 on a 50×50 instance). So
the cost is output-sensitive, ``O(V·k²)``: no LP is
solved from scratch and no direction is probed twice. (The earlier method,
:func:`~infobargain.theory.problem.polygon_by_directions`, solved two warm-started LPs per vertex, each a full
dual-simplex run from a far-away direction.) ``V`` itself grows about as ``n^2.5`` on random n×n instances.

The walk is one compiled loop (numba, cached on disk after the first call; :mod:`._walk_kernel`): at these sizes
a pivot is a few dozen small array passes, and interpreting them one NumPy call at a time cost about 10× the
arithmetic (0.5 ms against 50–90 µs per pivot at 50×50). The two halves run on two threads where a second core
is free.

Tolerances are explicit: :data:`DUAL_TOLERANCE` (a payoff rate below it counts as zero),
:data:`PIVOT_TOLERANCE` (smallest pivot element accepted), :data:`PRIMAL_TOLERANCE` (Harris ratio-test slack;
basic values below it are zero), :data:`DRIFT_TOLERANCE` and :data:`VERIFY_TOLERANCE`. If full disclosure
misses the obedience margin, or the walk fails a consistency check (a vertex that does not obey by the margin
within rounding happens on the ill-conditioned bases of margins far below the utility differences), it raises
:class:`WalkError` and the caller falls back to the LP-per-direction method.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, overload

import numpy as np
from numpy.typing import NDArray

from infobargain.game.instance import Instance
from infobargain.theory.lp import check_margin, clean_masses

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
VERIFY_TOLERANCE = 1e-10
"""Largest error of a recorded vertex's joint distribution: a state's mass against its prior, and an obedience
row's shortfall (times the utility scale). A vertex further off, even after ``W`` is inverted afresh, stops the walk."""
PREFERENCE_RATIO = 1e-2
"""A tied basic column may leave instead of a loose row if its pivot is at least this fraction of the largest."""
TURN_TIE = 1e-12
"""Rates whose crossing angles differ by at most this (radians) cross together."""
PARALLEL_SIZE = 400
"""From this many columns ``S·A`` on, the two halves walk on two threads (below, a thread costs more than it saves)."""

_FAILURES = {
    1: "working basis became singular",
    2: "unbounded pivot on a bounded polytope",
    3: "no half turn within {limit} pivots",
    4: "a vertex is not obedient within rounding (an ill-conditioned basis)",
}


class WalkError(RuntimeError):
    """The walk cannot start here or lost consistency; use the LP-per-direction method instead."""


class HalfWalk(NamedTuple):
    """What one half walk met: the positive basic masses at each vertex, vertex ``i`` owning entries
    ``offsets[i]:offsets[i + 1]`` of ``cells`` (``[entry, (state, action)]``) and ``masses``; and its pivots."""

    offsets: NDArray[np.int64]
    cells: NDArray[np.int64]
    masses: NDArray[np.float64]
    pivots: int


class VertexJoints(Sequence[NDArray[np.float64]]):
    """The obedient joint distributions at the walked vertices, stored as their basic masses.

    A 50×50 walk meets thousands of vertices whose joints are mostly zero; the payoff points are computed from
    the masses, and a dense ``[state][action]`` joint is built only for a vertex someone asks for. Masses are
    cleaned like every solver's output (:func:`~infobargain.theory.lp.clean_masses`).
    """

    def __init__(
        self,
        instance: Instance,
        offsets: NDArray[np.int64],
        cells: NDArray[np.int64],
        masses: NDArray[np.float64],
        pivots: int,
    ) -> None:
        self.instance = instance
        self.pivots = pivots
        """Simplex pivots the walk took, degenerate ones included."""
        self._offsets = offsets
        self._cells = cells  # [entry, (state, action)]
        vertex = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
        states, actions = cells[:, 0], cells[:, 1]
        self._values = clean_masses(instance.prior, states, masses, vertex * instance.n_states + states)
        payoffs = np.stack([instance.sender_utility[states, actions], instance.receiver_utility[states, actions]])
        self.points = np.stack([np.bincount(vertex, weights * self._values, len(self)) for weights in payoffs], axis=1)
        """``[vertex, (U_S, U_R)]``."""

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> NDArray[np.float64]: ...
    @overload
    def __getitem__(self, index: slice) -> list[NDArray[np.float64]]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(f"vertex {index} of {len(self)}")
        index %= len(self)
        entries = slice(self._offsets[index], self._offsets[index + 1])
        joint = np.zeros((self.instance.n_states, self.instance.n_actions))
        joint[self._cells[entries, 0], self._cells[entries, 1]] = self._values[entries]
        return joint


class ShadowVertexWalk:
    """One half of the walk around an instance's payoff polygon: counter-clockwise from full disclosure, or
    clockwise if so built, until the direction points straight down."""

    def __init__(self, instance: Instance, obedience_margin: float = 0.0, *, clockwise: bool = False) -> None:
        check_margin(obedience_margin)
        self.instance = instance
        self.clockwise = clockwise
        utility = instance.receiver_utility
        self.gain = utility[:, :, None] - utility[:, None, :] - obedience_margin  # g[s, a, a']
        # Clockwise is counter-clockwise on the mirror image U_S ↦ −U_S.
        sign = -1.0 if clockwise else 1.0
        self.costs = np.stack([sign * instance.sender_utility, utility])  # [objective, s, a]
        self.scale = max(1.0, float(np.abs(self.costs).max()), float(np.abs(self.gain).max()))
        # Full disclosure maximises U_R: W = I, and every reduced cost u_R(s, a) − max_a' u_R(s, a') is ≤ 0.
        self.start_actions = np.argmax(utility, axis=1)
        states = np.arange(instance.n_states)
        obedience = self.gain[states, self.start_actions] * instance.prior[:, None]  # [s, a'] of row (a(s), a')
        activities = np.zeros((instance.n_actions, instance.n_actions))
        np.add.at(activities, self.start_actions, obedience)
        activities[np.eye(instance.n_actions, dtype=bool)] = np.inf
        if activities.min() < -PRIMAL_TOLERANCE * self.scale:
            raise WalkError("full disclosure is not obedient by the margin")

    def masses(self, max_pivots: int | None = None) -> HalfWalk:
        """The basic masses at each vertex met, in walking order."""
        from infobargain.theory._walk_kernel import walk_half

        n_states, n_actions = self.instance.n_states, self.instance.n_actions
        limit = max_pivots or 50 * (n_states * n_actions + n_actions**2) + 1000
        status, pivots, offsets, cells, masses = walk_half(
            self.gain, self.costs, self.instance.prior, self.start_actions, self.scale, limit, _tolerances()
        )
        if status:
            raise WalkError(_FAILURES[status].format(limit=limit))
        return HalfWalk(offsets, cells, masses, pivots)

    def walk(self, max_pivots: int | None = None) -> VertexJoints:
        """Joint distributions at the vertices of this half of ``U``, in walking order."""
        return VertexJoints(self.instance, *self.masses(max_pivots))


def _tolerances() -> NDArray[np.float64]:
    return np.array(
        [
            DUAL_TOLERANCE,
            PIVOT_TOLERANCE,
            PRIMAL_TOLERANCE,
            DRIFT_TOLERANCE,
            PREFERENCE_RATIO,
            TURN_TIE,
            CHECK_EVERY,
            VERIFY_TOLERANCE,
        ]
    )


def walk_polygon(instance: Instance, obedience_margin: float = 0.0) -> VertexJoints:
    """Joint distributions at every vertex of ``U`` (possibly with collinear extras): both half walks, the
    clockwise one without its start (full disclosure, where the counter-clockwise one began).

    The halves are independent, so on an instance of at least :data:`PARALLEL_SIZE` columns and a machine
    with a spare core, the clockwise one runs on a second thread (the compiled walk releases the GIL)."""
    halves = (
        ShadowVertexWalk(instance, obedience_margin),
        ShadowVertexWalk(instance, obedience_margin, clockwise=True),
    )
    if instance.n_states * instance.n_actions >= PARALLEL_SIZE and _usable_cores() > 1:
        with ThreadPoolExecutor(max_workers=1) as pool:
            clockwise = pool.submit(halves[1].masses)
            first, second = halves[0].masses(), clockwise.result()
    else:
        first, second = (half.masses() for half in halves)
    skip = second.offsets[1]
    return VertexJoints(
        instance,
        np.concatenate([first.offsets, second.offsets[2:] - skip + first.offsets[-1]]),
        np.concatenate([first.cells, second.cells[skip:]]),
        np.concatenate([first.masses, second.masses[skip:]]),
        first.pivots + second.pivots,
    )


def _usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
