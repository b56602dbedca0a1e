"""Shared by the Stable-Baselines3 and self-play tests: small configs, legal play, and interrupting a run."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from infobargain.agents import Policy
from infobargain.envs.information_bargaining_v1 import AGENTS
from infobargain.envs.information_bargaining_v1 import env as make_env
from infobargain.training.config import RunConfig

FAST_SB3 = {"learning_rate": 3e-3, "n_steps": 64, "batch_size": 64, "n_envs": 4}
"""Hyper-parameters that learn the paper instance's small games in a few thousand steps."""


def sb3_config(algorithm: str = "sb3", total_steps: int = 1024, **env: Any) -> RunConfig:
    """A run config for quick SB3 / IBR runs: fast hyper-parameters, no TensorBoard-heavy settings changed."""
    config = RunConfig()
    config.run.algorithm, config.run.total_steps, config.run.checkpoint_every = algorithm, total_steps, 1
    for key, value in FAST_SB3.items():
        setattr(config.sb3, key, value)
    config.env.update(env)
    return config


def play_legal(players: dict[str, Policy], env_kwargs: dict[str, Any], episodes: int = 20, seed: int = 0) -> None:
    """Play ``episodes`` on the wrapped AEC env (which rejects illegal and out-of-space actions)."""
    env = make_env(**env_kwargs)
    for episode in range(episodes):
        env.reset(seed=seed + episode)
        for player in players.values():
            player.reset(seed + episode)
        for agent in env.agent_iter():
            observation, _, termination, truncation, _ = env.last()
            role = "sender" if agent == AGENTS["sender"] else "receiver"
            action = None if termination or truncation else players[role].act(observation)
            if action is not None and not isinstance(action, (int, np.integer)):
                assert env.action_space(agent).contains(np.asarray(action, dtype=np.float64))
            env.step(action)


def metric_steps(run_dir: Path) -> list[int]:
    with open(run_dir / "metrics.csv", newline="") as handle:
        return [int(float(row["step"])) for row in csv.DictReader(handle)]


def train_and_kill(config: RunConfig, run_dir: Path, *, after_checkpoints: int, timeout: float = 120.0) -> int:
    """Start ``config`` in a subprocess, SIGKILL it once ``after_checkpoints`` numbered checkpoints exist; returns
    how many existed when it was killed (the run must not have finished)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    config.save(run_dir.parent / f"{run_dir.name}.toml")
    code = (
        "import sys\n"
        "from infobargain.training.config import RunConfig\n"
        "from infobargain.training.runner import run_training\n"
        "run_training(RunConfig.load(sys.argv[1]), sys.argv[2], show_progress=False)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(run_dir.parent / f"{run_dir.name}.toml"), str(run_dir)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            count = len(list((run_dir / "checkpoints").glob("step_*.pt")))
            if count >= after_checkpoints:
                break
            assert process.poll() is None, "the run ended before it could be interrupted"
            time.sleep(0.05)
        else:
            raise AssertionError("no checkpoint appeared in time")
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not (run_dir / "summary.json").exists()
    return count
