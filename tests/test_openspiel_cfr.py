"""OpenSpiel's CFR+ baseline: its tree-size limit, the projection of its average policy onto the library's
players, and a run through the registry (train, resume)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pyspiel = pytest.importorskip("pyspiel", reason="open-spiel is not installed (pip install 'infobargain[clients]')")

from infobargain.agents.tabular import TabularPolicy  # noqa: E402
from infobargain.envs.information_bargaining_v1 import raw_env  # noqa: E402
from infobargain.evaluation.exploitability import exact_exploitability  # noqa: E402
from infobargain.evaluation.openspiel import PlayersPolicy  # noqa: E402
from infobargain.training import openspiel_cfr  # noqa: E402
from infobargain.training.config import RunConfig  # noqa: E402
from infobargain.training.registry import get_algorithm  # noqa: E402
from infobargain.training.runner import run_training  # noqa: E402

SMALL = {"game": "pure_math", "offer_space": "frontier", "grid_size": 5, "break_off": 0.1}
TWO_ROUNDS = {**SMALL, "protocol": "alternating", "first_proposer": "coin_flip", "max_rounds": 2}


def _brute_force(state: Any) -> int:
    if state.is_terminal():
        return 0
    if state.is_chance_node():
        return sum(_brute_force(state.child(outcome)) for outcome, _ in state.chance_outcomes())
    return 1 + sum(_brute_force(state.child(action)) for action in state.legal_actions())


@pytest.mark.parametrize(
    "protocol, first, rounds",
    [("ultimatum", "coin_flip", 1), ("alternating", "coin_flip", 3), ("fixed_role", "receiver", 3)],
)
def test_tree_size_counts_every_decision_node(protocol: str, first: str, rounds: int) -> None:
    game = openspiel_cfr._openspiel_game({**SMALL, "protocol": protocol, "first_proposer": first, "max_rounds": rounds})
    nodes = openspiel_cfr.tree_size(game)
    assert nodes == _brute_force(game.new_initial_state())
    assert openspiel_cfr.path_bound(game) <= nodes


def test_the_registry_refuses_trees_over_the_limit_up_front(tmp_path: Path) -> None:
    algorithm = get_algorithm("openspiel_cfr_plus")
    assert algorithm.fits({**SMALL, "protocol": "ultimatum", "first_proposer": "coin_flip", "grid_size": 25}) is None
    paper = {**TWO_ROUNDS, "max_rounds": 10, "grid_size": 25}
    reason = algorithm.fits(paper)
    assert reason is not None and "decision nodes" in reason and "10,000" in reason and "\n" not in reason
    assert "discrete offer space" in str(algorithm.fits({**SMALL, "offer_space": "scheme"}))
    assert get_algorithm("regret").fits(paper) is None  # other algorithms: every game is in reach
    config = RunConfig.from_dict({"run": {"algorithm": "openspiel_cfr_plus", "total_steps": 10**6}, "env": paper})
    with pytest.raises(ValueError, match="out of reach: CFR\\+'s game tree has over"):
        run_training(config, tmp_path / "refused", show_progress=False)
    assert not (tmp_path / "refused").exists()  # refused before a run directory is made


def test_projected_players_play_as_the_average_policy() -> None:
    """On the path of play, the occupancy projection keeps CFR's outcome: the projected pair's expected
    returns equal the history-dependent average policy's."""
    from open_spiel.python.algorithms import expected_game_score

    game = openspiel_cfr._openspiel_game(TWO_ROUNDS)
    solver = pyspiel.CFRPlusSolver(game)
    for _ in range(7):  # far from converged: still mixing, and dependent on history
        solver.evaluate_and_update_policy()
    average = solver.average_policy()
    env = raw_env(**TWO_ROUNDS)
    table = openspiel_cfr.situation_table(game, average, env)
    np.testing.assert_allclose(table.sum(axis=1), 1.0)
    players = [TabularPolicy(table, env, role) for role in ("sender", "receiver")]
    projected = PlayersPolicy(game, *players, TWO_ROUNDS)
    expected = pyspiel.expected_returns(game.new_initial_state(), average, -1, True)
    played = expected_game_score.policy_value(game.new_initial_state(), [projected, projected])
    np.testing.assert_allclose(played, expected, atol=1e-9)


def _config(total_steps: int) -> RunConfig:
    return RunConfig.from_dict(
        {
            "run": {"algorithm": "openspiel_cfr_plus", "total_steps": total_steps, "checkpoint_every": 4},
            "env": TWO_ROUNDS,
        }
    )


@pytest.mark.slow
def test_a_killed_cfr_run_resumes_to_the_same_players(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trains within its budget to a near-equilibrium (the library's exact NashConv), and a run killed after
    its 9th iteration resumes from the 8th to the same players as one never stopped."""
    budget = 40 * 2 * 62  # 40 iterations of the 62-node tree
    summary, trained = run_training(_config(budget), tmp_path / "straight", show_progress=False)
    assert trained.decisions == budget and trained.options["iterations"] == 40
    sender, receiver = summary["players"]["sender"], summary["players"]["receiver"]
    assert exact_exploitability(sender, receiver, TWO_ROUNDS).nash_conv < 0.02

    solver_class, calls = pyspiel.CFRPlusSolver, []

    class Dies:
        def __init__(self, game: Any) -> None:
            self.solver = solver_class(game)

        def evaluate_and_update_policy(self) -> None:
            calls.append(1)
            if len(calls) == 10:
                raise KeyboardInterrupt
            self.solver.evaluate_and_update_policy()

        def average_policy(self) -> Any:
            return self.solver.average_policy()

    monkeypatch.setattr(pyspiel, "CFRPlusSolver", Dies)
    with pytest.raises(KeyboardInterrupt):
        run_training(_config(budget), tmp_path / "killed", show_progress=False)
    monkeypatch.undo()
    summary, _ = run_training(_config(budget), tmp_path / "killed", resume=True, show_progress=False)
    with (
        np.load(tmp_path / "straight" / "players" / "sender.npz") as straight,
        np.load(summary["players"]["sender"]) as resumed,
    ):
        np.testing.assert_array_equal(straight["probabilities"], resumed["probabilities"])


@pytest.mark.slow
def test_a_leaderboard_cell_in_reach_scores_cfr_plus(tmp_path: Path) -> None:
    """``infobargain benchmark``'s cells run it like any self-play algorithm: the one-shot coin-flip pie (25 offers,
    52 decision nodes) within the budget, to a near-equilibrium, with a sample-efficiency curve."""
    pytest.importorskip("rliable")
    from test_leaderboard_curves import final_rows_match_the_curve_end

    from infobargain.evaluation.leaderboard import run_leaderboard

    document = run_leaderboard(
        ["openspiel_cfr_plus"],
        tasks=["barg_ultimatum:split_pie"],
        budget=52 * 2 * 60,
        seeds=[0],
        out=tmp_path,
        episodes=2,
        curves=3,
    )
    (cell,) = document["cell_results"]  # its checkpoints rebuild CFR+'s players: the curve ends on the cell
    assert len({point["decisions"] for point in cell["curve"]}) >= 3
    final_rows_match_the_curve_end(cell)
    rows = document["rows"]
    assert {row["first_proposer"] for row in rows} == {"sender", "receiver"}
    for row in rows:
        assert row["decisions"]["mean"] == 52 * 2 * 60
        assert row["nash_conv"]["mean"] < 0.01  # a Nash equilibrium: CFR+ does not aim at subgame perfection
