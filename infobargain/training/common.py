"""What the library's own self-play trainers (:mod:`~infobargain.training.mappo`,
:mod:`~infobargain.training.qlearning`) share: devices, per-update seeds, subgame starts and outcome metrics.

Subgame starts use only the rules: a game may start in any round of the protocol, as if every earlier offer
had been rejected, with a random offer on the table or none. Training every subgame directly is what lets
self-play find subgame-perfect play rather than just some equilibrium outcome; evaluation always starts in
round 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from numpy.typing import NDArray

from infobargain.envs.mixture import MixedVectorEnv
from infobargain.envs.offers import FIRST_OFFER
from infobargain.envs.vector import VectorBargainingEnv
from infobargain.game.protocol import ROLES

BatchEnv = VectorBargainingEnv | MixedVectorEnv
"""The batched envs self-play trains on: one configuration, or a mixture of protocols and sizes."""

OFFER_ON_TABLE = 0.5
"""Share of the subgame starts (after round 0) that put a random offer on the table, so the responder acts first."""
SEED_STRIDE = 1_000_003
"""A prime larger than any run's number of updates: ``(seed, update)`` pairs map to distinct seeds."""


def training_device(name: str) -> torch.device:
    """``"cpu"``, ``"cuda"`` (``"cuda:N"``), or ``"auto"`` (a GPU when torch sees one). The networks are small,
    so the CPU is usually as fast; a GPU pays off with large ``num_envs`` and ``hidden_size``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"run.device: {name!r} asked for, but torch sees no CUDA device (use 'cpu' or 'auto')")
    return device


def update_seed(seed: int, update: int) -> int:
    """The seed of update ``update``: a resumed run draws exactly what the uninterrupted run would have."""
    return (seed * SEED_STRIDE + update) % 2**63


def subgame_starts(
    rng: np.random.Generator, envs: BatchEnv, fraction: float, progress: float, curriculum: float
) -> NDArray[np.intp]:
    """Start rounds: 0 for most games, a uniformly drawn round for a ``fraction`` of them.

    With a ``curriculum`` (a fraction of training), drawn rounds first come from the last round only and
    reach back to round 0 as training progresses: backward induction, learned.
    """
    last = envs.last_round  # one number, or each game's (a batch that mixes protocols)
    if isinstance(last, int):
        reach: int | NDArray[np.intp] = last if curriculum <= 0 else round(last * min(1.0, progress / curriculum))
    else:
        reach = last if curriculum <= 0 else np.round(last * min(1.0, progress / curriculum)).astype(np.intp)
    rounds = rng.integers(last - reach, last + 1, envs.num_envs)
    return np.where(rng.random(envs.num_envs) < fraction, rounds, 0)


def random_offers(
    rng: np.random.Generator, envs: BatchEnv, chosen: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Uniformly random offers to put on the table of the ``chosen`` subgame starts (responders then train on
    offers the current proposers would not make: the off-path responses subgame perfection needs)."""
    if envs.discrete:
        return rng.integers(FIRST_OFFER, envs.n_actions, envs.num_envs).astype(np.float64), chosen
    return rng.uniform(-1.0, 1.0, (envs.num_envs, envs.n_actions)), chosen


def reset_in_subgames(
    envs: BatchEnv,
    rng: np.random.Generator,
    seed: int,
    fraction: float,
    progress: float = 0.0,
    curriculum: float = 0.0,
) -> None:
    """Start every game, a ``fraction`` of them in a drawn subgame (see :func:`subgame_starts`), and put a random
    offer on the table of :data:`OFFER_ON_TABLE` of those."""
    starts = subgame_starts(rng, envs, fraction, progress, curriculum)
    offers, with_offer = random_offers(rng, envs, (starts > 0) & (rng.random(envs.num_envs) < OFFER_ON_TABLE))
    envs.reset(seed=seed, start_rounds=starts, start_offers=offers, with_offer=with_offer)


def greedy_metrics(outcomes: Mapping[str, NDArray[np.float64] | None]) -> dict[str, float]:
    """The greedy players' exact outcome per first proposer (``{first: (U_S, U_R)}``, from a periodic evaluation
    without exploration; ``None``: not evaluated at this row, NaN in metrics.csv, whose columns every row keeps)
    as ``greedy/<first>_first/<role>_payoff``: what the learning curves show as the learned outcome, beside the
    exploring training episodes of :func:`outcome_metrics`."""
    return {
        f"greedy/{first}_first/{role}_payoff": float(payoff)
        for first, payoffs in outcomes.items()
        for role, payoff in zip(ROLES, np.full(2, np.nan) if payoffs is None else payoffs, strict=True)
    }


def outcome_metrics(outcome: dict[str, NDArray[np.float64]]) -> dict[str, float]:
    """Mean payoffs, deal rate and agreement round of whole games (not subgames), per first proposer."""
    metrics: dict[str, float] = {}
    for first, name in enumerate(ROLES):
        games = (outcome["first"] == first) & outcome["from_start"]
        if games.any():
            metrics[f"{name}_first/sender_payoff"] = float(outcome["payoffs"][games, 0].mean())
            metrics[f"{name}_first/receiver_payoff"] = float(outcome["payoffs"][games, 1].mean())
            metrics[f"{name}_first/deal_rate"] = float(outcome["deal"][games].mean())
            metrics[f"{name}_first/end_round"] = float(outcome["end_round"][games].mean())
    return metrics
