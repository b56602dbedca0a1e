"""Commands that write a folder hold it: one process at a time, never into another command's output, resuming
their own; bad folders (a dangling or looping link, a file) are refused in one line; no temporary folder is left."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from infobargain.cli import main
from infobargain.evaluation.suite import run_suite
from infobargain.training.config import RunConfig
from infobargain.training.rundir import OUTPUT_MARK, RunDirectory, RunInUseError, output_folder

SUITE = ["suite", "--tasks", "sig_ultimatum_sender", "--steps", "300", "--episodes", "1", "--jobs", "1"]
SUITE += ["--no-exploitability"]


def claim(path: Path, command: str) -> None:
    with output_folder(path, command):
        pass


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_a_folder_is_held_marked_and_reused_by_its_own_command(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_folder(out, "suite"):
        assert (out / OUTPUT_MARK).read_text().strip() == "suite"
        with (
            pytest.raises(RunInUseError, match=f"--out: {out} is in use by process {os.getpid()} "),
            output_folder(out, "suite"),
        ):
            pass
    (out / "suite.json").write_text("{}")
    claim(out, "suite")  # the same command again: its own folder
    with pytest.raises(ValueError, match="holds the output of `infobargain suite`; choose another --out"):
        claim(out, "benchmark")


def test_foreign_folders_are_refused_and_older_outputs_adopted(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.toml").write_text("")
    (run / "evaluation.json").write_text('{"kept": true}')
    with pytest.raises(ValueError, match="holds a training run; choose another --out"):
        claim(run, "evaluate")
    assert not (run / OUTPUT_MARK).exists()
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "thesis.tex").write_text("")
    with pytest.raises(ValueError, match=r"holds files it did not write \(thesis.tex"):
        claim(mine, "benchmark")
    older = tmp_path / "older"
    (older / "cells").mkdir(parents=True)
    (older / "leaderboard.md").write_text("")
    claim(older, "benchmark")  # written before folders were marked: taken as the benchmark's
    assert (older / OUTPUT_MARK).read_text().strip() == "benchmark"


@pytest.mark.parametrize("kind", ["dangling", "loop", "file"])
def test_bad_folders_are_refused_in_one_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "target"
    if kind == "dangling":
        path.symlink_to(tmp_path / "nowhere")
    elif kind == "loop":
        path.symlink_to(path)
    else:
        path.write_text("")
    with pytest.raises(ValueError, match=r"--out: .*target") as caught:
        RunDirectory(path, RunConfig())
    assert "Errno" not in str(caught.value)
    with pytest.raises(ValueError, match=r"--out: .*target"):
        claim(path, "suite")


def test_evaluate_out_never_overwrites_a_training_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.toml").write_text("")
    (run / "evaluation.json").write_text('{"kept": true}')
    argv = ["evaluate", "--sender", "spe", "--receiver", "spe", "--episodes", "2", "--no-figures", "--out", str(run)]
    assert main(argv) == 2
    assert "holds a training run" in one_line_error(capsys)
    assert json.loads((run / "evaluation.json").read_text()) == {"kept": True}


def test_two_benchmarks_never_share_an_out_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench"
    with output_folder(out, "benchmark"):  # a first benchmark at work
        argv = ["benchmark", "--algorithms", "regret", "--tasks", "barg_ultimatum:split_pie", "--budget", "100"]
        assert main([*argv, "--seeds", "1", "--quiet", "--out", str(out)]) == 2
    err = one_line_error(capsys)
    assert f"--out: {out} is in use by process {os.getpid()}" in err and "--run-dir" not in err
    assert sorted(path.name for path in out.iterdir()) == sorted([".lock", OUTPUT_MARK])


def test_suite_out_runs_again_and_its_interrupt_hint_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "suite"
    argv = [*SUITE, "--out", str(out)]
    assert main(argv) == 0
    first = json.loads((out / "suite.json").read_text())
    capsys.readouterr()
    assert main(argv) == 0, capsys.readouterr().err  # the finished trainings are reused, not refused
    assert json.loads((out / "suite.json").read_text())["rows"] == first["rows"]

    from infobargain.evaluation import suite

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(suite, "_play_suite", interrupted)
    capsys.readouterr()
    assert main(argv) == 130
    hint = capsys.readouterr().err.strip()
    assert hint.endswith(f"to continue, run: infobargain {' '.join(argv)}"), hint


def test_a_suite_without_out_leaves_no_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    result = run_suite(None, tasks=["sig_ultimatum_sender"], total_steps=300, episodes=1, jobs=1, exploitability=False)
    assert result["rows"]
    assert list(scratch.iterdir()) == []

    from infobargain.evaluation import suite

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a failure after the trainings")

    monkeypatch.setattr(suite, "summarize", failing)
    with pytest.raises(RuntimeError):
        run_suite(None, tasks=["sig_ultimatum_sender"], total_steps=300, episodes=1, jobs=1, exploitability=False)
    assert list(scratch.iterdir()) == []
