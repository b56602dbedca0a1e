"""Iterated best response with Stable-Baselines3: the run directory, both players, pools, resume."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sb3_helpers import metric_steps, play_legal, sb3_config, train_and_kill

from infobargain.agents import load_policy
from infobargain.agents.sb3 import SB3Policy, load_sb3_model
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.training.runner import run_training
from infobargain.training.selfplay import phase_end, phases


def rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_phases_alternate_and_split_the_budget() -> None:
    assert phases(2, "sender") == [(1, "sender"), (1, "receiver"), (2, "sender"), (2, "receiver")]
    assert phases(1, "receiver") == [(1, "receiver"), (1, "sender")]
    assert [phase_end(1000, k, 4) for k in range(4)] == [250, 500, 750, 1000]


@pytest.mark.slow
@pytest.mark.parametrize("pool", [False, True], ids=["latest", "pool"])
def test_ibr_smoke_run_directory_is_complete(tmp_path: Path, pool: bool) -> None:
    config = sb3_config("sb3_ibr", total_steps=2048, protocol="alternating", first_proposer="coin_flip", grid_size=5)
    config.sb3_ibr.rounds, config.sb3_ibr.pool = 2, pool
    summary, _ = run_training(config, tmp_path, show_progress=False)
    assert summary["players"] == {role: str(tmp_path / "players" / f"{role}.zip") for role in ("sender", "receiver")}
    for name in ("config.toml", "metrics.csv", "checkpoints/latest.pt", "tensorboard"):
        assert (tmp_path / name).exists(), name
    snapshots = sorted(path.name for path in (tmp_path / "snapshots").iterdir())
    assert snapshots == ["receiver_01.zip", "receiver_02.zip", "sender_01.zip", "sender_02.zip"]

    logged = rows(tmp_path)
    assert [int(row["step"]) for row in logged] == list(range(256, 2048 + 1, 256))  # two rollouts per phase
    assert [int(float(row["ibr/phase"])) for row in logged] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert [int(float(row["ibr/learner"])) for row in logged] == [0, 0, 1, 1, 0, 0, 1, 1]
    assert "greedy/receiver_first/sender_payoff" in logged[0]

    env = raw_env(**config.env)
    players = {role: load_policy(tmp_path / "players" / f"{role}.zip", env, role) for role in ("sender", "receiver")}
    assert all(isinstance(player, SB3Policy) for player in players.values())
    assert load_sb3_model(tmp_path / "players" / "sender.zip").num_timesteps == 1024  # its half of the budget
    play_legal(players, dict(config.env))


def test_ibr_resume_after_a_finished_phase_does_not_repeat_it(tmp_path: Path) -> None:
    """A run stopped after its last checkpoint resumes into the same directory and finishes the schedule once."""
    config = sb3_config("sb3_ibr", total_steps=1024, protocol="ultimatum", first_proposer="coin_flip", grid_size=5)
    config.sb3_ibr.rounds = 1
    run_training(config, tmp_path, show_progress=False)
    before = rows(tmp_path)
    run_training(config, tmp_path, resume=True, show_progress=False)  # nothing left to do
    assert rows(tmp_path) == before


@pytest.mark.slow
def test_a_killed_ibr_run_resumes_and_completes(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    config = sb3_config("sb3_ibr", total_steps=6144, protocol="alternating", first_proposer="coin_flip", grid_size=5)
    config.sb3_ibr.rounds, config.sb3_ibr.pool = 2, True
    train_and_kill(config, run_dir, after_checkpoints=3)
    run_training(config, run_dir, resume=True, show_progress=False)
    assert metric_steps(run_dir) == list(range(256, 6144 + 1, 256))  # every rollout once, in order
    phases_logged = [int(float(row["ibr/phase"])) for row in rows(run_dir)]
    assert phases_logged == sorted(phases_logged) and set(phases_logged) == {0, 1, 2, 3}
    assert len(list((run_dir / "snapshots").iterdir())) == 4
    env = raw_env(**config.env)
    play_legal(
        {role: load_policy(run_dir / "players" / f"{role}.zip", env, role) for role in ("sender", "receiver")},
        dict(config.env),
    )


def test_checkpoints_rebuild_both_sides_for_the_leaderboard_curves(tmp_path: Path) -> None:
    """``sb3_ibr_players``: a checkpoint plays the two models it holds, the side with no phase yet plays the start,
    and the last checkpoint plays as the saved players do."""
    import numpy as np

    from infobargain.training.checkpoint_players import sb3_ibr_players
    from infobargain.training.rundir import numbered_checkpoints

    config = sb3_config("sb3_ibr", total_steps=1024, protocol="alternating", first_proposer="coin_flip", grid_size=5)
    config.sb3_ibr.rounds, config.run.checkpoint_every, config.run.keep_checkpoints = 1, 1, 0
    run_training(config, tmp_path, show_progress=False)
    checkpoints = numbered_checkpoints(tmp_path / "checkpoints")
    assert list(checkpoints) == [256, 512, 768, 1024]

    sender, receiver = sb3_ibr_players(tmp_path, checkpoints[256])  # the sender's phase: no receiver model yet
    assert isinstance(sender, SB3Policy) and receiver == config.sb3_ibr.start == "random"

    env = raw_env(**config.env)
    saved = {role: load_policy(tmp_path / "players" / f"{role}.zip", env, role) for role in ("sender", "receiver")}
    rebuilt = dict(zip(("sender", "receiver"), sb3_ibr_players(tmp_path, checkpoints[1024]), strict=True))
    env.reset(seed=0)
    for agent in env.agent_iter():
        observation, _, terminated, truncated, _ = env.last()
        if terminated or truncated:
            env.step(None)
            continue
        role = agent.split("_")[0]
        np.testing.assert_allclose(rebuilt[role].distribution(observation), saved[role].distribution(observation))
        env.step(saved[role].act(observation))
