"""Every benchmark of one game under one protocol, as the JSON object of docs/design.md contract 3."""

from __future__ import annotations

import gc
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from infobargain.game.instance import Instance
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import Protocol
from infobargain.game.schemes import TieBreak
from infobargain.theory.persuasion import full_disclosure
from infobargain.theory.problem import BargainingProblem, bargaining_problem
from infobargain.theory.solutions import egalitarian, ideal_point, kalai_smorodinsky, nash, utilitarian
from infobargain.theory.spe import SPEOutcome, advantages, rubinstein, solve_protocol


def _point(problem: BargainingProblem, payoffs: ArrayLike, *, with_scheme: bool = True) -> dict[str, Any]:
    sender, receiver = (float(v) for v in np.asarray(payoffs, dtype=np.float64))
    point: dict[str, Any] = {"sender": sender, "receiver": receiver}
    if with_scheme and problem.instance is not None:
        point["scheme"] = problem.scheme_for_point((sender, receiver)).tolist()
    return point


def _vertex(problem: BargainingProblem, index: int) -> dict[str, Any]:
    """Vertex ``index`` of the feasible polygon with the scheme that attains it (no point location needed)."""
    sender, receiver = (float(v) for v in problem.feasible.vertices[index])
    point: dict[str, Any] = {"sender": sender, "receiver": receiver}
    if problem.instance is not None:
        point["scheme"] = problem.vertex_scheme(index).tolist()
    return point


def _outcome(problem: BargainingProblem, outcome: SPEOutcome) -> dict[str, Any]:
    return {
        **_point(problem, outcome.payoffs, with_scheme=False),
        "agreement_round": outcome.agreement_round,
        "deal_probability": outcome.deal_probability,
        "offers": [
            {
                "round": plan.round,
                "proposer": plan.proposer,
                "deal": plan.deal,
                **_point(problem, plan.offer, with_scheme=plan.deal),
            }
            for plan in outcome.plan
        ],
    }


def solve(
    game: Instance | SplitPie | BargainingProblem,
    protocol: Protocol | None = None,
    *,
    tie_break: TieBreak = "sender",
    obedience_margin: float = 0.0,
) -> dict[str, Any]:
    """All analytic benchmarks of ``game`` (a persuasion instance, a pie or a ready bargaining problem).

    ``spe`` holds the exact subgame-perfect outcome of ``protocol`` for its first proposer; with
    ``first_proposer="coin_flip"`` it has one entry per side and their expectation. Persuasion-only points
    (``bp_optimum``, ``receiver_optimum``, ``full_disclosure``) are the proposers' ultimatum points and full
    revelation; for a pie they are ``None``, except that ``bp_optimum`` and ``receiver_optimum`` are the two
    ultimatum points, which is what they are for a persuasion instance too.
    """
    protocol = protocol or Protocol()
    problem = game if isinstance(game, BargainingProblem) else bargaining_problem(game, tie_break, obedience_margin)
    solution = solve_protocol(problem, protocol)
    ultimatum = solve_protocol(problem, Protocol("ultimatum", "coin_flip"))
    infinite = rubinstein(problem, protocol.break_off, protocol.discount)
    split = advantages(problem)
    spe: dict[str, Any] = {
        "protocol": protocol.protocol,
        "first_proposer": protocol.first_proposer,
        "max_rounds": protocol.rounds,
        "break_off": protocol.break_off,
        "discount": protocol.discount,
        **{f"{first}_first": _outcome(problem, outcome) for first, outcome in solution.outcomes.items()},
        "expected": _point(problem, solution.expected, with_scheme=False),
    }
    infinite_horizon: dict[str, Any] = {
        "continuation_factor": protocol.continuation,
        "sender_first": None
        if infinite.sender_first is None
        else _point(problem, infinite.sender_first, with_scheme=False),
        "receiver_first": None
        if infinite.receiver_first is None
        else _point(problem, infinite.receiver_first, with_scheme=False),
    }
    if infinite.reason:
        infinite_horizon["note"] = infinite.reason
    return {
        "game": problem.name,
        "kind": "persuasion" if problem.instance is not None else "bargaining",
        "tie_break": problem.tie_break,
        "obedience_margin": problem.obedience_margin,
        "disagreement": _point(problem, problem.d),
        "bp_optimum": _point(problem, ultimatum.outcomes["sender"].payoffs),
        "receiver_optimum": _point(problem, ultimatum.outcomes["receiver"].payoffs),
        "full_disclosure": None
        if problem.instance is None
        else _point(problem, full_disclosure(problem.instance, problem.tie_break).payoffs),
        "nash": _point(problem, nash(problem)),
        "kalai_smorodinsky": _point(problem, kalai_smorodinsky(problem)),
        "egalitarian": _point(problem, egalitarian(problem)),
        "utilitarian": _point(problem, utilitarian(problem)),
        "ideal": _point(problem, ideal_point(problem), with_scheme=False),
        "spe": spe,
        "infinite_horizon": infinite_horizon,
        "advantages": {"informational": split.informational, "first_proposer": split.first_proposer},
        **_polygon(problem),
    }


def _polygon(problem: BargainingProblem) -> dict[str, list[dict[str, Any]]]:
    """``feasible_set`` and ``pareto_frontier``, a frontier vertex's scheme built once for both.

    A 50×50 polygon has thousands of vertices with a 2,500-entry scheme each; the cyclic garbage collector,
    set off by that many new lists, tripled the time it takes to build them (they hold no cycles), so it is
    paused meanwhile."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        vertices = [_vertex(problem, i) for i in range(len(problem.feasible))]
    finally:
        if collecting:
            gc.enable()
    return {
        "feasible_set": vertices,
        "pareto_frontier": [dict(vertices[i]) for i in problem.feasible.pareto_indices()],
    }
