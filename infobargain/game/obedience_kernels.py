"""Compiled loops of the obedient receiver (:class:`infobargain.game.schemes.ObedientReceiver`).

The rule is written once, for one scheme (:func:`obey_scheme`); the batch kernel loops over it and the ``"scheme"``
offer space's decode (:mod:`infobargain.envs.scheme_kernels`) calls it from its own compiled code, so deciding one
scheme costs one compiled call instead of a dozen small numpy operations. Imported lazily: importing numba takes
about 0.2 s, which commands that never decide a scheme (``infobargain --help``) should not pay.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray


@numba.njit(cache=True, error_model="numpy")
def obey_scheme(
    scheme: NDArray[np.float64],
    weights: NDArray[np.float64],
    unsent: NDArray[np.float64],
    tolerance: float,
    sign: float,
    actions: NDArray[np.intp],
    payoffs: NDArray[np.float64],
    values: NDArray[np.float64],
    totals: NDArray[np.float64],
) -> None:
    """Decide one ``[state, signal]`` scheme: the action played after each signal into ``actions[:signals]`` and
    what the obeyed scheme pays, (sender, receiver), into ``payoffs``.

    ``weights[s]`` holds state ``s``'s weighted ``[receiver values | signed sender values | 1]`` (``A + A + 1``
    columns), so the values of a signal are ``Σ_s φ(σ|s) weights[s]``, unnormalised: the last one is the signal's
    probability, which scales the tie ``tolerance``. A signal never sent (probability exactly 0) is judged by
    ``unsent`` instead and pays nothing. Among the actions within tolerance of the receiver's best, the one with
    the largest signed sender value wins (``sign`` +1: ties go the sender's way, −1: against it), then the
    lowest index. ``values`` and ``totals`` are scratch space of ``2A + 1`` entries.
    """
    n_signals = scheme.shape[1]
    width = weights.shape[1]
    n_actions = (width - 1) // 2
    totals[:] = 0.0
    for signal in range(n_signals):
        _signal_values(scheme, signal, weights, values)
        judged = values if values[width - 1] > 0 else unsent
        best = judged[0]
        for action in range(1, n_actions):
            best = max(best, judged[action])
        best -= tolerance * judged[width - 1]
        choice = -1
        for action in range(n_actions):
            if judged[action] >= best and (choice < 0 or judged[n_actions + action] > judged[n_actions + choice]):
                choice = action
        actions[signal] = choice
        totals[choice] += values[choice]
        totals[n_actions + choice] += values[n_actions + choice]
    # Summed action by action, as a product with a 0/±1 matrix would: the same bits as numpy's earlier rule.
    sender = 0.0
    receiver = 0.0
    for action in range(n_actions):
        sender += totals[n_actions + action]
        receiver += totals[action]
    payoffs[0] = sign * sender
    payoffs[1] = receiver


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"})
def _signal_values(
    scheme: NDArray[np.float64], signal: int, weights: NDArray[np.float64], values: NDArray[np.float64]
) -> None:
    """``values = Σ_s φ(signal|s) weights[s]``, accumulated state by state with fused multiply-adds (as BLAS's
    matrix product does on current CPUs, so results keep the bits of the earlier numpy code there)."""
    values[:] = 0.0
    for state in range(scheme.shape[0]):
        mass = scheme[state, signal]
        for column in range(weights.shape[1]):
            values[column] += mass * weights[state, column]


@numba.njit(cache=True, error_model="numpy")
def obey_schemes(
    schemes: NDArray[np.float64],
    weights: NDArray[np.float64],
    unsent: NDArray[np.float64],
    tolerance: float,
    sign: float,
    actions: NDArray[np.intp],
    payoffs: NDArray[np.float64],
) -> None:
    """:func:`obey_scheme` over a batch ``[n, state, signal]``, into ``actions[n, signal]`` and ``payoffs[n, 2]``."""
    values = np.empty(weights.shape[1])
    totals = np.empty(weights.shape[1])
    for index in range(schemes.shape[0]):
        obey_scheme(schemes[index], weights, unsent, tolerance, sign, actions[index], payoffs[index], values, totals)
