"""The theory values an evaluation compares outcomes with, for one env configuration.

Two bargaining problems matter. The **continuous** problem is the game of docs/theory.md (offers anywhere in
the bargaining set). The **played** problem restricts offers to what the env's encoding can express: for
``offer_space="grid"`` or ``"frontier"`` it is :func:`infobargain.agents.analytic.game_problem`, whose SPE is the
exact SPE of the discretised game the agents actually play; for ``"scheme"`` it is the continuous problem.
Both SPEs are given for each first proposer, whatever the env's ``first_proposer`` is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.game.protocol import ROLE_INDEX, ROLES, Protocol, Role
from infobargain.theory.problem import BargainingProblem
from infobargain.theory.solutions import kalai_smorodinsky, nash
from infobargain.theory.spe import SPEOutcome, rubinstein, subgame_perfect, ultimatum


def point_json(point: Any) -> dict[str, float] | None:
    """``{"sender": …, "receiver": …}`` (``None`` stays ``None``)."""
    if point is None:
        return None
    sender, receiver = (float(v) for v in np.asarray(point, dtype=np.float64))
    return {"sender": sender, "receiver": receiver}


def spe_proposer_payoff(outcome: SPEOutcome, protocol: Protocol) -> float:
    """The paper's "last proposer" metric on the SPE path: the accepted offer's proposer's payoff, times the
    probability and discount of reaching it (0 when the path never agrees)."""
    if outcome.agreement_round is None:
        return 0.0
    plan = outcome.plan[outcome.agreement_round]
    position = ROLE_INDEX[plan.proposer]
    return float(outcome.deal_probability * protocol.discount**plan.round * plan.offer[position])


def spe_json(outcome: SPEOutcome, protocol: Protocol) -> dict[str, Any]:
    """An SPE as reports write it: its payoffs, its agreement round, its deal probability and its proposer's
    payoff (the paper's metric for pies)."""
    return {
        **(point_json(outcome.payoffs) or {}),
        "agreement_round": outcome.agreement_round,
        "deal_probability": outcome.deal_probability,
        "proposer_payoff": spe_proposer_payoff(outcome, protocol),
    }


@dataclass(frozen=True)
class Benchmarks:
    """Exact benchmarks of one game under one protocol (each first proposer)."""

    problem: BargainingProblem
    """The continuous problem (docs/theory.md)."""
    played: BargainingProblem
    """The problem with the offers the env's encoding allows (the continuous one for ``"scheme"``)."""
    protocol: Protocol
    discrete: bool
    spe_played: dict[Role, SPEOutcome]
    """SPE of the game as played (the offers the encoding allows), for each first proposer."""
    spe_continuous: dict[Role, SPEOutcome]
    """SPE of the continuous game (every frontier offer), for each first proposer."""
    nash: NDArray[np.float64]
    kalai_smorodinsky: NDArray[np.float64]
    bp_optimum: NDArray[np.float64]
    receiver_optimum: NDArray[np.float64]
    limit: dict[Role, NDArray[np.float64] | None]
    """Infinite-horizon alternating offers (Rubinstein) with the same break-off and discount; ``None`` where the
    limit has several equilibria."""
    limit_note: str

    @property
    def disagreement(self) -> NDArray[np.float64]:
        return self.problem.d

    @property
    def frontier(self) -> NDArray[np.float64]:
        return self.problem.feasible.pareto_frontier()

    def targets(self, first: Role) -> dict[str, NDArray[np.float64]]:
        """The points an outcome with ``first`` proposing is measured against."""
        return {
            "spe_played": np.array(self.spe_played[first].payoffs),
            "spe_continuous": np.array(self.spe_continuous[first].payoffs),
            "nash": self.nash,
            "kalai_smorodinsky": self.kalai_smorodinsky,
            "bp_optimum": self.bp_optimum,
        }

    def to_json(self) -> dict[str, Any]:
        def spe(outcomes: Mapping[Role, SPEOutcome]) -> dict[str, Any]:
            return {f"{first}_first": spe_json(outcome, self.protocol) for first, outcome in outcomes.items()}

        return {
            "game": self.problem.name,
            "offers": "discrete (exact SPE of the discretised game)" if self.discrete else "continuous",
            "disagreement": point_json(self.disagreement),
            "bp_optimum": point_json(self.bp_optimum),
            "receiver_optimum": point_json(self.receiver_optimum),
            "nash": point_json(self.nash),
            "kalai_smorodinsky": point_json(self.kalai_smorodinsky),
            "spe_played": spe(self.spe_played),
            "spe_continuous": spe(self.spe_continuous),
            "infinite_horizon": {
                **{f"{first}_first": point_json(point) for first, point in self.limit.items()},
                **({"note": self.limit_note} if self.limit_note else {}),
            },
            "pareto_frontier": [point_json(v) for v in self.frontier],
        }


def env_benchmarks(env: raw_env) -> Benchmarks:
    """The benchmarks of ``env``'s current game and protocol (the env must play one fixed game)."""
    env = env.unwrapped
    if env.distribution is not None:
        raise ValueError("game: evaluation against theory needs one fixed game, not a distribution of games")
    view = env.view
    problem, played = view.problem, view.offer_problem
    protocol = view.rules
    infinite = rubinstein(problem, protocol.break_off, protocol.discount)
    return Benchmarks(
        problem=problem,
        played=played,
        protocol=protocol,
        discrete=view.discrete,
        spe_played={first: subgame_perfect(played, protocol, first) for first in ROLES},
        spe_continuous={first: subgame_perfect(problem, protocol, first) for first in ROLES},
        nash=nash(problem),
        kalai_smorodinsky=kalai_smorodinsky(problem),
        bp_optimum=np.array(ultimatum(problem, "sender")),
        receiver_optimum=np.array(ultimatum(problem, "receiver")),
        limit={
            "sender": None if infinite.sender_first is None else np.array(infinite.sender_first),
            "receiver": None if infinite.receiver_first is None else np.array(infinite.receiver_first),
        },
        limit_note=infinite.reason,
    )


def benchmarks(env_kwargs: Mapping[str, Any] | None = None) -> Benchmarks:
    """The benchmarks of ``raw_env(**env_kwargs)``."""
    return env_benchmarks(raw_env(**dict(env_kwargs or {})))
