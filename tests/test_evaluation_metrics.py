"""Scoring against theory: SPE players reproduce the exact SPE, and the geometry and fairness measures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from infobargain.evaluation import benchmarks, evaluate_players
from infobargain.evaluation.metrics import (
    frontier_distance,
    nash_product_ratio,
    receiver_shortfall,
    sender_surplus_share,
)
from infobargain.game.scenarios import scenario
from infobargain.theory.problem import bargaining_problem

PAPER = bargaining_problem(scenario("pure_math"))  # U = triangle (0,0), (1/3,1/3), (2/3,0)

PROTOCOLS = [
    {"protocol": "ultimatum"},
    {"protocol": "fixed_role", "max_rounds": 5},
    {"protocol": "alternating", "max_rounds": 10, "break_off": 0.1},
    {"protocol": "alternating", "max_rounds": 4, "break_off": 0.2, "discount": 0.9},
]


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: f"{p['protocol']}-{p.get('max_rounds', 1)}")
@pytest.mark.parametrize(
    ("game", "offer_space"),
    [("pure_math", "frontier"), ("pure_math", "grid"), ("prosecutor", "frontier"), ("split_pie_bounded", "frontier")],
)
def test_spe_players_reproduce_the_spe_of_the_game_played(protocol: dict, game: str, offer_space: str) -> None:
    kwargs = {"game": game, "offer_space": offer_space, "grid_size": 5, "first_proposer": "coin_flip", **protocol}
    result = evaluate_players("spe", "spe", kwargs, episodes=4, both_first=True, exploitability="none")
    bench = benchmarks(kwargs)
    for first in ("sender", "receiver"):
        group = result["by_first_proposer"][first]
        assert group["distance"]["spe_played"] <= 1e-9
        assert group["payoff"]["sender"]["ci95"] == 0.0  # deterministic players, expected mode
        spe = bench.spe_played[first]
        assert group["payoff"]["sender"]["mean"] == pytest.approx(spe.payoffs.sender, abs=1e-9)
        assert group["payoff"]["receiver"]["mean"] == pytest.approx(spe.payoffs.receiver, abs=1e-9)
        assert group["deal_rate"]["mean"] == pytest.approx(spe.deal_probability, abs=1e-12)
    realized, spe_split = result["advantages"]["realized"], result["advantages"]["spe_played"]
    assert realized["informational"] == pytest.approx(spe_split["informational"], abs=1e-9)
    assert realized["first_proposer"] == pytest.approx(spe_split["first_proposer"], abs=1e-9)


@pytest.mark.parametrize("protocol", PROTOCOLS[:3], ids=lambda p: p["protocol"])
def test_on_the_scheme_space_spe_players_reach_the_continuous_spe(protocol: dict) -> None:
    kwargs = {"offer_space": "scheme", "first_proposer": "coin_flip", **protocol}
    result = evaluate_players("spe", "spe", kwargs, episodes=2, both_first=True)
    for group in result["by_first_proposer"].values():
        assert group["distance"]["spe_continuous"] <= 1e-9
    assert result["exploitability"]["method"] == "not computed"


def test_paper_values_and_advantage_split() -> None:
    """docs/theory.md §5: alternating, p = 0.1, T = 10; ultimatum split 1/3 + 1/3."""
    kwargs = {"offer_space": "scheme", "first_proposer": "coin_flip"}
    result = evaluate_players("spe", "spe", kwargs, episodes=2, both_first=True)
    groups = result["by_first_proposer"]
    assert groups["sender"]["mean_outcome"]["sender"] == pytest.approx(0.366667, abs=1e-6)
    assert groups["receiver"]["mean_outcome"]["sender"] == pytest.approx(0.438133, abs=1e-6)
    assert groups["receiver"]["mean_outcome"]["receiver"] == pytest.approx(0.228534, abs=1e-6)
    assert result["advantages"]["ultimatum"] == pytest.approx({"informational": 1 / 3, "first_proposer": 1 / 3})
    assert groups["sender"]["frontier_distance"] <= 1e-9


def test_frontier_gap_by_hand() -> None:
    # Frontier from (1/3, 1/3) to (2/3, 0): the line u_S + u_R = 2/3.
    assert frontier_distance(PAPER, (0.5, 1 / 6)) == pytest.approx(0.0, abs=1e-12)
    assert frontier_distance(PAPER, (0.3, 0.2)) == pytest.approx((2 / 3 - 0.5) / math.sqrt(2))
    assert frontier_distance(PAPER, (0.0, 0.0)) == pytest.approx((2 / 3) / math.sqrt(2))
    assert frontier_distance(PAPER, (0.2, 0.2)) == pytest.approx(math.hypot(1 / 3 - 0.2, 1 / 3 - 0.2))
    # The receiver's best with u_S >= 0.5 is 1/6; with u_S >= 0.2 it is 1/3 (the frontier's top).
    assert receiver_shortfall(PAPER, (0.5, 0.1)) == pytest.approx(1 / 6 - 0.1)
    assert receiver_shortfall(PAPER, (0.2, 0.2)) == pytest.approx(1 / 3 - 0.2)
    assert math.isnan(receiver_shortfall(PAPER, (0.9, 0.0)))


def test_fairness_by_hand() -> None:
    assert sender_surplus_share(PAPER, (1 / 3, 1 / 3)) == pytest.approx(0.5)
    assert sender_surplus_share(PAPER, (0.5, 1 / 6)) == pytest.approx(0.75)
    assert sender_surplus_share(PAPER, (0.0, 0.0)) is None
    nash_point = np.array([1 / 3, 1 / 3])
    assert nash_product_ratio(PAPER, nash_point, nash_point) == pytest.approx(1.0)
    assert nash_product_ratio(PAPER, (0.5, 1 / 6), nash_point) == pytest.approx((0.5 / 6) / (1 / 9))
    assert nash_product_ratio(PAPER, (2 / 3, 0.0), nash_point) == 0.0


def test_groups_never_mix_first_proposers() -> None:
    result = evaluate_players("spe", "spe", {"first_proposer": "coin_flip"}, episodes=30, seed=2, exploitability="none")
    groups = result["by_first_proposer"]
    assert groups["sender"]["episodes"] + groups["receiver"]["episodes"] == 30
    for group in groups.values():
        assert group["payoff"]["sender"]["ci95"] == 0.0  # one first proposer per group: no spread at all


def test_fixed_game_required() -> None:
    with pytest.raises(ValueError, match="fixed game"):
        benchmarks({"game": lambda rng: scenario("pure_math")})
