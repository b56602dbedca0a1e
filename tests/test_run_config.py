"""Run configurations are range-checked when they are loaded: a bad value is one ``ConfigError`` naming the key,
and ``infobargain train`` turns it into one line on stderr and exit code 2 before any work starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from infobargain.cli import main
from infobargain.training.config import ConfigError, RunConfig


@pytest.mark.parametrize("name", ["../../x", "..", ".", "a/b", "/tmp/x", ".hidden", "", "a\\b", "x" * 200])
def test_a_run_name_cannot_leave_runs(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inside = tmp_path / "a" / "b"
    inside.mkdir(parents=True)
    monkeypatch.chdir(inside)
    with pytest.raises(ConfigError, match=r"run\.name"):
        RunConfig().override([f"run.name={name}"])
    assert main(["train", "--name", name, "--total-steps", "8", "--no-progress"]) == 2
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["a", "a/b"]


def test_a_plain_run_name_is_accepted() -> None:
    config = RunConfig()
    config.override(["run.name=mappo-2026-11-26_1405.v2"])
    assert config.run.name == "mappo-2026-11-26_1405.v2"
