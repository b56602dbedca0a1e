"""Regret matching+ self-play and the tabular players it returns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from infobargain.agents import load_policy
from infobargain.agents.tabular import SituationIndex, TabularPolicy, uniform_table
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT
from infobargain.evaluation.benchmarks import benchmarks
from infobargain.evaluation.exploitability import exact_exploitability
from infobargain.training.config import RunConfig
from infobargain.training.regret import RegretLearner, RegretSettings, train_regret
from infobargain.training.runner import run_training

MAIN_GAME = {  # configs/paper_selfplay.toml's game
    "game": "pure_math",
    "protocol": "alternating",
    "first_proposer": "coin_flip",
    "max_rounds": 10,
    "break_off": 0.1,
    "discount": 1.0,
    "offer_space": "frontier",
    "grid_size": 22,
    "realization": "expected",
}
ULTIMATUM = {"game": "pure_math", "protocol": "ultimatum", "first_proposer": "coin_flip", "grid_size": 11}


def test_situation_index_numbers_every_decision_once() -> None:
    index = SituationIndex(raw_env(**MAIN_GAME))
    assert index.count == 2 * 10 * 23
    # round 0 with nothing on the table: the first proposer offers
    assert index.actor[index.situation(1, 0, None)] == 1
    assert index.legal[index.situation(1, 0, None)].tolist() == [False, False] + [True] * 22
    # an offer on the table before the last round: accept or counter, never a plain rejection
    middle = index.legal[index.situation(0, 3, 5)]
    assert middle[ACCEPT] and not middle[REJECT] and middle[FIRST_OFFER:].all()
    last = index.legal[index.situation(0, 9, 5)]
    assert last[ACCEPT] and last[REJECT] and not last[FIRST_OFFER:].any()
    # alternating offers: only round 0 starts with nothing on the table
    assert not index.reachable[index.situation(0, 4, None)] and index.reachable[index.situation(0, 4, 3)]
    # the longest episode: an offer, nine counter-offers, the last response
    assert index.max_decisions == 11
    fixed = SituationIndex(raw_env(**{**MAIN_GAME, "protocol": "fixed_role", "max_rounds": 4}))
    assert fixed.max_decisions == 8  # an offer and a rejection per round
    assert fixed.reachable[fixed.situation(0, 3, None)]  # fixed roles: every round opens with nothing on the table


def test_tabular_player_round_trip_and_distribution(tmp_path: Path) -> None:
    env = raw_env(**ULTIMATUM)
    table = uniform_table(env)
    player = TabularPolicy(table, env, "receiver")
    player.save(tmp_path / "receiver.npz")
    loaded = load_policy(tmp_path / "receiver.npz", env, "receiver")
    assert isinstance(loaded, TabularPolicy) and np.array_equal(loaded.probabilities, table)
    with pytest.raises(ValueError, match="plays the receiver"):
        load_policy(tmp_path / "receiver.npz", env, "sender")
    # uniform players on a discrete space are covered exactly by the exploitability figures
    assert exact_exploitability(TabularPolicy(table, env, "sender"), player, ULTIMATUM).exact


def test_budget_is_never_exceeded() -> None:
    for budget in (11, 500, 3001):
        result = train_regret(MAIN_GAME, budget=budget, seed=0, settings=RegretSettings(games=64))
        assert result.decisions <= budget
        assert budget - result.decisions < 11 * 64  # stops only when another iteration might overspend
    with pytest.raises(ValueError, match="budget"):
        train_regret(MAIN_GAME, budget=0, seed=0)


def _distances(probabilities: np.ndarray, env_kwargs: dict) -> tuple[float, float]:
    env = raw_env(**env_kwargs)
    pair = TabularPolicy(probabilities, env, "sender"), TabularPolicy(probabilities, env, "receiver")
    exploit = exact_exploitability(*pair, env_kwargs)
    bench = benchmarks(env_kwargs)
    distance = max(
        float(np.linalg.norm(f.value - np.array(bench.spe_played[first].payoffs)))
        for first, f in exploit.by_first.items()
    )
    return distance, exploit.nash_conv


def test_ultimatum_is_learned_exactly() -> None:
    result = train_regret(ULTIMATUM, budget=20_000, seed=1)
    distance, nash_conv = _distances(result.probabilities, ULTIMATUM)
    assert distance < 1e-9 and nash_conv < 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_main_game_reaches_the_spe_in_the_main_jobs_budget(seed: int) -> None:
    result = train_regret(MAIN_GAME, budget=1_200_000, seed=seed)
    distance, nash_conv = _distances(result.probabilities, MAIN_GAME)
    assert distance <= 0.02 and nash_conv <= 0.02


def _regret_config(total_steps: int) -> RunConfig:
    return RunConfig.from_dict(
        {
            "run": {"algorithm": "regret", "total_steps": total_steps, "checkpoint_every": 3},
            "env": {"protocol": "alternating", "max_rounds": 3, "grid_size": 7},
            "regret": {"games": 64},
        }
    )


@pytest.mark.slow
def test_a_killed_regret_run_resumes_exactly_where_it_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables and the generator are checkpointed: kill after 7 iterations, resume from the 6th, end as a run that
    was never stopped, table for table."""
    run_training(_regret_config(20_000), tmp_path / "straight", show_progress=False)
    original, calls = RegretLearner.iterate, []

    def dies_at_the_eighth(self: RegretLearner, games: int) -> int:
        calls.append(games)
        if len(calls) == 8:
            raise KeyboardInterrupt
        return original(self, games)

    monkeypatch.setattr(RegretLearner, "iterate", dies_at_the_eighth)
    with pytest.raises(KeyboardInterrupt):
        run_training(_regret_config(20_000), tmp_path / "killed", show_progress=False)
    monkeypatch.setattr(RegretLearner, "iterate", original)
    summary, trained = run_training(_regret_config(20_000), tmp_path / "killed", resume=True, show_progress=False)
    with (
        np.load(tmp_path / "straight" / "players" / "sender.npz") as straight,
        np.load(summary["players"]["sender"]) as resumed,
    ):
        np.testing.assert_array_equal(straight["probabilities"], resumed["probabilities"])
    assert trained.decisions <= 20_000
    steps = [int(line.split(",")[0]) for line in (tmp_path / "killed" / "metrics.csv").read_text().splitlines()[1:]]
    assert steps == sorted(set(steps))  # the resumed run logs each checkpoint once
