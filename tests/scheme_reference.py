"""Written-out references for the compiled scheme rules (docs/theory.md §1 and the ``"scheme"`` offer space's
mapping in ``infobargain.envs.offers``): plain Python, signal by signal and entry by entry, for tests to compare
the compiled kernels with."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from infobargain.game import Instance
from infobargain.game.schemes import TIE_TOLERANCE


def reference_obeyed(
    instance: Instance, scheme: NDArray[np.float64], tie_break: str
) -> tuple[list[int], tuple[float, float]]:
    """The obedient receiver written out signal by signal: the posterior's best actions (within the documented
    tolerance, ``TIE_TOLERANCE`` times the utility scale), the tie broken for (or against) the sender, then the
    lowest index; a signal never sent is answered as the prior is and pays nothing."""
    scale = max(1.0, float(np.abs(instance.receiver_utility).max()))
    actions, totals = [], [0.0, 0.0]
    for signal in range(scheme.shape[1]):
        joint = instance.prior * scheme[:, signal]
        belief = joint / joint.sum() if joint.sum() > 0 else instance.prior
        receiver = [float(belief @ instance.receiver_utility[:, a]) for a in range(instance.n_actions)]
        best = [a for a in range(instance.n_actions) if receiver[a] >= max(receiver) - TIE_TOLERANCE * scale]
        sender = {a: float(belief @ instance.sender_utility[:, a]) for a in best}
        pick = max(best, key=lambda a: (sender[a] if tie_break == "sender" else -sender[a], -a))
        actions.append(pick)
        totals[0] += float(joint @ instance.sender_utility[:, pick])
        totals[1] += float(joint @ instance.receiver_utility[:, pick])
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
