"""Default output locations: under runs/ (ignored by git), named so that commands and algorithms never collide."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from infobargain.cli import main
from infobargain.cli.train import default_run_dir

ROOT = Path(__file__).resolve().parents[1]


def test_train_runs_are_named_by_algorithm_and_time() -> None:
    sb3, ibr = default_run_dir("run", "sb3"), default_run_dir("run", "ibr")
    assert sb3.parent == ibr.parent == Path("runs")
    assert sb3.name.startswith("run-sb3-") and ibr.name.startswith("run-ibr-")
    assert sb3 != ibr


def test_resume_needs_the_run_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--resume"]) == 2
    assert capsys.readouterr().err.strip() == "infobargain: error: --resume: give the run to continue with --out DIR"


def test_evaluate_writes_under_runs_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    flags = ["--sender", "spe", "--receiver", "spe", "--protocol", "ultimatum", "--episodes", "1", "--no-figures"]
    assert main(["evaluate", *flags]) == 0
    (written,) = (tmp_path / "runs").iterdir()
    assert written.name.startswith("evaluate-")
    assert {path.name for path in written.iterdir() if not path.name.startswith(".")} == {
        "evaluation.json",
        "report.md",
    }
    assert sorted(path.name for path in tmp_path.iterdir()) == ["runs"]


def test_outputs_are_ignored_by_git() -> None:
    probe = ["git", "-C", str(ROOT), "check-ignore", "-q", "runs/anything/report.md"]
    assert subprocess.run(probe, check=False).returncode == 0


def test_solve_plot_creates_the_folder_it_writes_into(tmp_path: Path) -> None:
    target = tmp_path / "not" / "yet" / "there.png"
    assert main(["solve", "--scenario", "prosecutor", "--plot", str(target)]) == 0
    assert target.stat().st_size > 0
