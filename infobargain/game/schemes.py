"""Signaling schemes and receiver rules (docs/theory.md §1).

A scheme ``φ`` is a row-stochastic ``[state][signal]`` matrix; a receiver rule ``π`` is a row-stochastic
``[signal][action]`` matrix. The receiver's two rules are ``π1(φ)`` (obey: best-respond to every
posterior) and ``π0`` (ignore: play the no-information action whatever the signal).

**Ties.** With ``tie_break="sender"`` an indifferent receiver picks the action best for the sender (the
persuasion convention); with ``tie_break="receiver"`` it picks the action worst for the sender, the
convention under which the receiver owes the sender nothing it is not strictly paid for. Remaining ties go
to the lowest action index. Indifference is judged with :data:`TIE_TOLERANCE` relative to the utility scale,
so posteriors computed in floating point still tie where they tie exactly.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from infobargain.game.instance import Instance

TieBreak = Literal["sender", "receiver"]
TIE_BREAKS: tuple[TieBreak, ...] = ("sender", "receiver")
TIE_TOLERANCE = 1e-9
SCHEME_TOLERANCE = 1e-9


class SchemeError(ValueError):
    """A scheme or rule is not a proper row-stochastic matrix of the right shape."""


class Payoffs(NamedTuple):
    """Expected utilities of the two players."""

    sender: float
    receiver: float


def check_tie_break(tie_break: str) -> TieBreak:
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break: must be one of {TIE_BREAKS}, got {tie_break!r}")
    return tie_break  # type: ignore[return-value]


def validate_scheme(instance: Instance, scheme: ArrayLike, *, signals: int | None = None) -> NDArray[np.float64]:
    """Return ``scheme`` as a float array after checking shape, finiteness and row sums."""
    matrix = np.asarray(scheme, dtype=np.float64)
    n_signals = instance.signals if signals is None else signals
    if matrix.shape != (instance.n_states, n_signals):
        raise SchemeError(
            f"scheme: expected shape ({instance.n_states}, {n_signals}) [state][signal], got {matrix.shape}"
        )
    if not np.all(np.isfinite(matrix)):
        raise SchemeError("scheme: contains NaN or infinity")
    if np.any(matrix < -SCHEME_TOLERANCE):
        raise SchemeError("scheme: probabilities must be non-negative")
    sums = matrix.sum(axis=1)
    if np.any(np.abs(sums - 1.0) > SCHEME_TOLERANCE):
        raise SchemeError(f"scheme: each state's row must sum to 1, got {np.round(sums, 12).tolist()}")
    return np.clip(matrix, 0.0, None) / np.clip(matrix, 0.0, None).sum(axis=1, keepdims=True)


def joint_distribution(instance: Instance, scheme: NDArray[np.float64]) -> NDArray[np.float64]:
    """``x(s, σ) = μ0(s) φ(σ|s)``."""
    return instance.prior[:, None] * scheme


def signal_probabilities(instance: Instance, scheme: NDArray[np.float64]) -> NDArray[np.float64]:
    return joint_distribution(instance, scheme).sum(axis=0)


def posteriors(instance: Instance, scheme: NDArray[np.float64]) -> NDArray[np.float64]:
    """``[signal][state]`` posteriors; a signal that is never sent keeps the prior."""
    joint = joint_distribution(instance, scheme).T
    totals = joint.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        beliefs = np.where(totals > 0, joint / np.where(totals > 0, totals, 1.0), instance.prior)
    return beliefs


def _choose(
    receiver_values: NDArray[np.float64],
    sender_values: NDArray[np.float64],
    scale: NDArray[np.float64] | float,
    tie_break: TieBreak,
) -> NDArray[np.intp]:
    """Best response per row of ``receiver_values``, ties decided by ``sender_values``."""
    best = receiver_values.max(axis=-1, keepdims=True)
    tolerance = TIE_TOLERANCE * np.asarray(scale, dtype=np.float64)[..., None]
    optimal = receiver_values >= best - tolerance
    signed = sender_values if tie_break == "sender" else -sender_values
    return np.where(optimal, signed, -np.inf).argmax(axis=-1)


def _utility_scale(instance: Instance) -> float:
    return max(1.0, float(np.abs(instance.receiver_utility).max()))


def best_response(instance: Instance, belief: ArrayLike, tie_break: TieBreak = "sender") -> int:
    """The receiver's action against ``belief`` over states."""
    check_tie_break(tie_break)
    mu = np.asarray(belief, dtype=np.float64)
    return int(
        _choose(mu @ instance.receiver_utility, mu @ instance.sender_utility, _utility_scale(instance), tie_break)
    )


def default_action(instance: Instance, tie_break: TieBreak = "sender") -> int:
    """``a0``: the receiver's best action under the prior alone."""
    return best_response(instance, instance.prior, tie_break)


def ignore_rule(
    instance: Instance, tie_break: TieBreak = "sender", *, signals: int | None = None
) -> NDArray[np.float64]:
    """``π0``: play ``a0`` after every signal."""
    rule = np.zeros((instance.signals if signals is None else signals, instance.n_actions))
    rule[:, default_action(instance, tie_break)] = 1.0
    return rule


def obey_actions(instance: Instance, scheme: NDArray[np.float64], tie_break: TieBreak = "sender") -> NDArray[np.intp]:
    """The action ``π1(φ)`` plays after each signal; ``scheme`` may carry leading batch dimensions.

    Computed from the unnormalised joint ``x(·, σ)`` so ties are judged on exact-scale values; a signal
    never sent gets the prior's best response.
    """
    check_tie_break(tie_break)
    joint = np.swapaxes(instance.prior[:, None] * scheme, -1, -2)  # [..., signal, state]
    totals = joint.sum(axis=-1)
    unsent = totals <= 0
    joint = np.where(unsent[..., None], instance.prior, joint)
    scale = _utility_scale(instance) * np.where(unsent, 1.0, totals)
    return _choose(joint @ instance.receiver_utility, joint @ instance.sender_utility, scale, tie_break)


def obey_rule(instance: Instance, scheme: NDArray[np.float64], tie_break: TieBreak = "sender") -> NDArray[np.float64]:
    """``π1(φ)`` as a ``[signal][action]`` matrix."""
    return np.eye(instance.n_actions)[obey_actions(instance, scheme, tie_break)]


def expected_utilities(instance: Instance, scheme: NDArray[np.float64], rule: NDArray[np.float64]) -> Payoffs:
    """``U_k(φ, π) = Σ_s μ0(s) Σ_σ φ(σ|s) Σ_a π(a|σ) u_k(s, a)`` for both players."""
    state_action = joint_distribution(instance, scheme) @ rule
    return Payoffs(
        float((state_action * instance.sender_utility).sum()),
        float((state_action * instance.receiver_utility).sum()),
    )


def deal_payoffs(instance: Instance, scheme: NDArray[np.float64], tie_break: TieBreak = "sender") -> Payoffs:
    """What a committed scheme pays when the receiver obeys it."""
    sender, receiver = deal_payoffs_many(instance, scheme, tie_break)
    return Payoffs(float(sender), float(receiver))


def deal_payoffs_many(
    instance: Instance, schemes: NDArray[np.float64], tie_break: TieBreak = "sender"
) -> NDArray[np.float64]:
    """``[..., 2]`` (sender, receiver) payoffs of obeyed schemes ``[..., state, signal]``."""
    actions = obey_actions(instance, schemes, tie_break)  # [..., signal]
    joint = instance.prior[:, None] * schemes  # [..., state, signal]
    utilities = np.stack([instance.sender_utility, instance.receiver_utility])  # [player, state, action]
    # u_k(s, a*(σ)) for every state and signal, shape [player, ..., state, signal].
    per_signal = utilities[:, np.arange(instance.n_states)[:, None], actions[..., None, :]]
    return np.moveaxis((joint * per_signal).sum(axis=(-1, -2)), 0, -1)


def disagreement_payoffs(instance: Instance, tie_break: TieBreak = "sender") -> Payoffs:
    """``d``: what both get when the receiver ignores every signal."""
    action = default_action(instance, tie_break)
    return Payoffs(
        float(instance.prior @ instance.sender_utility[:, action]),
        float(instance.prior @ instance.receiver_utility[:, action]),
    )


def fit_signals(scheme: NDArray[np.float64], signals: int) -> NDArray[np.float64]:
    """Re-express ``[..., state, signal]`` schemes with ``signals`` columns.

    When they fit, columns keep their labels (signal ``a`` still recommends action ``a``) and unused signals
    are appended; otherwise signals never sent are dropped first. Raises :class:`SchemeError` when a scheme
    needs more signals than are available.
    """
    if scheme.shape[-1] <= signals:
        padding = np.zeros((*scheme.shape[:-1], signals - scheme.shape[-1]))
        return np.concatenate([scheme, padding], axis=-1)
    if scheme.ndim > 2:
        return np.array([fit_signals(one, signals) for one in scheme])
    used = scheme[:, scheme.sum(axis=0) > 0]
    if used.shape[1] > signals:
        raise SchemeError(f"scheme: needs {used.shape[1]} signals but the instance allows {signals}")
    return np.hstack([used, np.zeros((scheme.shape[0], signals - used.shape[1]))])
