"""The environment plays the game the theory solves.

Exact-SPE players (``make_policy("spe", env, role)``) on both sides must earn, in expected mode, exactly the SPE
values of docs/theory.md §5 (derived again here by hand) and, for any instance or encoding, the exact SPE that the theory
layer computes for the env's own offer sets. Sampled mode must converge to expected mode.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from infobargain.agents import make_policy
from infobargain.agents.analytic import game_problem
from infobargain.envs import information_bargaining_v1 as ib
from infobargain.envs.conventions import STRICT
from infobargain.envs.offers import ACCEPT, FIRST_OFFER
from infobargain.game.instance import Instance
from infobargain.game.protocol import Protocol
from infobargain.game.scenarios import scenario
from infobargain.theory import bargaining_problem, subgame_perfect

TOLERANCE = 1e-9


def play(environment: Any, seed: int | None = 0, policies: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
    """One episode; returns each agent's summed rewards (via ``last()``) and the final outcome info."""
    if seed is not None or not environment.agents:
        environment.reset(seed=seed)
    if policies is None:
        policies = {
            "sender_0": make_policy("spe", environment, "sender"),
            "receiver_0": make_policy("spe", environment, "receiver"),
        }
    totals = {agent: 0.0 for agent in environment.possible_agents}
    outcome: dict = {}
    for agent in environment.agent_iter():
        observation, reward, terminated, truncated, info = environment.last()
        totals[agent] += reward
        if terminated or truncated:
            outcome = info["outcome"]
            environment.step(None)
        else:
            environment.step(policies[agent].act(observation))
    return np.array([totals["sender_0"], totals["receiver_0"]]), outcome


def spe_payoffs(**kwargs: Any) -> np.ndarray:
    payoff, outcome = play(ib.env(**STRICT, **kwargs))
    assert np.allclose(payoff, outcome["payoffs"], atol=1e-12, rtol=0)  # rewards sum to the reported payoffs
    return payoff


# ---------------------------------------------------------------------------------------------------------------
# docs/theory.md §5, derived by hand.
#
# The feasible set is the triangle (0,0), (1/3,1/3), (2/3,0); its Pareto frontier is U_S + U_R = 2/3 with
# U_S ∈ [1/3, 2/3]; d = (0, 0). Ultimatum: the sender proposing takes the BP point (2/3, 0); the receiver proposing
# takes full disclosure (1/3, 1/3). Fixed role: the same proposer again in the last round, so nothing changes.
# Alternating, T = 10, p = 0.1, δ = 1 (continuation factor 0.9): the responder of round t gets 0.9·V_{t+1}.


def alternating_paper_values(first: str) -> tuple[Fraction, Fraction]:
    """Backward induction on the frontier line by hand, in exact fractions (each proposer stays on the line
    because every continuation value found is inside the frontier's range)."""
    third, two_thirds, factor = Fraction(1, 3), Fraction(2, 3), Fraction(9, 10)
    sender = Fraction(0)
    for round_index in reversed(range(10)):
        proposer = first if round_index % 2 == 0 else ("receiver" if first == "sender" else "sender")
        if round_index == 9:  # last round: the responder gets d = 0, the proposer its best point
            sender = third if proposer == "receiver" else two_thirds
        elif proposer == "sender":  # the receiver gets 0.9·V_R(t+1), the sender the rest of the line
            sender = max(third, two_thirds - factor * (two_thirds - sender))
        else:  # the sender gets 0.9·V_S(t+1); the receiver can get at most 1/3
            sender = max(third, factor * sender)
    return sender, two_thirds - sender


def test_hand_derived_alternating_values_match_theory_md() -> None:
    """docs/theory.md prints them to 6 decimals: (0.366667, 0.300000) and (0.438133, 0.228534)."""
    assert [float(v) for v in alternating_paper_values("sender")] == pytest.approx([0.366667, 0.3], abs=1e-6)
    assert [float(v) for v in alternating_paper_values("receiver")] == pytest.approx([0.438133, 0.228534], abs=1e-6)
    assert alternating_paper_values("sender") == (Fraction(11, 30), Fraction(3, 10))


PAPER_ROWS = [
    ({"protocol": "ultimatum", "first_proposer": "sender"}, (2 / 3, 0.0)),
    ({"protocol": "ultimatum", "first_proposer": "receiver"}, (1 / 3, 1 / 3)),
    ({"protocol": "fixed_role", "max_rounds": 5, "first_proposer": "sender"}, (2 / 3, 0.0)),
    ({"protocol": "fixed_role", "max_rounds": 5, "first_proposer": "receiver"}, (1 / 3, 1 / 3)),
    (
        {"protocol": "alternating", "max_rounds": 10, "break_off": 0.1, "first_proposer": "sender"},
        tuple(map(float, alternating_paper_values("sender"))),
    ),
    (
        {"protocol": "alternating", "max_rounds": 10, "break_off": 0.1, "first_proposer": "receiver"},
        tuple(map(float, alternating_paper_values("receiver"))),
    ),
]


@pytest.mark.parametrize("game", ["pure_math", "grading_students", "selling_products"])
@pytest.mark.parametrize(
    "kwargs, expected", PAPER_ROWS, ids=[f"{r[0]['protocol']}-{r[0]['first_proposer']}" for r in PAPER_ROWS]
)
def test_paper_table_rows(game: str, kwargs: dict[str, Any], expected: tuple[float, float]) -> None:
    payoff = spe_payoffs(game=game, offer_space="scheme", **kwargs)
    assert payoff == pytest.approx(expected, abs=TOLERANCE)


@pytest.mark.parametrize(
    "kwargs, expected", PAPER_ROWS, ids=[f"{r[0]['protocol']}-{r[0]['first_proposer']}" for r in PAPER_ROWS]
)
def test_paper_table_rows_with_exact_receiver_offers(kwargs: dict[str, Any], expected: tuple[float, float]) -> None:
    """The SPE players offer frontier schemes, where "exact" and "threshold" coincide."""
    payoff = spe_payoffs(offer_space="scheme", receiver_offer="exact", **kwargs)
    assert payoff == pytest.approx(expected, abs=TOLERANCE)


@pytest.mark.parametrize(
    "kwargs, expected", PAPER_ROWS, ids=[f"{r[0]['protocol']}-{r[0]['first_proposer']}" for r in PAPER_ROWS]
)
def test_paper_table_rows_on_the_frontier_encoding(kwargs: dict[str, Any], expected: tuple[float, float]) -> None:
    """grid_size = 31 puts the frontier points every 1/90 in U_S, which contains every SPE offer above
    (11/30 = 33/90; in the receiver-first game the sender's and receiver's offers need finer steps, so only the
    discretised SPE is exact there: checked against the theory layer below)."""
    environment = ib.env(**STRICT, offer_space="frontier", grid_size=31, **kwargs)
    payoff, _ = play(environment)
    exact = subgame_perfect(game_problem(environment.unwrapped), environment.unwrapped.rules, kwargs["first_proposer"])
    assert payoff == pytest.approx(exact.payoffs, abs=TOLERANCE)
    if not (kwargs["protocol"] == "alternating" and kwargs["first_proposer"] == "receiver"):
        assert payoff == pytest.approx(expected, abs=TOLERANCE)


# ---------------------------------------------------------------------------------------------------------------
# Plain bargaining over a pie (frontier encoding)


def pie_grid_spe(pie: str, rounds: int, first: str, grid_size: int, break_off: float, protocol: str) -> np.ndarray:
    """Backward induction by hand over the env's grid of kept shares (docs/theory.md §3–§5)."""
    high = 1.0 if pie == "split_pie" else 0.5
    keeps = np.linspace(0.0, high, grid_size)

    def split(keep: float) -> tuple[float, float]:  # (proposer, responder)
        return (keep, 1 - keep) if pie == "split_pie" else ((1 + 2 * keep) / 3, (1 - 2 * keep) / 3)

    value: np.ndarray | None = None
    for round_index in reversed(range(rounds)):
        proposer = (
            first
            if protocol != "alternating" or round_index % 2 == 0
            else ("receiver" if first == "sender" else "sender")
        )
        me = 0 if proposer == "sender" else 1
        rejection = np.zeros(2) if value is None else (1 - break_off) * value  # d = 0
        best: np.ndarray | None = None
        for keep in keeps:
            own, other = split(keep)
            point = np.zeros(2)
            point[me], point[1 - me] = own, other
            if other >= rejection[1 - me] - 1e-12 and (best is None or own > best[me]):
                best = point
        value = best if best is not None and best[me] >= rejection[me] - 1e-12 else rejection
    assert value is not None
    return value


@pytest.mark.parametrize("first", ["sender", "receiver"])
def test_split_pie_ultimatum_gives_the_proposer_everything(first: str) -> None:
    payoff = spe_payoffs(game="split_pie", protocol="ultimatum", first_proposer=first)
    assert payoff == pytest.approx((1.0, 0.0) if first == "sender" else (0.0, 1.0), abs=TOLERANCE)


@pytest.mark.parametrize("first", ["sender", "receiver"])
def test_split_pie_bounded_alternating_matches_theory_md(first: str) -> None:
    """docs/theory.md §5: the first proposer's offer is rejected; the other proposes x = 1/2 in round 1 and takes 2/3;
    with p = 0.1 the first proposer expects 0 and the second 0.9·2/3 = 0.6."""
    environment = ib.env(
        **STRICT, game="split_pie_bounded", protocol="alternating", max_rounds=10, break_off=0.1, first_proposer=first
    )
    payoff, outcome = play(environment)
    assert payoff == pytest.approx((0.0, 0.6) if first == "sender" else (0.6, 0.0), abs=TOLERANCE)
    assert outcome["deal"] and outcome["agreement_round"] == 1


def test_split_pie_three_rounds_on_a_fine_grid_is_the_continuous_spe() -> None:
    """T = 3, p = 0.1: round 2's proposer keeps 1; round 1's offers 0.9 and keeps 0.1; round 0's offers 0.9·0.1 and
    keeps 0.91. grid_size 101 holds every share, so the env reaches the continuous SPE exactly."""
    payoff = spe_payoffs(game="split_pie", protocol="alternating", max_rounds=3, break_off=0.1, grid_size=101)
    assert payoff == pytest.approx((0.91, 0.09), abs=TOLERANCE)


@pytest.mark.parametrize("pie", ["split_pie", "split_pie_bounded"])
@pytest.mark.parametrize("protocol", ["ultimatum", "fixed_role", "alternating"])
@pytest.mark.parametrize("first", ["sender", "receiver"])
@pytest.mark.parametrize("grid_size", [11, 26])
def test_pie_spe_is_the_spe_of_the_discretised_game(pie: str, protocol: str, first: str, grid_size: int) -> None:
    kwargs = {"game": pie, "protocol": protocol, "first_proposer": first, "grid_size": grid_size, "max_rounds": 10}
    environment = ib.env(**STRICT, **kwargs)
    payoff, _ = play(environment)
    by_hand = pie_grid_spe(pie, 1 if protocol == "ultimatum" else 10, first, grid_size, 0.1, protocol)
    assert payoff == pytest.approx(by_hand, abs=TOLERANCE)
    theory = subgame_perfect(game_problem(environment.unwrapped), environment.unwrapped.rules, first).payoffs
    assert payoff == pytest.approx(theory, abs=TOLERANCE)


def test_split_pie_alternating_approaches_the_continuous_value() -> None:
    """docs/theory.md §5: the first proposer of the continuous game (p = 0.1, T = 10) gets (1 − 0.9¹⁰)/1.9 = 0.342801.
    A grid of step 1/1000 moves each round's share by less than 1/1000, so the env lands within 10/1000."""
    payoff = spe_payoffs(game="split_pie", protocol="alternating", max_rounds=10, break_off=0.1, grid_size=1001)
    assert payoff[0] == pytest.approx((1 - 0.9**10) / 1.9, abs=1e-2)


# ---------------------------------------------------------------------------------------------------------------
# Any instance: the env's SPE is the theory layer's


PROTOCOL_SETTINGS = [
    {"protocol": "ultimatum"},
    {"protocol": "fixed_role", "max_rounds": 4, "break_off": 0.2},
    {"protocol": "alternating", "max_rounds": 6, "break_off": 0.1, "discount": 0.9},
]


@pytest.mark.parametrize("game", ["random:3x3:0", "random:3x3:1", "random:3x3:2", "random:2x3:5", "prosecutor"])
@pytest.mark.parametrize("settings", PROTOCOL_SETTINGS, ids=["ultimatum", "fixed_role", "alternating"])
@pytest.mark.parametrize("first", ["sender", "receiver"])
def test_random_instances_scheme_space(game: str, settings: dict[str, Any], first: str) -> None:
    """Continuous offers: the SPE of the instance's exact bargaining problem, built here from the scenario alone."""
    payoff = spe_payoffs(game=game, offer_space="scheme", first_proposer=first, **settings)
    problem = bargaining_problem(scenario(game))
    protocol = Protocol(first_proposer=first, **settings)
    assert payoff == pytest.approx(subgame_perfect(problem, protocol, first).payoffs, abs=TOLERANCE)


@pytest.mark.parametrize("game", ["random:3x3:0", "random:3x3:1", "random:3x3:2", "prosecutor"])
@pytest.mark.parametrize("offer_space, grid_size", [("frontier", 9), ("grid", 3)])
@pytest.mark.parametrize("settings", PROTOCOL_SETTINGS, ids=["ultimatum", "fixed_role", "alternating"])
@pytest.mark.parametrize("first", ["sender", "receiver"])
def test_discrete_encodings_play_the_spe_of_the_discretised_game(
    game: str, offer_space: str, grid_size: int, settings: dict[str, Any], first: str
) -> None:
    environment = ib.env(
        **STRICT, game=game, offer_space=offer_space, grid_size=grid_size, first_proposer=first, **settings
    )
    payoff, _ = play(environment)
    exact = subgame_perfect(game_problem(environment.unwrapped), environment.unwrapped.rules, first)
    assert payoff == pytest.approx(exact.payoffs, abs=TOLERANCE)


VARIANTS = [
    {"receiver_offer": "exact"},
    {"tie_break": "receiver", "obedience_margin": 0.05},
    {"tie_break": "sender", "obedience_margin": 0.05},
    {"tie_break": "receiver", "obedience_margin": 0.05, "receiver_offer": "exact"},
]


@pytest.mark.parametrize(
    "variant", VARIANTS, ids=["exact", "receiver-tie-margin", "margin", "receiver-tie-margin-exact"]
)
@pytest.mark.parametrize("game", ["pure_math", "random:3x3:3"])
@pytest.mark.parametrize("offer_space", ["scheme", "frontier"])
@pytest.mark.parametrize("settings", PROTOCOL_SETTINGS, ids=["ultimatum", "fixed_role", "alternating"])
@pytest.mark.parametrize("first", ["sender", "receiver"])
def test_variants_agree_with_theory(
    variant: dict[str, Any], game: str, offer_space: str, settings: dict[str, Any], first: str
) -> None:
    environment = ib.env(**STRICT, game=game, offer_space=offer_space, first_proposer=first, **variant, **settings)
    payoff, _ = play(environment)
    if offer_space == "scheme":
        problem = bargaining_problem(
            scenario(game), variant.get("tie_break", "sender"), variant.get("obedience_margin", 0.0)
        )
    else:
        problem = game_problem(environment.unwrapped)
    protocol = Protocol(first_proposer=first, **settings)
    assert payoff == pytest.approx(subgame_perfect(problem, protocol, first).payoffs, abs=TOLERANCE)


@pytest.mark.parametrize("tie_break", ["sender", "receiver"])
def test_obedience_margin_ultimatum_by_hand(tie_break: str) -> None:
    """Margin ε: hiring after signal 1 must beat not hiring by ε per unit of joint mass:
    x(bad,1)(−1 − ε) + x(good,1)(1 − ε) ≥ 0. The sender sends signal 1 in every good state (x(good,1) = 1/3) and in
    as many bad ones as allowed, x(bad,1) = (1 − ε)/(1 + ε)·1/3, so U_S = 1/3 + x(bad,1) and U_R = 1/3 − x(bad,1)."""
    epsilon = 0.05
    bad = (1 - epsilon) / (1 + epsilon) / 3
    payoff = spe_payoffs(protocol="ultimatum", offer_space="scheme", tie_break=tie_break, obedience_margin=epsilon)
    assert payoff == pytest.approx((1 / 3 + bad, 1 / 3 - bad), abs=TOLERANCE)


# ---------------------------------------------------------------------------------------------------------------
# When delay pays a proposer. Losses shrink under discounting (δ·x > x for x < 0), so with negative payoffs and δ < 1
# a proposer can prefer its rejection value C_t to every deal. It then delays only if it can make an offer the
# responder rejects; if every offer it can make is acceptable, the deal happens.

SENDER_SHIFTED = Instance([2 / 3, 1 / 3], [[-1, 0], [-1, 0]], [[0, -1], [0, 1]], name="sender_shifted")
"""The paper's instance with the sender's utility lowered by 1: U = (−1, 0), (−2/3, 1/3), (−1/3, 0); d = (−1, 0)."""
RECEIVER_SHIFTED = Instance([2 / 3, 1 / 3], [[0, 1], [0, 1]], [[-1, -2], [-1, 0]], name="receiver_shifted")
"""The paper's instance with the receiver's utility lowered by 1 (best responses unchanged):
U = (0, −1), (1/3, −2/3), (2/3, −1); d = (0, −1); Pareto frontier (1/3, −2/3)–(2/3, −1)."""
INDIFFERENT_SENDER = Instance([2 / 3, 1 / 3], [[-1, -1], [-1, -1]], [[0, -1], [0, 1]], name="indifferent_sender")
"""The sender pays 1 whatever happens: U = {−1} × [0, 1/3]; d = (−1, 0)."""
DELAY = {"protocol": "fixed_role", "max_rounds": 2, "break_off": 0.0, "discount": 0.5}


def test_proposer_who_prefers_delay_but_cannot_be_rejected_makes_the_deal() -> None:
    """SENDER_SHIFTED, fixed role, the sender proposes twice, δ = 1/2. Round 1: the BP point (−1/3, 0). Round 0: the
    sender's rejection value is ½·(−1/3) = −1/6, more than any deal gives it, but the receiver gets at least
    d_R = 0 = ½·0 from every scheme, so it accepts everything: the SPE is the BP point at once."""
    environment = ib.env(**STRICT, game=SENDER_SHIFTED, offer_space="scheme", **DELAY)
    payoff, outcome = play(environment)
    assert outcome["agreement_round"] == 0
    assert payoff == pytest.approx((-1 / 3, 0.0), abs=TOLERANCE)
    theory = subgame_perfect(bargaining_problem(SENDER_SHIFTED), Protocol(**DELAY), "sender")
    assert theory.payoffs == pytest.approx((-1 / 3, 0.0), abs=TOLERANCE)


def test_alternating_proposer_delays_with_an_offer_the_responder_rejects() -> None:
    """SENDER_SHIFTED, alternating, T = 2, δ = 1/2. Round 1: the receiver takes full disclosure (−2/3, 1/3). Round 0:
    C_0 = (−1/3, 1/6); the best deal the sender can get is (−1/2, 1/6), so it offers BP (receiver 0 < 1/6), which is
    rejected: the SPE is C_0 = (−1/3, 1/6)."""
    kwargs = {**DELAY, "protocol": "alternating"}
    environment = ib.env(**STRICT, game=SENDER_SHIFTED, offer_space="scheme", **kwargs)
    payoff, outcome = play(environment)
    assert outcome["agreement_round"] == 1
    assert payoff == pytest.approx((-1 / 3, 1 / 6), abs=TOLERANCE)
    theory = subgame_perfect(bargaining_problem(SENDER_SHIFTED), Protocol(**kwargs), "sender")
    assert theory.payoffs == pytest.approx((-1 / 3, 1 / 6), abs=TOLERANCE)


def test_spe_sender_delays_when_its_favourite_would_be_accepted() -> None:
    """INDIFFERENT_SENDER, fixed role, δ = 1/2. Round 1: the sender is indifferent, its lexicographic best gives the
    receiver 1/3: V_1 = (−1, 1/3). Round 0: C_0 = (−1/2, 1/6) beats every deal for the sender, and no information
    (receiver 0 < 1/6) is rejected: the SPE is (−1/2, 1/6). The SPE sender must not offer its favourite (−1, 1/3),
    which the receiver would accept, but an offer the receiver rejects."""
    environment = ib.env(**STRICT, game=INDIFFERENT_SENDER, offer_space="scheme", **DELAY)
    theory = subgame_perfect(bargaining_problem(INDIFFERENT_SENDER), Protocol(**DELAY), "sender")
    assert theory.payoffs == pytest.approx((-0.5, 1 / 6), abs=TOLERANCE)
    payoff, outcome = play(environment)
    assert outcome["agreement_round"] == 1
    assert payoff == pytest.approx((-0.5, 1 / 6), abs=TOLERANCE)


@pytest.mark.parametrize("offer_space", ["scheme", "grid"])
def test_spe_receiver_delays_with_exact_demands(offer_space: str) -> None:
    """RECEIVER_SHIFTED, the receiver proposes twice, δ = 1/2, receiver_offer="exact". Round 1: full disclosure
    (1/3, −2/3). Round 0: C_0 = (1/6, −1/3) beats every deal for the receiver, and demanding no information gives the
    sender 0 < 1/6, so it is rejected: the SPE is (1/6, −1/3)."""
    environment = ib.env(
        **STRICT,
        game=RECEIVER_SHIFTED,
        first_proposer="receiver",
        offer_space=offer_space,
        receiver_offer="exact",
        grid_size=5,
        **DELAY,
    )
    payoff, outcome = play(environment)
    assert outcome["agreement_round"] == 1
    assert payoff == pytest.approx((1 / 6, -1 / 3), abs=TOLERANCE)
    theory = subgame_perfect(game_problem(environment.unwrapped), environment.unwrapped.rules, "receiver")
    assert theory.payoffs == pytest.approx((1 / 6, -1 / 3), abs=TOLERANCE)


def test_threshold_receiver_cannot_delay_and_the_env_plays_the_true_spe() -> None:
    """The same game with receiver_offer="threshold": whatever the receiver demands, the sender commits to its best
    scheme meeting the demand, a point of the frontier (1/3, −2/3)–(2/3, −1) where the sender gets at least
    1/3 > 1/6. Every offer is accepted, so the SPE is the receiver's best point at once: (1/3, −2/3)."""
    for offer_space in ("scheme", "frontier", "grid"):
        environment = ib.env(
            **STRICT, game=RECEIVER_SHIFTED, first_proposer="receiver", offer_space=offer_space, grid_size=5, **DELAY
        )
        payoff, outcome = play(environment)
        assert outcome["agreement_round"] == 0
        assert payoff == pytest.approx((1 / 3, -2 / 3), abs=TOLERANCE)


def test_theory_of_threshold_receiver_offers_in_scheme_space() -> None:
    """The theory of the env's own offer sets knows that a threshold receiver can only offer frontier points."""
    environment = ib.env(**STRICT, game=RECEIVER_SHIFTED, first_proposer="receiver", offer_space="scheme", **DELAY)
    theory = subgame_perfect(game_problem(environment.unwrapped), environment.unwrapped.rules, "receiver")
    assert theory.payoffs == pytest.approx((1 / 3, -2 / 3), abs=TOLERANCE)


# ---------------------------------------------------------------------------------------------------------------
# Off the equilibrium path


def frontier_scheme_for_receiver_value(value: float) -> np.ndarray:
    """Paper instance: x2 = 1 and x1 = (1 − 3u)/2 gives (U_S, U_R) = (2/3 − u, u) (docs/theory.md §5)."""
    x1 = (1 - 3 * value) / 2
    return np.array([[1 - x1, x1], [0.0, 1.0]])


@pytest.mark.parametrize("offered", [0.0, 0.2, 0.29, 0.3, 0.31, 1 / 3])
def test_receiver_rejects_exactly_the_offers_below_its_rejection_value(offered: float) -> None:
    """Alternating, T = 10, p = 0.1, the sender first. After a rejection in round 0 the receiver proposes full
    disclosure in round 1 and the sender accepts (it gets 1/3 ≥ 0.9·11/30 = 0.33), so rejecting is worth
    0.1·d + 0.9·(1/3, 1/3) = (0.3, 0.3). The SPE receiver accepts iff it is offered at least 0.3."""
    environment = ib.env(**STRICT, offer_space="scheme", protocol="alternating", max_rounds=10, break_off=0.1)
    environment.reset(seed=0)
    encoding = environment.unwrapped.encoding
    receiver = make_policy("spe", environment, "receiver")
    sender = make_policy("spe", environment, "sender")
    environment.step(encoding.encode(frontier_scheme_for_receiver_value(offered)))  # the sender's deviation
    payoff, outcome = play(environment, seed=None, policies={"sender_0": sender, "receiver_0": receiver})
    if offered >= 0.3 - 1e-12:
        assert outcome["agreement_round"] == 0
        assert payoff == pytest.approx((2 / 3 - offered, offered), abs=TOLERANCE)
    else:
        assert outcome["agreement_round"] == 1
        assert payoff == pytest.approx((0.3, 0.3), abs=TOLERANCE)


@pytest.mark.parametrize("first", ["sender", "receiver"])
@pytest.mark.parametrize("protocol", ["fixed_role", "alternating"])
def test_responder_answers_every_round_zero_offer_with_its_rejection_value(first: str, protocol: str) -> None:
    """Frontier encoding: for each of the proposer's offers in round 0, the SPE responder accepts iff the offer gives
    it at least C_0 (theory's rejection value); rejecting leads to exactly C_0 when both play the SPE afterwards."""
    kwargs = {"game": "random:3x3:1", "offer_space": "frontier", "grid_size": 9, "protocol": protocol}
    environment = ib.env(**STRICT, first_proposer=first, max_rounds=6, break_off=0.1, discount=0.95, **kwargs)
    rules = environment.unwrapped.rules
    plan = subgame_perfect(game_problem(environment.unwrapped), rules, first).plan
    rejection = plan[0].rejection_value
    responder = 1 if first == "sender" else 0
    outcomes = set()
    for index in range(9):
        environment.reset(seed=0)
        policies = {agent: make_policy("spe", environment, agent[:-2]) for agent in environment.possible_agents}
        environment.step(FIRST_OFFER + index)
        offer = np.array(environment.unwrapped.infos["sender_0"]["offer"]["payoffs"])
        payoff, outcome = play(environment, seed=None, policies=policies)
        if offer[responder] >= rejection[responder] - 1e-9:
            assert outcome["agreement_round"] == 0
            assert payoff == pytest.approx(offer, abs=TOLERANCE)
        else:
            assert outcome["agreement_round"] != 0
            assert payoff == pytest.approx(rejection, abs=TOLERANCE)
        outcomes.add(outcome["agreement_round"] == 0)
    if protocol == "alternating":
        assert outcomes == {True, False}  # both branches were exercised


def test_proposer_answers_a_bad_counter_offer_with_its_rejection_value() -> None:
    """Alternating, the sender first, receiver_offer="exact": the receiver rejects the equilibrium offer and
    counter-offers no information, (0, 0). The sender's rejection value in round 1 is C_1[S] = 0.9·V_2[S] = 0.33 > 0,
    so it rejects and counter-offers round 2's equilibrium offer (11/30, 3/10), which the receiver accepts."""
    environment = ib.env(
        **STRICT, offer_space="scheme", protocol="alternating", max_rounds=10, break_off=0.1, receiver_offer="exact"
    )
    environment.reset(seed=0)
    encoding = environment.unwrapped.encoding
    policies = {agent: make_policy("spe", environment, agent[:-2]) for agent in environment.possible_agents}
    environment.step(policies["sender_0"].act(environment.observe("sender_0")))
    no_information = np.array([[0.5, 0.5], [0.5, 0.5]])
    environment.step(encoding.encode(no_information))  # receiver: reject and counter-offer (0, 0)
    assert environment.unwrapped.infos["sender_0"]["offer"]["payoffs"] == pytest.approx([0.0, 0.0], abs=1e-12)
    payoff, outcome = play(environment, seed=None, policies=policies)
    # from round 0: 0.9 (survive round 0's rejection) · 0.9 (survive round 1's) · (11/30, 3/10); d = 0.
    assert outcome["agreement_round"] == 2
    assert payoff == pytest.approx((0.81 * 11 / 30, 0.81 * 3 / 10), abs=TOLERANCE)


# ---------------------------------------------------------------------------------------------------------------
# Sampled mode converges to expected mode


def sampled_statistics(kwargs: dict[str, Any], episodes: int, policies: tuple[str, str] = ("spe", "spe")) -> dict:
    """Sample ``episodes`` episodes (one seeded reset, then the env's own generator) of the raw env, for speed."""
    environment = ib.raw_env(realization="sampled", **kwargs)
    environment.reset(seed=12345)
    bound = {
        "sender_0": make_policy(policies[0], environment, "sender"),
        "receiver_0": make_policy(policies[1], environment, "receiver"),
    }
    rounds = kwargs.get("realization_rounds", 10)
    results, deals = [], []
    for _ in range(episodes):
        environment.reset()
        payoff, outcome = play(environment, seed=None, policies=bound)
        assert payoff / rounds == pytest.approx(outcome["payoffs"], abs=1e-12)  # per-round rewards average out
        results.append(outcome["payoffs"])
        deals.append(outcome["deal"])
    values = np.array(results)
    return {
        "mean": values.mean(axis=0),
        "se": values.std(axis=0, ddof=1) / np.sqrt(episodes),
        "deal_rate": float(np.mean(deals)),
    }


SAMPLED_CASES = [
    pytest.param({"protocol": "alternating", "offer_space": "scheme"}, ("spe", "spe"), 600, id="paper-alternating"),
    # the BP sender insists on (2/3, 0) and the SPE receiver counter-offers: a deal in round 1, after break-off risk
    pytest.param(
        {"game": "prosecutor", "protocol": "alternating", "discount": 0.8, "break_off": 0.25},
        ("bp", "spe"),
        600,
        id="prosecutor-bp-vs-spe",
    ),
    pytest.param(
        {"protocol": "alternating", "offer_space": "frontier", "first_proposer": "receiver"},
        ("spe", "spe"),
        2000,
        id="paper-frontier-receiver-first",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        {"game": "random:3x3:2", "protocol": "fixed_role", "max_rounds": 3, "break_off": 0.3},
        ("spe", "nash"),
        2000,
        id="random-spe-vs-nash",
        marks=pytest.mark.slow,
    ),
]


@pytest.mark.parametrize("kwargs, policies, episodes", SAMPLED_CASES)
def test_sampled_mode_converges_to_expected_mode(
    kwargs: dict[str, Any], policies: tuple[str, str], episodes: int
) -> None:
    """Sampled episodes (fixed seed) against the exact expected-mode payoff of the same players: within 5 standard
    errors of the sample mean (plus 1e-12 for a player whose payoff has no randomness at all). The seeds are fixed,
    so the test cannot flake; 5 SE would be exceeded by chance with probability < 1e-6 for a fresh seed."""
    expected_env = ib.env(**STRICT, realization="expected", **kwargs)
    expected_env.reset(seed=0)
    expected_policies = {
        "sender_0": make_policy(policies[0], expected_env, "sender"),
        "receiver_0": make_policy(policies[1], expected_env, "receiver"),
    }
    exact, _ = play(expected_env, seed=None, policies=expected_policies)
    stats = sampled_statistics({**kwargs, "realization_rounds": 10}, episodes, policies)
    assert np.all(np.abs(stats["mean"] - exact) <= 5 * stats["se"] + 1e-12), (stats, exact)
    assert np.all(stats["se"] < 0.02)  # the band is tight enough to catch a wrong timing or payoff rule


def test_break_off_in_sampled_mode_gives_a_deal_rate_of_one_minus_p() -> None:
    """split_pie_bounded, alternating, p = 0.1: the SPE agrees in round 1 (docs/theory.md §5), after one break-off draw, so
    deals happen with probability 0.9; 2,000 episodes put the rate within 5·√(0.9·0.1/2000) ≈ 0.034 of 0.9.
    Each deal pays the round-1 proposer (the receiver) 2/3, so the receiver's mean is 2/3 of the deal rate."""
    episodes = 2000
    stats = sampled_statistics(
        {"game": "split_pie_bounded", "protocol": "alternating", "break_off": 0.1, "realization_rounds": 1}, episodes
    )
    assert abs(stats["deal_rate"] - 0.9) < 5 * np.sqrt(0.9 * 0.1 / episodes)
    assert stats["mean"][1] == pytest.approx(2 / 3 * stats["deal_rate"], abs=1e-9)
    assert stats["mean"][0] == pytest.approx(0.0, abs=1e-12)


def test_expected_mode_reports_survival_and_deal_probability() -> None:
    """split_pie_bounded in expected mode: bargaining survives round 0's rejection with probability 0.9."""
    environment = ib.env(**STRICT, game="split_pie_bounded", protocol="alternating", break_off=0.1)
    _, outcome = play(environment)
    assert outcome["survival"] == pytest.approx(0.9, abs=1e-15)
    assert outcome["deal"] and outcome["agreement_round"] == 1


def test_spe_players_never_take_illegal_actions_anywhere() -> None:
    """Across protocols, encodings and first proposers the SPE players' actions respect the masks (the wrapped env
    would raise otherwise), and each episode ends in a termination."""
    for protocol, space, first in itertools.product(
        ("ultimatum", "fixed_role", "alternating"), ("grid", "frontier"), ("sender", "receiver", "coin_flip")
    ):
        environment = ib.env(
            **STRICT,
            protocol=protocol,
            offer_space=space,
            first_proposer=first,
            grid_size=5,
            realization="sampled",
            realization_rounds=2,
        )
        for seed in range(2):
            _, outcome = play(environment, seed=seed)
            assert outcome["end_round"] is not None
    assert ACCEPT == 0
