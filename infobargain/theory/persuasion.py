"""The persuasion linear programs (docs/theory.md §2), solved directly on the obedience LP.

Each returns the payoffs and a ``[state][signal]`` scheme (``Σ = A``: signal ``a`` recommends action
``a``). Ties in the objective are broken lexicographically in favour of the other player, so the answer
is Pareto efficient. These are independent of the polygon in :mod:`infobargain.theory.problem`; the tests
check that both agree.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from infobargain.game.instance import Instance
from infobargain.game.schemes import Payoffs, TieBreak, disagreement_payoffs, obey_actions
from infobargain.theory.lp import ObedienceLP, Solution, scheme_from_joint

_TILT = 1e-6


class SchemePoint(NamedTuple):
    """A payoff pair and a scheme that attains it."""

    payoffs: Payoffs
    scheme: NDArray[np.float64]


def _lexicographic(
    lp: ObedienceLP, primary: int, *, sender_at_least: float = -np.inf, receiver_at_least: float = -np.inf
) -> SchemePoint:
    """Maximise the ``primary`` player's payoff, then the other's.

    The second solve tilts the objective by :data:`_TILT` towards the other player and is kept only if it
    loses nothing on the primary payoff, so the primary value is always the exact LP optimum (a basic
    solution) and never a tolerance below it.
    """
    floors = {"sender_at_least": sender_at_least, "receiver_at_least": receiver_at_least}
    weights = np.eye(2)[primary]
    plain: Solution = lp.maximize(*weights, **floors)
    tilted: Solution = lp.maximize(*(weights + _TILT * np.eye(2)[1 - primary]), **floors)
    best = plain.point[primary]
    chosen = tilted if tilted.point[primary] >= best - 1e-12 * max(1.0, abs(best)) else plain
    return SchemePoint(Payoffs(chosen.sender, chosen.receiver), scheme_from_joint(lp.instance, chosen.joint))


def bp_optimum(instance: Instance, obedience_margin: float = 0.0) -> SchemePoint:
    """The Bayesian-persuasion optimum: the obedient scheme best for the sender."""
    return _lexicographic(ObedienceLP(instance, obedience_margin), 0)


def receiver_optimum(instance: Instance, tie_break: TieBreak = "sender", obedience_margin: float = 0.0) -> SchemePoint:
    """The receiver's best obedient scheme among those giving the sender at least its disagreement value."""
    floor = disagreement_payoffs(instance, tie_break).sender
    return _lexicographic(ObedienceLP(instance, obedience_margin), 1, sender_at_least=floor)


def sender_best_scheme(instance: Instance, receiver_threshold: float, obedience_margin: float = 0.0) -> SchemePoint:
    """The sender's best obedient scheme giving the receiver at least ``receiver_threshold``.

    This is what a sender commits to when it accepts a receiver's offer under ``receiver_offer="threshold"``.
    Raises :class:`~infobargain.theory.lp.InfeasibleError` when the threshold exceeds what any scheme gives.
    """
    return _lexicographic(ObedienceLP(instance, obedience_margin), 0, receiver_at_least=receiver_threshold)


def full_disclosure(instance: Instance, tie_break: TieBreak = "sender") -> SchemePoint:
    """Reveal the state: signal ``a`` recommends the receiver's full-information action in each state."""
    identity = np.eye(instance.n_states)
    recommended = obey_actions(instance, identity, tie_break)
    scheme = np.zeros((instance.n_states, instance.n_actions))
    scheme[np.arange(instance.n_states), recommended] = 1.0
    states = np.arange(instance.n_states)
    return SchemePoint(
        Payoffs(
            float(instance.prior @ instance.sender_utility[states, recommended]),
            float(instance.prior @ instance.receiver_utility[states, recommended]),
        ),
        scheme,
    )
