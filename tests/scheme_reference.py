"""Written-out references for the compiled scheme rules (docs/theory.md §1 and the ``"scheme"`` offer space's
mapping in ``infobargain.envs.offers``): plain Python, signal by signal and entry by entry, or the polygon's exact
geometry, for tests to compare the compiled kernels with."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from infobargain.game import Instance
from infobargain.game.schemes import TIE_TOLERANCE
from infobargain.theory.problem import BargainingProblem


def reference_choices(instance: Instance, scheme: NDArray[np.float64], tie_break: str) -> list[list[int]]:
    """The obedient receiver written out signal by signal, as the actions it may play after each signal: the
    posterior's best actions (within the documented tolerance, ``TIE_TOLERANCE`` times the utility scale), among
    them the best (or, under ``tie_break="receiver"``, worst) for the sender; a signal never sent is answered as the
    prior is. The rule compares the sender's values exactly, so where they are equal up to rounding (1e-12 of the
    scale) rounding picks among them and every such action is listed; otherwise one action is."""
    receiver_scale = max(1.0, float(np.abs(instance.receiver_utility).max()))
    sender_scale = max(1.0, float(np.abs(instance.sender_utility).max()))
    choices = []
    for signal in range(scheme.shape[1]):
        joint = instance.prior * scheme[:, signal]
        belief = joint / joint.sum() if joint.sum() > 0 else instance.prior
        receiver = [float(belief @ instance.receiver_utility[:, a]) for a in range(instance.n_actions)]
        best = [a for a in range(instance.n_actions) if receiver[a] >= max(receiver) - TIE_TOLERANCE * receiver_scale]
        sign = 1.0 if tie_break == "sender" else -1.0
        sender = {a: sign * float(belief @ instance.sender_utility[:, a]) for a in best}
        choices.append([a for a in best if sender[a] >= max(sender.values()) - 1e-12 * sender_scale])
    return choices


def reference_obeyed(
    instance: Instance, scheme: NDArray[np.float64], tie_break: str
) -> tuple[list[int], tuple[float, float]]:
    """The documented rule's actions (:func:`reference_choices`, remaining ties to the lowest index) and what the
    obeyed scheme pays (a signal never sent pays nothing)."""
    actions = [options[0] for options in reference_choices(instance, scheme, tie_break)]
    totals = [0.0, 0.0]
    for signal, action in enumerate(actions):
        joint = instance.prior * scheme[:, signal]
        totals[0] += float(joint @ instance.sender_utility[:, action])
        totals[1] += float(joint @ instance.receiver_utility[:, action])
    return actions, (totals[0], totals[1])


def reference_scheme(action: NDArray[np.float64], n_states: int, n_signals: int) -> NDArray[np.float64]:
    """The ``"scheme"`` action mapping entry by entry: row ``s`` is ``w / Σ w`` with ``w = clip(a, −1, 1) + 1``,
    uniform where every ``w`` is 0; entry 0 (the decision) is skipped."""
    rows = []
    for state in range(n_states):
        weights = [
            min(max(float(a), -1.0), 1.0) + 1.0 for a in action[1 + state * n_signals : 1 + (state + 1) * n_signals]
        ]
        total = 0.0
        for weight in weights:
            total += weight
        rows.append([weight / total for weight in weights] if total > 0 else [1.0 / n_signals] * n_signals)
    return np.array(rows)


def reference_threshold_scheme(problem: BargainingProblem, level: float) -> NDArray[np.float64] | None:
    """The sender's answer to a receiver's threshold demand, from the polygon's exact geometry: its best point
    giving the receiver at least ``level`` (``Polygon.best_for``), and the ``[state, action]`` scheme there,
    interpolated between the schemes at the ends of the Pareto edge that holds it; ``None`` where no point gives
    the receiver that much. A demand above the receiver's best by at most the polygon's tolerance is that best."""
    top = float(problem.feasible.vertices[:, 1].max())
    if level > top + problem.feasible.tolerance:
        return None
    best = problem.feasible.best_for(0, min(level, top))
    assert best is not None
    frontier = problem.feasible.pareto_indices()  # by increasing sender utility
    senders = [float(problem.feasible.vertices[i][0]) for i in frontier]
    target = float(best.point[0])
    for position in range(len(frontier) - 1):
        low, high = senders[position], senders[position + 1]
        if low <= target <= high:
            weight = (target - low) / (high - low)
            lower, upper = problem.vertex_scheme(frontier[position]), problem.vertex_scheme(frontier[position + 1])
            return (1.0 - weight) * lower + weight * upper
    return problem.vertex_scheme(frontier[0 if target <= senders[0] else -1])
