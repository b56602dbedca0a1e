"""Run directories across real processes: kill -9 before the first checkpoint, and two trainings into one
directory (slow: each starts ``infobargain train`` in a subprocess)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infobargain.training.config import RunConfig

pytestmark = pytest.mark.slow


def config_file(folder: Path, total_steps: int, checkpoint_every: int) -> Path:
    config = RunConfig()
    config.override(
        [
            f"run.total_steps={total_steps}",
            f"run.checkpoint_every={checkpoint_every}",
            "run.eval_episodes=10",
            "mappo.num_envs=32",
            "mappo.hidden_size=16",
        ]
    )
    path = folder / f"config-{total_steps}-{checkpoint_every}.toml"
    config.save(path)
    return path


def train(config: Path, run: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "infobargain.cli", "train", "--config", str(config), "--run-dir", str(run), *extra]


def rows(run: Path) -> list[dict[str, str]]:
    with open(run / "metrics.csv", newline="") as handle:
        found = list(csv.DictReader(handle))
    for row in found:
        row.pop("wall_time")
    return found


def wait_for_rows(run: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if (run / "metrics.csv").exists() and len((run / "metrics.csv").read_text().splitlines()) > count:
            return
        time.sleep(0.02)
    pytest.fail("training ended or stalled before writing the rows to interrupt")


def test_kill_9_before_the_first_checkpoint_then_resume_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    config = config_file(tmp_path, 4000, 1000)  # one checkpoint, at the very end
    subprocess.run(train(config, tmp_path / "straight", "--no-progress"), check=True, capture_output=True)
    run = tmp_path / "killed"
    process = subprocess.Popen(
        train(config, run, "--no-progress"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for_rows(run, 3, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not list((run / "checkpoints").glob("step_*.pt"))
    resumed = subprocess.run(
        train(config, run, "--resume", "--no-progress"), capture_output=True, text=True, check=True
    )
    assert "no checkpoint yet; starting from step 0" in resumed.stderr
    assert rows(run) == rows(tmp_path / "straight")


def test_a_second_training_into_a_busy_directory_stops_and_names_the_holder(tmp_path: Path) -> None:
    run = tmp_path / "run"
    first = subprocess.Popen(  # long enough to still be training when the second one starts (about a second)
        train(config_file(tmp_path, 40000, 2), run, "--no-progress"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_rows(run, 1, first)
    second = subprocess.run(
        train(config_file(tmp_path, 6000, 2), run, "--no-progress", "--seed", "7"),
        capture_output=True,
        text=True,
    )
    assert second.returncode == 2
    error = second.stderr.strip().splitlines()
    assert len(error) == 1 and f"is in use by process {first.pid} on " in error[0]
    assert first.wait(timeout=300) == 0
    steps = [int(row["step"]) for row in rows(run)]
    assert steps == sorted(set(steps))
    assert "seed = 0" in (run / "config.toml").read_text()
