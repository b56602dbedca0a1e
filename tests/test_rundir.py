"""Run directories are transactional: one writer at a time, metrics that match an uninterrupted run after a
crash at any point, independent checkpoints with a fallback, no temporary files after an error, no non-finite
checkpoint, retention of the latest and the best, wall time and TensorBoard that continue across resumes."""

from __future__ import annotations

import csv
import errno
import os
from pathlib import Path
from typing import Any

import pytest
import torch

from infobargain.cli import main
from infobargain.training import mappo
from infobargain.training import rundir as rundir_module
from infobargain.training.config import RunConfig
from infobargain.training.rundir import RunDirectory, RunInUseError, TrainingDiverged
from infobargain.training.runner import run_training

UPDATES, STEPS_PER_UPDATE, CHECKPOINT_EVERY = 7, 10, 2


class Crash(Exception):
    """Stands for kill -9: the process stops between two statements."""


def payoff(update: int) -> float:
    """A learning curve with its best value early (update 2), so retention must keep an old checkpoint."""
    return 1.0 - abs(update - 2) / 10


def config(**run: Any) -> RunConfig:
    made = RunConfig()
    made.run.total_steps = UPDATES * STEPS_PER_UPDATE
    for key, value in run.items():
        setattr(made.run, key, value)
    return made


def fake_training(run: RunDirectory, crash_at: int | None = None) -> None:
    """A backend in miniature: one metrics row per update, a checkpoint every CHECKPOINT_EVERY updates; raises
    :class:`Crash` before update ``crash_at`` (leaving its rows since the last checkpoint behind)."""
    checkpoint = run.load_checkpoint()
    update = 0 if checkpoint is None else int(checkpoint["update"])
    while update * STEPS_PER_UPDATE < run.config.run.total_steps:
        if update == crash_at:
            raise Crash
        update += 1
        run.log(update * STEPS_PER_UPDATE, {"learner_payoff": payoff(update), "loss": 1.0 / update})
        if update % CHECKPOINT_EVERY == 0 or update == UPDATES:
            run.save_checkpoint({"update": update, "weights": torch.full((3,), float(update))}, update * 10)


def open_and_train(path: Path, made: RunConfig, *, resume: bool = False, crash_at: int | None = None) -> None:
    run = RunDirectory(path, made, resume=resume)
    try:
        fake_training(run, crash_at)
    finally:
        run.close()


def rows(path: Path) -> list[dict[str, str]]:
    with open(path / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.rglob("*") if p.name.endswith(".tmp"))


@pytest.fixture
def straight(tmp_path: Path) -> list[dict[str, str]]:
    open_and_train(tmp_path / "straight", config())
    return rows(tmp_path / "straight")


@pytest.mark.parametrize("crash_at", range(UPDATES))
def test_a_crash_at_any_update_resumes_to_the_same_metrics(
    crash_at: int, straight: list[dict[str, str]], tmp_path: Path
) -> None:
    path = tmp_path / "crashed"
    with pytest.raises(Crash):
        open_and_train(path, config(), crash_at=crash_at)
    with open(path / "metrics.csv", "a") as handle:  # a row cut short by the kill
        handle.write("999,0.5")
    open_and_train(path, config(), resume=True)
    assert rows(path) == straight
    assert leftovers(path) == []


def test_a_fresh_start_after_a_run_killed_before_its_first_checkpoint_keeps_no_stale_rows(
    straight: list[dict[str, str]], tmp_path: Path
) -> None:
    path = tmp_path / "crashed"
    with pytest.raises(Crash):
        open_and_train(path, config(), crash_at=1)  # one row, no checkpoint
    open_and_train(path, config())
    assert rows(path) == straight


def test_a_crash_between_the_numbered_checkpoint_and_latest_resumes_from_the_numbered_one(
    straight: list[dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "crashed"
    original = rundir_module.atomic_write

    def crash_on_latest(target: Path, data: bytes) -> None:
        if target.name == "latest.pt" and "step_000000040.pt" in os.listdir(target.parent):
            raise Crash
        original(target, data)

    monkeypatch.setattr(rundir_module, "atomic_write", crash_on_latest)
    with pytest.raises(Crash):
        open_and_train(path, config())
    monkeypatch.setattr(rundir_module, "atomic_write", original)
    open_and_train(path, config(), resume=True)
    assert rows(path) == straight


def test_a_second_process_stops_with_the_holder_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = RunDirectory(tmp_path / "run", config())
    try:
        with pytest.raises(RunInUseError, match=f"process {os.getpid()} on "):
            RunDirectory(tmp_path / "run", config(), resume=True)
        code = main(["train", "--run-dir", str(tmp_path / "run"), "--resume", "--no-progress"])
        error = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(error) == 1 and f"in use by process {os.getpid()}" in error[0]
    finally:
        first.close()
    RunDirectory(tmp_path / "run", config(), resume=True).close()  # released: the next one may open it


def test_checkpoints_are_independent_files_and_a_corrupt_newest_falls_back(
    straight: list[dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "crashed"
    with pytest.raises(Crash):
        open_and_train(path, config(keep_checkpoints=0), crash_at=5)
    checkpoints = path / "checkpoints"
    assert all(p.stat().st_nlink == 1 for p in checkpoints.iterdir())
    (checkpoints / "latest.pt").unlink()
    newest = checkpoints / "step_000000040.pt"
    newest.write_bytes(newest.read_bytes()[:100])  # truncated
    open_and_train(path, config(keep_checkpoints=0), resume=True)
    error = capsys.readouterr().err
    assert "step_000000040.pt" in error and "resuming from the previous checkpoint, step_000000020.pt" in error
    assert rows(path) == straight


def test_no_readable_checkpoint_is_an_error_not_a_silent_restart(tmp_path: Path) -> None:
    path = tmp_path / "run"
    with pytest.raises(Crash):
        open_and_train(path, config(), crash_at=3)
    for checkpoint in (path / "checkpoints").iterdir():
        checkpoint.write_bytes(b"garbage")
    before = rows(path)
    with pytest.raises(ValueError, match="no readable checkpoint"):
        open_and_train(path, config(), resume=True)
    assert rows(path) == before


def test_a_full_disk_leaves_no_temporary_file_and_keeps_the_last_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "run"
    real_fsync = os.fsync

    def full_after_two_checkpoints(descriptor: int) -> None:
        target = os.readlink(f"/proc/self/fd/{descriptor}")
        if ".step_000000060.pt" in target:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", full_after_two_checkpoints)
    with pytest.raises(OSError, match="No space left on device"):
        open_and_train(path, config())
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert leftovers(path) == []
    saved = torch.load(path / "checkpoints" / "latest.pt", weights_only=True)
    assert saved["update"] == 4


def test_retention_keeps_the_latest_and_the_best(tmp_path: Path) -> None:
    open_and_train(tmp_path / "run", config(keep_checkpoints=2))
    kept = sorted(p.name for p in (tmp_path / "run" / "checkpoints").glob("step_*.pt"))
    # checkpoints at updates 2, 4, 6, 7: the latest two, and update 2's, the best
    assert kept == ["step_000000020.pt", "step_000000060.pt", "step_000000070.pt"]


def test_retention_then_kill_then_resume(straight: list[dict[str, str]], tmp_path: Path) -> None:
    path = tmp_path / "crashed"
    with pytest.raises(Crash):
        open_and_train(path, config(keep_checkpoints=1, best_metric=""), crash_at=5)
    assert sorted(p.name for p in (path / "checkpoints").glob("step_*.pt")) == ["step_000000040.pt"]
    open_and_train(path, config(keep_checkpoints=1, best_metric=""), resume=True)
    assert rows(path) == straight


def test_resume_with_fewer_total_steps_than_done_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "run"
    open_and_train(path, config())

    def files() -> dict[Path, bytes]:  # the lock names its latest holder (time to the second): not the run's data
        return {p: p.read_bytes() for p in path.rglob("*") if p.is_file() and p.name != ".lock"}

    saved = files()
    with pytest.raises(ValueError, match="already done 70 steps; --total-steps 30 is below"):
        RunDirectory(path, config(total_steps=30), resume=True)
    assert files() == saved


def test_resuming_a_run_that_overshot_its_budget_is_not_an_error(tmp_path: Path) -> None:
    # Backends stop after the batch that crosses the budget, so a finished run can hold more steps than it
    # asked for; resuming it as saved (no --total-steps) finds nothing left to do.
    path = tmp_path / "run"
    open_and_train(path, config(total_steps=65))  # 7 updates of 10 steps: 70 > 65
    resumed = RunDirectory(path, config(total_steps=65), resume=True)
    try:
        assert resumed.restored_step == 70
    finally:
        resumed.close()


def test_non_finite_weights_stop_training_and_keep_the_last_finite_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_update = mappo.ppo_update
    calls = {"count": 0}

    def diverging(network: torch.nn.Module, *args: Any, **kwargs: Any) -> dict[str, float]:
        calls["count"] += 1
        metrics = real_update(network, *args, **kwargs)
        if calls["count"] == 5:  # the third update's first player
            with torch.no_grad():
                next(network.parameters()).fill_(float("nan"))
        return metrics

    monkeypatch.setattr(mappo, "ppo_update", diverging)
    made = RunConfig()
    made.override(["run.total_steps=2000", "run.checkpoint_every=1", "mappo.num_envs=16", "mappo.hidden_size=8"])
    with pytest.raises(TrainingDiverged, match=r"NaN or infinity in networks\.0\..*last finite checkpoint"):
        run_training(made, tmp_path / "run", show_progress=False)
    latest = torch.load(tmp_path / "run" / "checkpoints" / "latest.pt", weights_only=True)
    assert latest["update"] == 2
    assert all(torch.isfinite(t).all() for net in latest["networks"] for t in net.values())
    assert not list((tmp_path / "run" / "players").iterdir())


def test_wall_time_and_tensorboard_continue_across_a_resume(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    made = RunConfig()
    made.override(["run.total_steps=600", "run.checkpoint_every=2", "mappo.num_envs=16", "mappo.hidden_size=8"])
    path = tmp_path / "run"
    real_update = mappo.ppo_update
    calls = {"count": 0}

    def killed_in_the_sixth_update(*args: Any, **kwargs: Any) -> dict[str, float]:
        calls["count"] += 1
        if calls["count"] == 11:  # rows of updates 1-5 are written, the last checkpoint is update 4's
            raise Crash
        return real_update(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mappo, "ppo_update", killed_in_the_sixth_update)
        with pytest.raises(Crash):
            run_training(made, path, show_progress=False)
    before = rows(path)
    assert len(before) == 5
    run_training(made, path, resume=True, show_progress=False)
    after = rows(path)
    wall = [float(row["wall_time"]) for row in after]
    assert wall == sorted(wall) and len(after) > len(before)
    accumulator = EventAccumulator(str(path / "tensorboard"))
    accumulator.Reload()
    steps = [event.step for event in accumulator.Scalars("wall_time")]
    assert steps == sorted(set(steps)) == [int(row["step"]) for row in after]
