"""The one atomic-write helper and the one progress bar every layer uses."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from infobargain.files import atomic_path, atomic_write
from infobargain.progress import Progress


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


def test_atomic_write_replaces_whole_and_names_the_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "data.json"
    atomic_write(target, b"old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and leftovers(tmp_path) == []
    with pytest.raises(OSError, match=r"cannot write .*missing/data.json"):
        atomic_write(tmp_path / "missing" / "data.json", b"x")


def test_a_failed_block_keeps_the_old_version_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("interrupted mid-write")
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []
    folder = tmp_path / "checkpoint"
    with atomic_path(folder) as temporary:  # a folder is written whole too
        temporary.mkdir()
        (temporary / "weights").write_bytes(b"w")
    assert (folder / "weights").read_bytes() == b"w" and leftovers(tmp_path) == []


def test_the_plain_bar_counts_rate_and_time_left(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # tqdm not installed
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with Progress(10, "training", initial=4, unit="step") as bar:
        bar.update(6, loss=0.5)
        assert bar.count == 10
        line = bar.line(bar.started + 2.0)
    assert line == "training: 10/10, 3/s, 0 s left"  # 6 steps done here in 2 s; the 4 resumed ones not counted
    assert "training: 10/10" in capsys.readouterr().err
    with Progress(10, "quiet", enabled=False) as bar:
        bar.update(10)
    assert capsys.readouterr().err == ""


def test_into_a_file_progress_is_sparse_and_names_the_item(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """stderr redirected: no carriage returns, no line per update; the item running is named when it changes."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    with Progress(1000, "cells") as bar:
        bar.describe("qlearning on ultimatum, seed 0")
        for _ in range(999):
            bar.update()
        assert "now: qlearning on ultimatum, seed 0" in bar.line(bar.started + 1.0)
        bar.update()
    lines = capsys.readouterr().err.splitlines()
    assert "\r" not in "".join(lines)
    assert len(lines) <= 3  # the item, the last count, the closing line: not 1,000
    assert lines[0].startswith("cells: 0/1,000") and lines[0].endswith("now: qlearning on ultimatum, seed 0")
    assert lines[-1].startswith("cells: 1,000/1,000") and "now:" not in lines[-1]
