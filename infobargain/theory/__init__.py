"""Exact analytic benchmarks of information bargaining (docs/theory.md §2–4), as pure functions."""

from infobargain.theory.lp import InfeasibleError, ObedienceLP
from infobargain.theory.persuasion import SchemePoint, bp_optimum, full_disclosure, receiver_optimum, sender_best_scheme
from infobargain.theory.polygon import Polygon
from infobargain.theory.problem import BargainingProblem, bargaining_problem, from_instance, from_pie
from infobargain.theory.solutions import egalitarian, ideal_point, kalai_smorodinsky, nash, utilitarian
from infobargain.theory.solve import solve
from infobargain.theory.spe import (
    Advantages,
    ProtocolSolution,
    RoundPlan,
    RubinsteinOutcome,
    SPEOutcome,
    advantages,
    best_offer,
    rubinstein,
    solve_protocol,
    subgame_perfect,
    ultimatum,
)

__all__ = [
    "Advantages",
    "BargainingProblem",
    "InfeasibleError",
    "ObedienceLP",
    "Polygon",
    "ProtocolSolution",
    "RoundPlan",
    "RubinsteinOutcome",
    "SPEOutcome",
    "SchemePoint",
    "advantages",
    "bargaining_problem",
    "best_offer",
    "bp_optimum",
    "egalitarian",
    "from_instance",
    "from_pie",
    "full_disclosure",
    "ideal_point",
    "kalai_smorodinsky",
    "nash",
    "receiver_optimum",
    "rubinstein",
    "sender_best_scheme",
    "solve",
    "solve_protocol",
    "subgame_perfect",
    "ultimatum",
    "utilitarian",
]
