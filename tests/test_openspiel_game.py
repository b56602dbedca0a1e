"""The OpenSpiel game: its chance nodes and payoffs, and OpenSpiel's NashConv against the library's exact one."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pyspiel = pytest.importorskip("pyspiel", reason="open-spiel is not installed (pip install 'infobargain[clients]')")

from open_spiel.python.algorithms import cfr, expected_game_score, exploitability  # noqa: E402

from infobargain.envs import ACCEPT, FIRST_OFFER, REJECT  # noqa: E402
from infobargain.envs.openspiel_game import load_game  # noqa: E402
from infobargain.evaluation import exact_exploitability  # noqa: E402
from infobargain.evaluation.openspiel import PlayersPolicy, game_for, openspiel_nash_conv  # noqa: E402
from infobargain.game.limits import SizeLimitError  # noqa: E402
from infobargain.game.state import BREAK_DOWN, CONTINUE, IllegalActionError  # noqa: E402

CONFIGURATIONS = [
    {"protocol": "ultimatum", "first_proposer": "coin_flip", "grid_size": 6},
    {"protocol": "alternating", "first_proposer": "coin_flip", "max_rounds": 3, "grid_size": 5},
    {
        "protocol": "fixed_role",
        "first_proposer": "receiver",
        "max_rounds": 4,
        "break_off": 0.2,
        "game": "prosecutor",
        "grid_size": 11,  # OpenSpiel's NashConv walks every history: (2 · grid)^rounds grows fast
    },
    {
        "protocol": "alternating",
        "max_rounds": 3,
        "break_off": 0.0,
        "discount": 0.8,
        "offer_space": "grid",
        "grid_size": 3,
    },
    {"protocol": "alternating", "first_proposer": "coin_flip", "max_rounds": 4, "game": "split_pie", "grid_size": 6},
]
NON_EQUILIBRIUM = [("spe", "obedient"), ("random", "spe"), ("nash", "threshold:0.2"), ("bp", "random")]


def test_the_game_loads_by_name_and_passes_openspiel_random_simulations() -> None:
    game = pyspiel.load_game("python_infobargain", {"protocol": "alternating", "max_rounds": 3, "grid_size": 4})
    assert game.num_players() == 2 and game.num_distinct_actions() == FIRST_OFFER + 4
    assert game.get_type().utility == pyspiel.GameType.Utility.GENERAL_SUM
    pyspiel.random_sim_test(game, num_sims=20, serialize=False, verbose=False)


def test_chance_nodes_for_the_coin_flip_and_the_break_off() -> None:
    game = load_game(protocol="alternating", first_proposer="coin_flip", max_rounds=2, break_off=0.3, grid_size=4)
    state = game.new_initial_state()
    assert state.is_chance_node() and state.chance_outcomes() == [(0, 0.5), (1, 0.5)]
    state.apply_action(1)  # the receiver proposes first
    assert state.current_player() == 1 and state.legal_actions() == [2, 3, 4, 5]
    state.apply_action(FIRST_OFFER)
    assert state.current_player() == 0 and state.legal_actions() == [ACCEPT, 2, 3, 4, 5]  # counter-offers
    state.apply_action(FIRST_OFFER + 3)
    assert state.is_chance_node()
    assert state.chance_outcomes() == [(BREAK_DOWN, pytest.approx(0.3)), (CONTINUE, pytest.approx(0.7))]
    broken = state.clone()
    broken.apply_action(BREAK_DOWN)
    assert broken.is_terminal() and broken.returns() == pytest.approx(game.tables.disagreement.tolist())
    state.apply_action(CONTINUE)  # round 1, the last: the sender's counter-offer is on the table
    assert state.current_player() == 1 and state.legal_actions() == [ACCEPT, REJECT]
    rejected = state.clone()
    rejected.apply_action(REJECT)  # the deadline: no chance node
    assert rejected.is_terminal() and rejected.returns() == pytest.approx(game.tables.disagreement.tolist())
    state.apply_action(ACCEPT)
    assert state.returns() == pytest.approx(game.tables.offer_payoffs["sender"][3].tolist())


def test_discounting_and_no_chance_node_without_break_off() -> None:
    game = load_game(protocol="fixed_role", max_rounds=3, break_off=0.0, discount=0.5, grid_size=4)
    state = game.new_initial_state()
    state.apply_action(FIRST_OFFER)
    state.apply_action(REJECT)
    assert state.is_chance_node() and state.chance_outcomes() == [(CONTINUE, 1.0)]
    state.apply_action(CONTINUE)
    state.apply_action(FIRST_OFFER + 2)
    state.apply_action(ACCEPT)
    assert state.returns() == pytest.approx((0.5 * game.tables.offer_payoffs["sender"][2]).tolist())


@pytest.mark.parametrize(
    ("prefix", "action", "message"),
    [
        ([], ACCEPT, "sender must offer"),  # was played as offer −2 by negative indexing, then accepted
        ([], REJECT, "sender must offer"),
        ([], 999, "sender must offer"),  # was an IndexError
        ([], -2, "sender must offer"),
        ([FIRST_OFFER], FIRST_OFFER + 1, "receiver responds"),  # an ultimatum responder cannot counter-offer
    ],
)
def test_illegal_actions_raise_the_librarys_error(prefix: list[int], action: int, message: str) -> None:
    game = load_game(protocol="ultimatum", first_proposer="sender", grid_size=4)
    state = game.new_initial_state()
    for done in prefix:
        state.apply_action(done)
    with pytest.raises(IllegalActionError, match=message):
        state.apply_action(action)
    assert not state.is_terminal() and state.history() == prefix


def test_the_coin_flip_takes_only_its_two_outcomes() -> None:
    state = load_game(first_proposer="coin_flip", grid_size=4).new_initial_state()
    with pytest.raises(IllegalActionError, match="coin flip"):
        state.apply_action(5)
    assert state.is_chance_node()


def test_a_whole_number_discount_is_a_discount() -> None:
    whole, real = load_game(discount=1, grid_size=4), load_game(discount=1.0, grid_size=4)
    assert whole.get_parameters()["discount"] == 1.0
    assert whole.get_parameters() == real.get_parameters()


def test_an_oversized_grid_is_refused_before_anything_is_built() -> None:
    with pytest.raises(SizeLimitError, match="bargaining tree"):
        load_game(grid_size=10**7)


def test_the_continuous_offer_space_is_refused() -> None:
    with pytest.raises(ValueError, match="offer_space: OpenSpiel needs a discrete offer space"):
        load_game(offer_space="scheme")


@pytest.mark.slow
@pytest.mark.parametrize("kwargs", CONFIGURATIONS, ids=lambda k: f"{k['protocol']}-{k.get('game', 'pure_math')}")
def test_openspiel_nash_conv_is_zero_for_spe_players_and_agrees_with_ours(kwargs: dict[str, Any]) -> None:
    assert abs(openspiel_nash_conv("spe", "spe", kwargs)) <= 1e-9
    for sender, receiver in NON_EQUILIBRIUM:
        ours = exact_exploitability(sender, receiver, kwargs)
        assert openspiel_nash_conv(sender, receiver, kwargs) == pytest.approx(ours.nash_conv, abs=1e-9)


def test_the_pair_value_matches_our_exact_value() -> None:
    kwargs = CONFIGURATIONS[1]
    game = game_for(kwargs)
    players = PlayersPolicy(game, "nash", "threshold:0.2", kwargs)
    value = expected_game_score.policy_value(game.new_initial_state(), [players, players])
    ours = exact_exploitability("nash", "threshold:0.2", kwargs)
    expected = np.mean([first.value for first in ours.by_first.values()], axis=0)
    np.testing.assert_allclose(value, expected, atol=1e-12)


def test_cfr_runs_and_approaches_an_equilibrium() -> None:
    game = load_game(protocol="ultimatum", grid_size=5)
    solver = cfr.CFRSolver(game)
    for _ in range(100):
        solver.evaluate_and_update_policy()
    assert exploitability.nash_conv(game, solver.average_policy()) < 0.01


@pytest.mark.parametrize(
    ("kwargs", "budget"), [(CONFIGURATIONS[0], 300), (CONFIGURATIONS[1], 3_000)], ids=["ultimatum", "alternating"]
)
def test_openspiel_nash_conv_agrees_with_ours_on_trained_players(kwargs: dict[str, Any], budget: int) -> None:
    from infobargain.agents.tabular import TabularPolicy
    from infobargain.envs.information_bargaining_v1 import raw_env
    from infobargain.training.regret import train_regret

    # A short run of the regret learner leaves mixed strategies that are not yet an equilibrium.
    result = train_regret(kwargs, budget=budget, seed=0)
    sender, receiver = (TabularPolicy(result.probabilities, raw_env(**kwargs), role) for role in ("sender", "receiver"))
    ours = exact_exploitability(sender, receiver, kwargs).nash_conv
    assert ours > 1e-3  # a real test: the trained pair is exploitable
    assert openspiel_nash_conv(sender, receiver, kwargs) == pytest.approx(ours, abs=1e-9)
