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


def _utility_scale(instance: Instance) -> float:
    return max(1.0, float(np.abs(instance.receiver_utility).max()))


def best_response(instance: Instance, belief: ArrayLike, tie_break: TieBreak = "sender") -> int:
    """The receiver's action against ``belief`` over states."""
    check_tie_break(tie_break)
    return int(ObedientReceiver(instance, tie_break).respond(np.asarray(belief, dtype=np.float64)))


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


class ObedientReceiver:
    """``π1`` for one instance and tie-break: the receiver that best-responds to every posterior.

    The single definition of the obedient receiver's choice and of what an obeyed scheme pays: the compiled
    :func:`~infobargain.game.obedience_kernels.obey_scheme`, which every method runs on one ``[state, signal]``
    scheme or a batch ``[..., state, signal]`` (and the ``"scheme"`` offer space's decode calls directly). The
    per-instance constants it reads are computed once here.

    Ties are judged on the unnormalised joint ``x(·, σ)`` (tolerance scaled by the signal's probability), so
    they are exact-scale; a signal never sent gets the prior's best response.
    """

    def __init__(self, instance: Instance, tie_break: TieBreak = "sender") -> None:
        check_tie_break(tie_break)
        self.instance = instance
        self.tie_break = tie_break
        self.n_actions = instance.n_actions
        self.sign = 1.0 if tie_break == "sender" else -1.0  # the sender's values signed: ties go to the largest
        # One product gives, per signal, [receiver values | signed sender values | signal probability].
        signed = instance.sender_utility if tie_break == "sender" else -instance.sender_utility
        self.columns = np.concatenate([instance.receiver_utility, signed, np.ones((instance.n_states, 1))], axis=1)
        self.tolerance = TIE_TOLERANCE * _utility_scale(instance)
        self.weights = instance.prior[:, None] * self.columns
        """``[state, 2A + 1]``: the columns weighted by the prior; a scheme's values are ``φᵀ · weights``."""
        self.unsent = instance.prior @ self.columns
        """What a signal never sent is judged by: the prior's values, with probability 1 (tolerance unscaled)."""
        self.unsent[-1] = 1.0

    def _decide(self, schemes: ArrayLike, weights: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """``([..., signal], [..., 2])``: the actions and payoffs of ``schemes`` ``[..., state, signal]`` whose
        values are ``φᵀ · weights``, in one compiled call."""
        from infobargain.game.obedience_kernels import obey_schemes

        batch = np.ascontiguousarray(schemes, dtype=np.float64)
        lead, (n_states, n_signals) = batch.shape[:-2], batch.shape[-2:]
        flat = batch.reshape(-1, n_states, n_signals)
        actions = np.empty((len(flat), n_signals), dtype=np.intp)
        payoffs = np.empty((len(flat), 2))
        obey_schemes(flat, weights, self.unsent, self.tolerance, self.sign, actions, payoffs)
        return actions.reshape(*lead, n_signals), payoffs.reshape(*lead, 2)

    def respond(self, beliefs: NDArray[np.float64]) -> NDArray[np.intp]:
        """``[...]``: the best response to each belief ``[..., state]`` (a signal's normalised posterior): a
        one-signal scheme whose values are ``beliefᵀ · columns``."""
        return self._decide(np.asarray(beliefs, dtype=np.float64)[..., None], self.columns)[0][..., 0]

    def actions(self, schemes: NDArray[np.float64]) -> NDArray[np.intp]:
        """``[..., signal]``: the action played after each signal."""
        return self._decide(schemes, self.weights)[0]

    def payoffs(self, schemes: NDArray[np.float64]) -> NDArray[np.float64]:
        """``[..., 2]`` (sender, receiver): what obeyed ``schemes`` pay, ``Σ_σ x(·, σ) · u(·, a*(σ))``."""
        return self._decide(schemes, self.weights)[1]


def obey_actions(instance: Instance, scheme: NDArray[np.float64], tie_break: TieBreak = "sender") -> NDArray[np.intp]:
    """The action ``π1(φ)`` plays after each signal; ``scheme`` may carry leading batch dimensions
    (:class:`ObedientReceiver`; hold one instead where many schemes of one instance are decided)."""
    return ObedientReceiver(instance, tie_break).actions(scheme)


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
    """``[..., 2]`` (sender, receiver) payoffs of obeyed schemes ``[..., state, signal]``
    (:meth:`ObedientReceiver.payoffs`)."""
    return ObedientReceiver(instance, tie_break).payoffs(schemes)


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
    are appended (``scheme`` itself is returned when it already has ``signals`` columns); otherwise signals never
    sent are dropped first. Raises :class:`SchemeError` when a scheme needs more signals than are available.
    """
    if scheme.shape[-1] == signals:
        return scheme
    if scheme.shape[-1] < signals:
        padding = np.zeros((*scheme.shape[:-1], signals - scheme.shape[-1]))
        return np.concatenate([scheme, padding], axis=-1)
    if scheme.ndim > 2:
        return np.array([fit_signals(one, signals) for one in scheme])
    used = scheme[:, scheme.sum(axis=0) > 0]
    if used.shape[1] > signals:
        raise SchemeError(f"scheme: needs {used.shape[1]} signals but the instance allows {signals}")
    return np.hstack([used, np.zeros((scheme.shape[0], signals - used.shape[1]))])
