"""The multi-agent PPO: learns the ultimatum SPE, writes a complete run directory, resumes exactly."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from infobargain.agents import load_policy
from infobargain.agents.learned import load_torch_player
from infobargain.envs import information_bargaining_v1
from infobargain.training import common, mappo
from infobargain.training.config import RunConfig
from infobargain.training.runner import run_training


def small_config(total_steps: int, **env: object) -> RunConfig:
    config = RunConfig()
    config.override(
        [
            f"run.total_steps={total_steps}",
            "run.checkpoint_every=1",
            "run.eval_episodes=20",
            "mappo.num_envs=64",
            "mappo.hidden_size=32",
            *(f"env.{key}={value}" for key, value in env.items()),
        ]
    )
    return config


def play_saved_players(run_dir: Path, config: RunConfig) -> None:
    """Load the run's players as policies (on the CPU) and play one episode; the env checks every action."""
    env = information_bargaining_v1.env(**config.env)
    env.reset(seed=0)
    players = {
        agent: load_policy(run_dir / "players" / f"{agent[:-2]}.pt", env, agent[:-2]) for agent in env.possible_agents
    }
    decisions = 0
    for agent in env.agent_iter():
        observation, _, terminated, truncated, _ = env.last()
        if terminated or truncated:
            env.step(None)
            continue
        env.step(players[agent].act(observation))
        decisions += 1
    assert decisions >= 2  # at least an offer and its answer
    assert env.agents == []
    assert env.unwrapped.payoffs is not None


def metric_rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row.pop("wall_time")
    return rows


@pytest.mark.slow
def test_resumed_run_ends_with_the_metrics_of_an_uninterrupted_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_training(small_config(3000), tmp_path / "straight", show_progress=False)
    real_update, calls = mappo.ppo_update, {"count": 0}

    def interrupted_update(*args: object, **kwargs: object) -> dict[str, float]:
        calls["count"] += 1
        if calls["count"] == 9:  # mid-way through the fifth update (two players per update)
            raise KeyboardInterrupt
        return real_update(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mappo, "ppo_update", interrupted_update)
    with pytest.raises(KeyboardInterrupt):
        run_training(small_config(3000), tmp_path / "resumed", show_progress=False)
    monkeypatch.setattr(mappo, "ppo_update", real_update)
    run_training(small_config(3000), tmp_path / "resumed", resume=True, show_progress=False)
    straight, resumed = metric_rows(tmp_path / "straight"), metric_rows(tmp_path / "resumed")
    assert len(straight) > 5
    assert resumed == straight
    for role in ("sender", "receiver"):
        a = torch.load(tmp_path / "straight" / "players" / f"{role}.pt", weights_only=False)["state_dict"]
        b = torch.load(tmp_path / "resumed" / "players" / f"{role}.pt", weights_only=False)["state_dict"]
        assert all(torch.equal(a[key], b[key]) for key in a)


@pytest.mark.slow
def test_resume_after_kill_9(tmp_path: Path) -> None:
    """SIGKILL a training process once it has checkpointed, resume it, and compare with an uninterrupted run."""
    config_path = tmp_path / "config.toml"
    small_config(6000).save(config_path)
    command = [sys.executable, "-m", "infobargain.cli", "train", "--config", str(config_path), "--no-progress"]
    subprocess.run([*command, "--run-dir", str(tmp_path / "straight")], check=True, capture_output=True)
    process = subprocess.Popen(
        [*command, "--run-dir", str(tmp_path / "killed")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    checkpoints = tmp_path / "killed" / "checkpoints"
    deadline = time.monotonic() + 120
    while len(list(checkpoints.glob("step_*.pt"))) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is not None:
        pytest.skip("training finished before it could be killed (machine too fast for this budget)")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (tmp_path / "killed" / "players" / "sender.pt").exists()
    subprocess.run([*command, "--run-dir", str(tmp_path / "killed"), "--resume"], check=True, capture_output=True)
    assert metric_rows(tmp_path / "killed") == metric_rows(tmp_path / "straight")
    for name in (
        "config.toml",
        "metrics.csv",
        "evaluation.json",
        "report.md",
        "players/sender.pt",
        "players/receiver.pt",
    ):
        assert (tmp_path / "killed" / name).exists(), name


def test_resume_refuses_a_different_configuration(tmp_path: Path) -> None:
    run_training(small_config(300), tmp_path / "run", show_progress=False)
    with pytest.raises(ValueError, match=r"mappo\.num_envs"):
        changed = small_config(600)
        changed.mappo.num_envs = 32
        run_training(changed, tmp_path / "run", resume=True, show_progress=False)
    with pytest.raises(ValueError, match="already holds a run"):
        run_training(small_config(300), tmp_path / "run", show_progress=False)


@pytest.mark.slow
def test_self_play_learns_the_ultimatum_spe(tmp_path: Path) -> None:
    """Ultimatum on the paper's instance, both first proposers: (2/3, 0) sender first, (1/3, 1/3) receiver first."""
    config = small_config(60_000, protocol="ultimatum", grid_size=11)
    config.mappo.num_envs, config.mappo.hidden_size, config.mappo.learning_rate = 512, 64, 3e-3
    summary, _ = run_training(config, tmp_path / "run", show_progress=False)
    paths = summary["players"]
    networks = [
        load_torch_player(paths[role], information_bargaining_v1.raw_env(**config.env), role).module
        for role in ("sender", "receiver")
    ]
    outcome = mappo.greedy_outcome(config, networks)
    np.testing.assert_allclose(outcome["sender"], (2 / 3, 0.0), atol=0.02)
    np.testing.assert_allclose(outcome["receiver"], (1 / 3, 1 / 3), atol=0.02)


def test_saved_players_load_as_policies_and_play_legally(tmp_path: Path) -> None:
    config = small_config(500)
    run_training(config, tmp_path / "run", show_progress=False)
    play_saved_players(tmp_path / "run", config)


def test_subgame_starts_cover_every_round() -> None:
    envs = mappo.VectorBargainingEnv(2000, autoreset=False)
    rng = np.random.default_rng(0)
    starts = common.subgame_starts(rng, envs, 0.9, progress=0.0, curriculum=0.0)
    assert set(np.unique(starts)) == set(range(envs.rules.rounds))
    assert abs((starts == 0).mean() - (0.1 + 0.9 / envs.rules.rounds)) < 0.03
    early = common.subgame_starts(rng, envs, 1.0, progress=0.0, curriculum=0.5)
    assert set(np.unique(early)) == {envs.rules.rounds - 1}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run on a GPU machine)")
def test_self_play_trains_on_a_gpu_and_its_players_load_on_the_cpu(tmp_path: Path) -> None:
    config = small_config(2000)
    config.run.device = "cuda"
    run_training(config, tmp_path / "run", show_progress=False)
    saved = torch.load(tmp_path / "run" / "checkpoints" / "latest.pt", weights_only=False, map_location="cpu")
    assert saved["step"] >= 2000
    play_saved_players(tmp_path / "run", config)


def test_an_unavailable_device_is_refused() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    with pytest.raises(ValueError, match=r"run\.device"):
        common.training_device("cuda")
    assert common.training_device("auto") == torch.device("cpu")


@pytest.mark.parametrize(("algorithm", "width"), [("mappo", 2), ("ippo", 1)])
def test_mappo_has_a_centralised_critic_and_ippo_independent_ones(algorithm: str, width: int, tmp_path: Path) -> None:
    config = small_config(500)
    if algorithm != "mappo":
        settings = config.to_dict()["mappo"]
        config = RunConfig.from_dict({"run": {**config.to_dict()["run"], "algorithm": algorithm}, algorithm: settings})
    run_training(config, tmp_path / "run", show_progress=False)
    saved = torch.load(tmp_path / "run" / "players" / "sender.pt", weights_only=False)
    assert saved["critic_size"] == width * saved["observation_size"]
    assert saved["state_dict"]["critic.0.weight"].shape[1] == width * saved["observation_size"]
    play_saved_players(tmp_path / "run", config)


def test_the_critic_is_the_algorithms_not_a_setting() -> None:
    with pytest.raises(ValueError, match=r"mappo\.critic: unknown key"):
        small_config(100).override(["mappo.critic=independent"])
