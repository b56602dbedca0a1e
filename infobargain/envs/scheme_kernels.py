"""Compiled loops of the ``"scheme"`` offer space (:class:`infobargain.envs.offers.SchemeOffers`).

Each rule is written once, for a batch (or for one item of a batch, ``index``, which the batch kernel loops
over), and :func:`decode_offer` chains them on a batch of one (action → scheme → obedient payoffs → the sender's answer to a
receiver's threshold demand → its payoffs) so that the AEC env decodes one offer in one compiled call. The
obedient receiver is :func:`infobargain.game.obedience_kernels.obey_scheme`. Imported lazily (numba's import
is slow).
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


@numba.njit(cache=True, error_model="numpy", inline="always")
def scheme_from_action(actions: NDArray[np.float64], index: int, schemes: NDArray[np.float64]) -> None:
    """The ``[state, signal]`` scheme of the ``"scheme"`` action ``actions[index]`` (``1 + S·Σ`` entries) into
    ``schemes[index]``: row ``s`` is ``w / Σ w`` with ``w = clip(a, −1, 1) + 1``, uniform where every ``w`` is 0
    (entry 0, the decision, is ignored)."""
    n_states, n_signals = schemes.shape[1:]
    for state in range(n_states):
        total = 0.0
        for signal in range(n_signals):
            weight = min(max(actions[index, 1 + state * n_signals + signal], -1.0), 1.0) + 1.0
            schemes[index, state, signal] = weight
            total += weight
        for signal in range(n_signals):
            schemes[index, state, signal] = schemes[index, state, signal] / total if total > 0 else 1.0 / n_signals


@numba.njit(cache=True, error_model="numpy")
def schemes_from_actions(actions: NDArray[np.float64], schemes: NDArray[np.float64]) -> None:
    """:func:`scheme_from_action` over a batch ``[n, 1 + S·Σ]`` into ``schemes[n, state, signal]``."""
    for index in range(actions.shape[0]):
        scheme_from_action(actions, index, schemes)


@numba.njit(cache=True, error_model="numpy")
def _interpolate(x: float, xp: NDArray[np.float64], fp: NDArray[np.float64]) -> float:
    """``np.interp(x, xp, fp)`` for one ``x`` with numpy's arithmetic (the same bits): numba's ``np.interp`` builds
    arrays for a scalar, which made it 5x slower than numpy's on a batch. ``xp`` is increasing."""
    last = len(xp) - 1
    if x < xp[0]:
        return fp[0]
    j = np.searchsorted(xp, x, side="right") - 1  # xp[j] <= x < xp[j + 1]
    if j >= last:
        return fp[last]
    if xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    value = slope * (x - xp[j]) + fp[j]
    if np.isnan(value):  # as numpy: from the other end, then the flat value
        value = slope * (x - xp[j + 1]) + fp[j + 1]
        if np.isnan(value) and fp[j] == fp[j + 1]:
            value = fp[j]
    return value


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
    """For each demand ``levels[n]``, the sender's best scheme giving the receiver at least that much, into
    ``schemes[n]`` (``[state, action]``), and whether there is one into ``feasible[n]`` (not when ``level >
    max_level``; ``schemes[n]`` is then untouched).

    The Pareto frontier by increasing receiver utility (``receiver_levels``, ``sender_levels``) gives the sender's
    utility there (held at the ends outside the frontier's range); the frontier's vertices by increasing sender
    utility (``senders``) and their schemes give the scheme, interpolated along the edge holding that utility
    (the tests check it against the polygon's exact geometry, ``Polygon.best_for``). The rule is written as the
    batch loop (the AEC env's decode runs a batch of one): written per demand and inlined by numba,
    the loop was several times slower.
    """
    n_states, n_actions = schemes.shape[1:]
    last = len(senders) - 1
    for index in range(levels.shape[0]):
        feasible[index] = levels[index] <= max_level
        if not feasible[index]:
            continue
        target = _interpolate(levels[index], receiver_levels, sender_levels)
        if last == 0:
            schemes[index] = vertex_schemes[0]
            continue
        edge = min(max(np.searchsorted(senders, target) - 1, 0), last - 1)
        weight = min(max((target - senders[edge]) / (senders[edge + 1] - senders[edge]), 0.0), 1.0)
        for state in range(n_states):
            for action in range(n_actions):
                lower, upper = vertex_schemes[edge, state, action], vertex_schemes[edge + 1, state, action]
                schemes[index, state, action] = (1 - weight) * lower + weight * upper


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
    its payoffs into ``committed`` and ``committed_payoffs``, returning whether it exists. ``actions`` (``[1, n]``,
    ``n >= max(Σ, A)``), ``values`` and ``totals`` (``2A + 1`` each) are scratch space."""
    schemes, offered = scheme.reshape((1, *scheme.shape)), payoffs.reshape((1, 2))
    scheme_from_action(action.reshape((1, action.size)), 0, schemes)
    obey_scheme(schemes, 0, weights, unsent, tolerance, sign, actions, offered, values, totals)
    if not demand:
        return False
    answers, found = committed.reshape((1, *committed.shape)), np.empty(1, dtype=np.bool_)
    threshold_schemes(payoffs[1:], receiver_levels, sender_levels, max_level, senders, vertex_schemes, answers, found)
    if not found[0]:
        return False
    obey_scheme(
        answers, 0, weights, unsent, tolerance, sign, actions, committed_payoffs.reshape((1, 2)), values, totals
    )
    return True
