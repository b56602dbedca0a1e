"""Compiled loops of the ``"scheme"`` offer space (:class:`infobargain.envs.offers.SchemeOffers`).

Each rule is written once, for one action or one demand; the batch kernels loop over it, and
:func:`decode_offer` chains them (action → scheme → obedient payoffs → the sender's answer to a receiver's
threshold demand → its payoffs) so that the AEC env decodes one offer in one compiled call. The obedient
receiver is :func:`infobargain.game.obedience_kernels.obey_scheme`. Imported lazily (numba's import is slow).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from infobargain.game.obedience_kernels import obey_scheme


@numba.njit(cache=True)
def within_box(vector: NDArray[np.float64], low: float, high: float) -> bool:
    """Whether every entry of ``vector`` lies in ``[low, high]`` (NaN does not): the env's bounds check of an action."""
    for value in vector:  # noqa: SIM110 (numba compiles loops, not generator expressions)
        if not low <= value <= high:
            return False
    return True


@numba.njit(cache=True, error_model="numpy")
def scheme_from_action(action: NDArray[np.float64], scheme: NDArray[np.float64]) -> None:
    """The ``[state, signal]`` scheme of one ``"scheme"`` action ``[1 + S·Σ]`` into ``scheme``: row ``s`` is
    ``w / Σ w`` with ``w = clip(a, −1, 1) + 1``, uniform where every ``w`` is 0 (entry 0, the decision, is ignored)."""
    n_states, n_signals = scheme.shape
    for state in range(n_states):
        total = 0.0
        for signal in range(n_signals):
            weight = min(max(action[1 + state * n_signals + signal], -1.0), 1.0) + 1.0
            scheme[state, signal] = weight
            total += weight
        for signal in range(n_signals):
            scheme[state, signal] = scheme[state, signal] / total if total > 0 else 1.0 / n_signals


@numba.njit(cache=True, error_model="numpy")
def schemes_from_actions(actions: NDArray[np.float64], schemes: NDArray[np.float64]) -> None:
    """:func:`scheme_from_action` over a batch ``[n, 1 + S·Σ]`` into ``schemes[n, state, signal]``."""
    for index in range(actions.shape[0]):
        scheme_from_action(actions[index], schemes[index])


@numba.njit(cache=True, error_model="numpy")
def threshold_scheme(
    level: float,
    receiver_levels: NDArray[np.float64],
    sender_levels: NDArray[np.float64],
    max_level: float,
    senders: NDArray[np.float64],
    vertex_schemes: NDArray[np.float64],
    scheme: NDArray[np.float64],
) -> bool:
    """The sender's best scheme giving the receiver at least ``level``, into ``scheme`` ``[state, action]``; false
    (``scheme`` untouched) when no feasible point gives that much (``level > max_level``).

    The Pareto frontier by increasing receiver utility (``receiver_levels``, ``sender_levels``) gives the sender's
    utility there (held at the ends outside the frontier's range); the frontier's vertices by increasing sender
    utility (``senders``) and their schemes give the scheme, interpolated along the edge holding that utility
    (:meth:`infobargain.theory.problem.BargainingProblem.frontier_schemes`, the same arithmetic).
    """
    if level > max_level:
        return False
    target = np.interp(level, receiver_levels, sender_levels)
    last = len(senders) - 1
    if last == 0:
        scheme[:] = vertex_schemes[0]
        return True
    edge = min(max(np.searchsorted(senders, target) - 1, 0), last - 1)
    weight = min(max((target - senders[edge]) / (senders[edge + 1] - senders[edge]), 0.0), 1.0)
    lower, upper = vertex_schemes[edge], vertex_schemes[edge + 1]
    for state in range(scheme.shape[0]):
        for action in range(scheme.shape[1]):
            scheme[state, action] = (1 - weight) * lower[state, action] + weight * upper[state, action]
    return True


@numba.njit(cache=True, error_model="numpy")
def threshold_schemes(
    levels: NDArray[np.float64],
    receiver_levels: NDArray[np.float64],
    sender_levels: NDArray[np.float64],
    max_level: float,
    senders: NDArray[np.float64],
    vertex_schemes: NDArray[np.float64],
    schemes: NDArray[np.float64],
    feasible: NDArray[np.bool_],
) -> None:
    """:func:`threshold_scheme` over a batch of levels ``[n]`` into ``schemes[n]`` and ``feasible[n]``."""
    for index in range(levels.shape[0]):
        feasible[index] = threshold_scheme(
            levels[index], receiver_levels, sender_levels, max_level, senders, vertex_schemes, schemes[index]
        )


@numba.njit(cache=True, error_model="numpy")
def decode_offer(
    action: NDArray[np.float64],
    demand: bool,
    weights: NDArray[np.float64],
    unsent: NDArray[np.float64],
    tolerance: float,
    sign: float,
    receiver_levels: NDArray[np.float64],
    sender_levels: NDArray[np.float64],
    max_level: float,
    senders: NDArray[np.float64],
    vertex_schemes: NDArray[np.float64],
    scheme: NDArray[np.float64],
    payoffs: NDArray[np.float64],
    committed: NDArray[np.float64],
    committed_payoffs: NDArray[np.float64],
    actions: NDArray[np.intp],
    values: NDArray[np.float64],
    totals: NDArray[np.float64],
) -> bool:
    """One offer: ``action``'s scheme and its obedient payoffs into ``scheme`` and ``payoffs``; for a threshold
    ``demand``, also the scheme the sender then commits to (``[state, action]``, before its signals are fitted) and
    its payoffs into ``committed`` and ``committed_payoffs``, returning whether it exists. ``actions`` (at least
    ``max(Σ, A)`` entries), ``values`` and ``totals`` (``2A + 1`` each) are scratch space."""
    scheme_from_action(action, scheme)
    obey_scheme(scheme, weights, unsent, tolerance, sign, actions, payoffs, values, totals)
    if not demand:
        return False
    if not threshold_scheme(payoffs[1], receiver_levels, sender_levels, max_level, senders, vertex_schemes, committed):
        return False
    obey_scheme(committed, weights, unsent, tolerance, sign, actions, committed_payoffs, values, totals)
    return True
