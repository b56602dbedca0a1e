"""Scoring episodes against theory, separately for each first proposer.

Sender-first and receiver-first episodes are different games with different equilibria, so every
statistic here is computed within one first-proposer group and never across them (the env's
``infos[agent]["first_proposer"]`` says which group an episode belongs to).

Per group:

- **Rates and payoffs** (mean ± 95 % CI over episodes, :mod:`infobargain.evaluation.stats`): the deal rate
  (the probability of a deal: in expected mode the survival of the break-off draws), the round of agreement
  (over episodes that agree), each player's payoff, and the accepted offer's proposer's payoff (the paper's
  "last proposer" metric).
- **Geometry of the mean outcome** ``ū = (mean U_S, mean U_R)`` (one point per group; its uncertainty is the
  payoffs' CIs): the Euclidean distance to the exact SPE of the game as played and of the continuous game,
  to the Nash, Kalai–Smorodinsky and BP points; and the gap to the Pareto frontier, measured two ways:

  * ``frontier_distance``: the Euclidean distance from ``ū`` to the Pareto-frontier polyline (0 iff ``ū`` lies
    on the frontier);
  * ``receiver_shortfall``: ``max{u_R : u ∈ U, u_S ≥ ū_S} − ū_R``, how much more the receiver could get
    without costing the sender anything (0 iff no feasible point dominates ``ū`` in the receiver's favour;
    negative only if ``ū`` lies outside ``U``, which sampled noise can cause).

- **Fairness of the mean outcome**: ``sender_surplus_share = g_S / (g_S + g_R)`` with gains ``g = ū − d``
  (``None`` without a positive total gain) and ``nash_product_ratio = max(g_S, 0)·max(g_R, 0)`` divided by the
  largest Nash product over ``U`` (1 at the Nash point; ``None`` when that maximum is 0).

Across groups, the **realized advantage split** of docs/theory.md §4: the informational part is the sender's
mean payoff when the receiver proposes first minus ``d_S``; the first-proposer part is the sender's mean
payoff when it proposes first minus that when the receiver does. It needs both groups.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from infobargain.evaluation.benchmarks import Benchmarks, spe_proposer_payoff
from infobargain.evaluation.rollout import Episode
from infobargain.evaluation.stats import mean_ci
from infobargain.game.protocol import ROLES, Role
from infobargain.theory.problem import BargainingProblem

REACHED = 0.02
"""An outcome reaches a target (the SPE as played, in verdicts and leaderboards) within this distance."""


def distance(outcome: ArrayLike, target: ArrayLike) -> float:
    """The Euclidean distance between two payoff points ``(U_S, U_R)``: how far an outcome is from a benchmark."""
    return float(np.linalg.norm(np.asarray(outcome, dtype=np.float64) - np.asarray(target, dtype=np.float64)))


def frontier_distance(problem: BargainingProblem, point: ArrayLike) -> float:
    """Euclidean distance from ``point`` to the Pareto-frontier polyline of ``problem``."""
    p = np.asarray(point, dtype=np.float64)
    frontier = problem.feasible.pareto_frontier()
    if len(frontier) == 1:
        return float(np.linalg.norm(p - frontier[0]))
    best = math.inf
    for a, b in itertools.pairwise(frontier):
        step = b - a
        t = float(np.clip(np.dot(p - a, step) / np.dot(step, step), 0.0, 1.0)) if np.dot(step, step) > 0 else 0.0
        best = min(best, float(np.linalg.norm(a + t * step - p)))
    return best


def receiver_shortfall(problem: BargainingProblem, point: ArrayLike) -> float:
    """``max{u_R : u ∈ U, u_S ≥ point_S} − point_R`` (NaN when no feasible point gives the sender that much)."""
    p = np.asarray(point, dtype=np.float64)
    best = problem.feasible.best_for(1, float(p[0]))
    return math.nan if best is None else float(best.point[1] - p[1])


def sender_surplus_share(problem: BargainingProblem, point: ArrayLike) -> float | None:
    """The sender's share of the total gain over ``d`` (``None`` if the total gain is not positive)."""
    gains = np.asarray(point, dtype=np.float64) - problem.d
    total = float(gains.sum())
    return None if total <= 1e-12 * problem.feasible.scale else float(gains[0] / total)


def nash_product_ratio(problem: BargainingProblem, point: ArrayLike, nash_point: ArrayLike) -> float | None:
    """The Nash product of ``point`` (negative gains count as 0) over its maximum, reached at ``nash_point``."""
    best = float(np.prod(np.asarray(nash_point, dtype=np.float64) - problem.d))
    if best <= 1e-15 * problem.feasible.scale**2:
        return None
    gains = np.clip(np.asarray(point, dtype=np.float64) - problem.d, 0.0, None)
    return float(np.prod(gains) / best)


def score_group(episodes: Sequence[Episode], bench: Benchmarks, first: Role) -> dict[str, Any]:
    """Every statistic of the episodes in which ``first`` proposed first."""
    played = [e for e in episodes if not e.truncated]
    sender, receiver = mean_ci(e.sender_payoff for e in played), mean_ci(e.receiver_payoff for e in played)
    spe = bench.spe_played[first]
    result: dict[str, Any] = {
        "first_proposer": first,
        "episodes": len(episodes),
        "truncated": len(episodes) - len(played),
        "deal_rate": mean_ci(e.deal_probability for e in played).to_json(),
        "agreement_round": mean_ci(e.agreement_round for e in played if e.deal).to_json(),
        "payoff": {"sender": sender.to_json(), "receiver": receiver.to_json()},
        "proposer_payoff": mean_ci(e.proposer_payoff for e in played).to_json(),
        "spe_played": {
            "sender": spe.payoffs.sender,
            "receiver": spe.payoffs.receiver,
            "agreement_round": spe.agreement_round,
            "proposer_payoff": spe_proposer_payoff(spe, bench.protocol),
        },
    }
    if not played:
        return result
    outcome = np.array([sender.mean, receiver.mean])
    result["mean_outcome"] = {"sender": float(outcome[0]), "receiver": float(outcome[1])}
    result["distance"] = {name: distance(outcome, target) for name, target in bench.targets(first).items()}
    result["deviation_from_spe"] = {
        "sender": float(outcome[0] - spe.payoffs.sender),
        "receiver": float(outcome[1] - spe.payoffs.receiver),
    }
    result["frontier_distance"] = frontier_distance(bench.problem, outcome)
    result["receiver_shortfall"] = receiver_shortfall(bench.problem, outcome)
    result["fairness"] = {
        "sender_surplus_share": sender_surplus_share(bench.problem, outcome),
        "nash_product_ratio": nash_product_ratio(bench.problem, outcome, bench.nash),
        "spe_sender_surplus_share": sender_surplus_share(bench.problem, np.array(spe.payoffs)),
    }
    return result


def advantage_split(groups: dict[Role, dict[str, Any]], bench: Benchmarks) -> dict[str, Any]:
    """The realized split of the sender's advantage, beside the SPE's split and the ultimatum (paper) split."""
    d_sender = float(bench.disagreement[0])
    spe = {first: bench.spe_played[first].payoffs.sender for first in ROLES}
    split: dict[str, Any] = {
        "spe_played": {"informational": spe["receiver"] - d_sender, "first_proposer": spe["sender"] - spe["receiver"]},
        "ultimatum": {
            "informational": float(bench.receiver_optimum[0]) - d_sender,
            "first_proposer": float(bench.bp_optimum[0] - bench.receiver_optimum[0]),
        },
        "realized": None,
    }
    if all(first in groups and "mean_outcome" in groups[first] for first in ROLES):
        sender_first = groups["sender"]["mean_outcome"]["sender"]
        receiver_first = groups["receiver"]["mean_outcome"]["sender"]
        split["realized"] = {
            "informational": receiver_first - d_sender,
            "first_proposer": sender_first - receiver_first,
        }
    return split


def score(episodes: Sequence[Episode], bench: Benchmarks) -> dict[str, Any]:
    """``{"by_first_proposer": {role: group statistics}, "advantages": …}``."""
    groups = {
        first: score_group([e for e in episodes if e.first_proposer == first], bench, first)
        for first in ROLES
        if any(e.first_proposer == first for e in episodes)
    }
    return {"by_first_proposer": groups, "advantages": advantage_split(groups, bench)}
