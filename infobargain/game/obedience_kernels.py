"""Compiled loops of the obedient receiver (:class:`infobargain.game.schemes.ObedientReceiver`).

The rule is written once, for one scheme (:func:`obey_scheme`); the batch kernel loops over it and the ``"scheme"``
offer space's decode (:mod:`infobargain.envs.scheme_kernels`) calls it from its own compiled code, so deciding one
scheme costs one compiled call instead of a dozen small numpy operations. Imported lazily: importing numba takes
about 0.2 s, which commands that never decide a scheme (``infobargain --help``) should not pay.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba.extending import intrinsic
from numpy.typing import NDArray


@intrinsic
def fused_multiply_add(typing_context: Any, a: Any, b: Any, c: Any) -> Any:
    """``a·b + c`` rounded once (LLVM's ``fma``): how OpenBLAS accumulates a matrix product on CPUs with FMA, so the
    values below keep the bits of the earlier numpy rule (``φᵀ @ weights``) there."""
    signature = numba.float64(numba.float64, numba.float64, numba.float64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        double = ir.DoubleType()
        fma = builder.module.declare_intrinsic("llvm.fma", [double], ir.FunctionType(double, [double] * 3))
        return builder.call(fma, args)

    return signature, codegen


@numba.njit(cache=True, error_model="numpy")
def obey_scheme(
    schemes: NDArray[np.float64],
    index: int,
    weights: NDArray[np.float64],
    unsent: NDArray[np.float64],
    tolerance: float,
    sign: float,
    actions: NDArray[np.intp],
    payoffs: NDArray[np.float64],
    values: NDArray[np.float64],
    totals: NDArray[np.float64],
) -> None:
    """Decide one scheme, ``schemes[index]`` (``[state, signal]``): the action played after each signal into
    ``actions[index, :signals]`` and what the obeyed scheme pays, (sender, receiver), into ``payoffs[index]``.
    (A batch and an index: the batch loop then makes no array view per scheme, and LLVM inlines this function
    there; numba's own ``inline="always"`` made the loop twice as slow.)

    ``weights[s]`` holds state ``s``'s weighted ``[receiver values | signed sender values | 1]`` (``A + A + 1``
    columns), so the values of a signal are ``Σ_s φ(σ|s) weights[s]``, unnormalised: the last one is the signal's
    probability, which scales the tie ``tolerance``. A signal never sent (probability exactly 0) is judged by
    ``unsent`` instead and pays nothing. Among the actions within tolerance of the receiver's best, the one with
    the largest signed sender value wins (``sign`` +1: ties go the sender's way, −1: against it), then the
    lowest index. ``values`` and ``totals`` are scratch space of ``2A + 1`` entries.
    """
    n_states, n_signals = schemes.shape[1:]
    width = weights.shape[1]
    n_actions = (width - 1) // 2
    for column in range(width):
        totals[column] = 0.0
    for signal in range(n_signals):
        for column in range(width):
            values[column] = 0.0
        for state in range(n_states):
            mass = schemes[index, state, signal]
            for column in range(width):
                values[column] = fused_multiply_add(mass, weights[state, column], values[column])  # type: ignore[call-arg]  # numba passes the typing context
        judged = values if values[width - 1] > 0 else unsent
        best = judged[0]
        for action in range(1, n_actions):
            best = max(best, judged[action])
        best -= tolerance * judged[width - 1]
        choice = -1
        for action in range(n_actions):
            if judged[action] >= best and (choice < 0 or judged[n_actions + action] > judged[n_actions + choice]):
                choice = action
        actions[index, signal] = choice
        totals[choice] += values[choice]
        totals[n_actions + choice] += values[n_actions + choice]
    # Summed action by action, as a product with a 0/±1 matrix would: the same bits as numpy's earlier rule.
    sender = 0.0
    receiver = 0.0
    for action in range(n_actions):
        sender += totals[n_actions + action]
        receiver += totals[action]
    payoffs[index, 0] = sign * sender
    payoffs[index, 1] = receiver


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
        obey_scheme(schemes, index, weights, unsent, tolerance, sign, actions, payoffs, values, totals)
