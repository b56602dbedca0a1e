"""Interrupting a command (Ctrl-C) tells the user the exact command that continues it (or starts it again)."""

from __future__ import annotations

import csv
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from infobargain.cli import main, solve
from infobargain.training import runner


def test_an_interrupted_training_names_its_resume_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "my run"

    def interrupted(config: Any, run_dir: Path, **kwargs: Any) -> None:
        config.save(Path(run_dir) / "config.toml")
        raise KeyboardInterrupt

    run.mkdir()
    monkeypatch.setattr(runner, "run_training", interrupted)
    assert main(["train", "--run-dir", str(run), "--no-progress"]) == 130
    expected = f"infobargain train --out {shlex.quote(str(run))} --resume"
    assert capsys.readouterr().err.strip() == f"infobargain: interrupted; to continue, run: {expected}"


def test_an_interrupted_command_that_keeps_nothing_names_itself(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(args: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(solve, "command_solve", interrupted)
    argv = ["solve", "--scenario", "pure_math", "--json"]
    assert main(argv) == 130
    assert capsys.readouterr().err.strip() == (
        "infobargain: interrupted; nothing was kept; to start again, run: infobargain solve --scenario pure_math --json"
    )


@pytest.mark.slow
def test_ctrl_c_then_the_printed_command_finishes_the_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    command = [sys.executable, "-m", "infobargain.cli", "train", "--run-dir", str(run), "--no-progress"]
    flags = ["--total-steps", "6000", "--set", "mappo.num_envs=32", "--set", "mappo.hidden_size=16"]
    flags += ["--set", "run.checkpoint_every=1", "--set", "run.eval_episodes=10"]
    process = subprocess.Popen(
        [*command, *flags],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        # A shell that starts jobs in the background has them ignore SIGINT, and Python keeps an ignored SIGINT
        # ignored: restore the default so that the child turns Ctrl-C into KeyboardInterrupt as a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not list((run / "checkpoints").glob("step_*.pt")) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, error = process.communicate(timeout=60)
    assert process.returncode == 130
    hint = error.strip().splitlines()[-1]
    prefix = "infobargain: interrupted; to continue, run: "
    assert hint.startswith(prefix)
    words = shlex.split(hint.removeprefix(prefix))
    assert words[0] == "infobargain"
    done = subprocess.run(
        [sys.executable, "-m", "infobargain.cli", *words[1:], "--no-progress"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    with open(run / "metrics.csv", newline="") as handle:
        steps = [int(row["step"]) for row in csv.DictReader(handle)]
    assert steps == sorted(set(steps)) and steps[-1] >= 6000
