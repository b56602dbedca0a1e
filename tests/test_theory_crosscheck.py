"""An independent cross-check of the persuasion LPs: brute force over a grid of schemes, and (for two states)
the concavification of the sender's value in belief space. Nothing here calls the library's π1.

**Grid.** Every row of a scheme ranges over the probability vectors with entries in multiples of ``h = 1/40``.
Each grid scheme is played with π1 and ties broken for the sender, written out below.

**Bounds.** By the revelation principle every π1 outcome is a point of the obedient set ``U``, so the grid's best
sender value can never beat the BP value, and the grid's best receiver value among outcomes with ``U_S ≥ d_S``
can never beat the receiver-optimal point (both up to 1e-9 of rounding).

For two actions the grid also comes close, provably. Let ``x*`` be an optimal obedient scheme (signal 1
recommends action 1) and ``g(s) = u_R(s, 1) − u_R(s, 0)``. Round ``φ(1|s)`` *up* to the grid where ``g(s) ≥ 0`` and
*down* where ``g(s) < 0``. Signal 1 then gains mass only from states favouring action 1 and loses mass only from
states favouring action 0, and signal 0 the reverse, so both obedience constraints only get slacker and the
recommendations stay receiver-optimal; with ties broken for the sender, π1 pays the sender at least the
recommended payoff and the receiver exactly its recommended payoff. Moving at most ``h·μ0(s)`` of each state's mass
changes the sender's payoff by at most ``h·K_S`` with ``K_S = Σ_s μ0(s)·|u_S(s, 1) − u_S(s, 0)|``, and never lowers
the receiver's (each move goes the way the receiver prefers). Hence

* best grid sender value ≥ ``V_BP − h·K_S``;
* best grid receiver value among outcomes with ``U_S ≥ d_S − h·K_S`` ≥ the receiver-optimal ``U_R``.

With three or more actions no such bound holds in general (an optimal scheme can sit in a thin obedience cone
that contains no grid point near it), so for the 2×3 case the test uses an instance whose optimum lies on the
grid, where the grid must match the LP exactly, and for random two-state instances with up to six actions it
compares the LP with the exact concavification instead.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.typing import NDArray

from infobargain.game import Instance, random_instance, scenario
from infobargain.theory import bp_optimum, from_instance, receiver_optimum

STEP = 1 / 40
TIE = 1e-12


def simplex_grid(signals: int, steps: int = 40) -> NDArray[np.float64]:
    """All probability vectors over ``signals`` entries in multiples of ``1/steps``."""
    rows = [c for c in itertools.product(range(steps + 1), repeat=signals - 1) if sum(c) <= steps]
    return np.array([[*c, steps - sum(c)] for c in rows], dtype=np.float64) / steps


def grid_outcomes(instance: Instance, signals: int, chunk: int = 100_000) -> NDArray[np.float64]:
    """``[scheme, (sender, receiver)]`` for every grid scheme, the receiver best-responding to each signal and
    breaking ties for the sender (docs/theory.md §1, written out independently of the library)."""
    rows = simplex_grid(signals)
    index = np.array(list(itertools.product(range(len(rows)), repeat=instance.n_states)))
    results = []
    for start in range(0, len(index), chunk):
        schemes = rows[index[start : start + chunk]]  # [n, state, signal]
        joint = instance.prior[None, :, None] * schemes
        receiver = np.einsum("nsk,sa->nka", joint, instance.receiver_utility)  # unnormalised posterior values
        sender = np.einsum("nsk,sa->nka", joint, instance.sender_utility)
        best = receiver.max(axis=-1, keepdims=True)
        sender_choice = np.where(receiver >= best - TIE, sender, -np.inf).max(axis=-1)
        results.append(np.stack([sender_choice.sum(axis=-1), best[..., 0].sum(axis=-1)], axis=-1))
    return np.concatenate(results)


def binary_bound(instance: Instance) -> float:
    """``h·K_S`` of the module docstring."""
    return STEP * float(instance.prior @ np.abs(instance.sender_utility[:, 1] - instance.sender_utility[:, 0]))


def integer_instance(seed: int, n_states: int, n_actions: int) -> Instance:
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 6, n_states)
    return Instance(
        weights / weights.sum(),
        rng.integers(-2, 3, (n_states, n_actions)).astype(float),
        rng.integers(-2, 3, (n_states, n_actions)).astype(float),
        name=f"integer_{seed}",
    )


BINARY_INSTANCES = [
    *(random_instance(2, 2, seed=seed) for seed in range(4)),
    *(random_instance(3, 2, seed=seed) for seed in range(4)),
    *(integer_instance(seed, 2, 2) for seed in range(2)),
    *(integer_instance(seed, 3, 2) for seed in range(2)),
]


@pytest.mark.parametrize("instance", BINARY_INSTANCES, ids=lambda i: f"{i.name}_{i.n_states}x{i.n_actions}")
def test_grid_brackets_the_lps_on_binary_actions(instance: Instance) -> None:
    outcomes = grid_outcomes(instance, 2)
    bp = bp_optimum(instance).payoffs.sender
    slack = binary_bound(instance)
    assert outcomes[:, 0].max() <= bp + 1e-9
    assert outcomes[:, 0].max() >= bp - slack - 1e-12

    problem = from_instance(instance)
    d_sender = problem.disagreement.sender
    best_receiver = receiver_optimum(instance).payoffs.receiver
    assert outcomes[outcomes[:, 0] >= d_sender - 1e-12, 1].max() <= best_receiver + 1e-9
    assert outcomes[outcomes[:, 0] >= d_sender - slack - 1e-12, 1].max() >= best_receiver - 1e-12


@pytest.mark.parametrize("name", ["pure_math", "prosecutor"])
def test_grid_on_the_named_instances(name: str) -> None:
    instance = scenario(name)
    assert isinstance(instance, Instance)
    outcomes = grid_outcomes(instance, 2)
    best = outcomes[:, 0].max()
    if name == "pure_math":
        assert best == pytest.approx(2 / 3, abs=1e-12)  # x1 = 1/2 = 20/40 is on the grid
    else:
        # The optimum convicts 3/7 of the innocent; the grid's best below that is 17/40: 0.3 + 0.7·17/40.
        assert best == pytest.approx(0.3 + 0.7 * 17 / 40, abs=1e-12)
        assert 0.6 - binary_bound(instance) <= best <= 0.6


def test_grid_matches_an_on_grid_optimum_with_three_actions() -> None:
    """Two states with prior 1/2 each; q = P(state 1). The receiver's actions pay 0, 2q − 1 and 3.5q − 2, best on
    [0, 1/2], [1/2, 2/3] and [2/3, 1]; the sender gets 0, 1 and 3 whatever the state.

    BP: split q = 1/2 into 0 and 2/3 with weight 3/4 on 2/3, worth 3/4·3 = 9/4 (the split 0/1 gives 3/2, no
    information 1); the scheme sends state 0 to either signal with probability 1/2, on the grid.
    Without information the receiver is indifferent between actions 0 and 1 and plays 1 for the sender: d = (1, 0).
    Full disclosure gives the receiver its most, 1/2·1.5 = 0.75, and the sender 1/2·3 = 1.5 ≥ d_S.
    """
    instance = Instance([0.5, 0.5], [[0.0, 1.0, 3.0], [0.0, 1.0, 3.0]], [[0.0, -1.0, -2.0], [0.0, 1.0, 1.5]])
    assert bp_optimum(instance).payoffs == pytest.approx((2.25, 0.25), abs=1e-9)
    assert receiver_optimum(instance).payoffs == pytest.approx((1.5, 0.75), abs=1e-9)
    outcomes = grid_outcomes(instance, 3)
    assert outcomes[:, 0].max() == pytest.approx(2.25, abs=1e-9)
    assert outcomes[outcomes[:, 0] >= 1.0 - 1e-12, 1].max() == pytest.approx(0.75, abs=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_grid_never_beats_the_lps_with_three_actions(seed: int) -> None:
    instance = random_instance(2, 3, seed=seed)
    outcomes = grid_outcomes(instance, 3)
    assert outcomes[:, 0].max() <= bp_optimum(instance).payoffs.sender + 1e-9
    d_sender = from_instance(instance).disagreement.sender
    assert outcomes[outcomes[:, 0] >= d_sender - 1e-12, 1].max() <= receiver_optimum(instance).payoffs.receiver + 1e-9


def concavified_value(instance: Instance) -> float:
    """BP value of a two-state instance by concavification (Kamenica–Gentzkow), exactly.

    With belief q = P(state 1), the sender's value v(q) (ties for the sender) is linear between the beliefs where
    the receiver's best action changes, and upper semicontinuous at them. The value of splitting the prior q0
    into q_L ≤ q0 ≤ q_H is monotone as either end slides along a linear piece, so an optimal split uses those
    breakpoints (or 0, 1, q0) only.
    """
    u_s, u_r = instance.sender_utility, instance.receiver_utility
    q0 = float(instance.prior[1])
    breaks = {0.0, 1.0, q0}
    for a, b in itertools.combinations(range(instance.n_actions), 2):
        slope = (u_r[1, a] - u_r[0, a]) - (u_r[1, b] - u_r[0, b])
        if slope != 0:
            q = (u_r[0, b] - u_r[0, a]) / slope
            if 0 < q < 1:
                breaks.add(float(q))

    def value(q: float) -> float:
        receiver = (1 - q) * u_r[0] + q * u_r[1]
        optimal = receiver >= receiver.max() - TIE
        return float(((1 - q) * u_s[0] + q * u_s[1])[optimal].max())

    best = value(q0)
    for low in (q for q in breaks if q <= q0):
        for high in (q for q in breaks if q >= q0 and q > low):
            weight = (q0 - low) / (high - low)
            best = max(best, (1 - weight) * value(low) + weight * value(high))
    return best


TWO_STATE = [
    *(random_instance(2, actions, seed=seed) for actions in range(2, 7) for seed in range(3)),
    *(integer_instance(seed, 2, actions) for actions in (3, 5) for seed in range(3)),
]


@pytest.mark.parametrize("instance", TWO_STATE, ids=lambda i: f"{i.name}_2x{i.n_actions}")
def test_bp_equals_the_concavification_on_two_states(instance: Instance) -> None:
    assert bp_optimum(instance).payoffs.sender == pytest.approx(concavified_value(instance), abs=1e-9)


def test_concavification_of_the_paper_instance() -> None:
    instance = scenario("pure_math")
    assert isinstance(instance, Instance)
    assert concavified_value(instance) == pytest.approx(2 / 3, abs=1e-12)
