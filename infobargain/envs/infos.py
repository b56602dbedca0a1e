"""The env's descriptive infos (``info_format="full"``): the situation in plain Python values.

Every live agent's ``infos[agent]`` is :func:`situation_info` plus whether it acts now and its action mask;
the env card (:mod:`infobargain.envs.information_bargaining_v1`) lists the keys, and
:func:`infobargain.envs.conventions.numeric_info` turns them into numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.game.state import BARGAINING, Offer, Phase, State


def describe_offer(offer: Offer) -> dict[str, Any]:
    """An offer as plain values: its proposer and payoffs, and whichever of scheme, demanded scheme, kept share
    and discrete index it has."""
    described: dict[str, Any] = {"proposer": offer.proposer, "payoffs": offer.payoffs.tolist()}
    if offer.scheme is not None:
        described["scheme"] = offer.scheme.tolist()
    if offer.demanded is not None:
        described["demanded"] = offer.demanded.tolist()
    if offer.keep is not None:
        described["keep"] = offer.keep
    if offer.index is not None:
        described["index"] = offer.index
    return described


def situation_info(state: State, phase: Phase, payoffs: NDArray[np.float64] | None, survival: float) -> dict[str, Any]:
    """What both agents' infos share: the phase, round and proposers, the offer on the table while bargaining,
    and the outcome once bargaining is over (``payoffs``: the episode payoff once known; ``survival``: the
    probability that bargaining did not break down, in expected mode)."""
    shared: dict[str, Any] = {
        "phase": phase,
        "round": state.round,
        "proposer": state.proposer,
        "first_proposer": state.first,
    }
    if state.pending is not None and phase == BARGAINING:
        shared["offer"] = describe_offer(state.pending)
    if phase != BARGAINING:
        deal = state.deal
        shared["outcome"] = {
            "deal": deal is not None,
            "agreement_round": state.end_round if deal is not None else None,
            "end_round": state.end_round,
            "offer": None if deal is None else describe_offer(deal),
            "payoffs": None if payoffs is None else payoffs.tolist(),
            "survival": survival,
        }
    return shared
