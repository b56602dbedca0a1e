"""Absurd inputs end in one short line and exit 2 before any work: benchmark seeds, episodes, budgets, tasks and
grid sizes; a config value of a million items; utilities so large that the geometry would overflow."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from infobargain.cli import main
from infobargain.game.distributions import resolve_game

BENCHMARK = ["benchmark", "--algorithms", "regret", "--quiet"]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--seeds", ""], "--seeds: expected a count or a list of whole numbers"),
        (["--seeds", str(10**29)], "--seeds: a count must be between 1 and 1000"),
        (["--seeds", "200000000"], "--seeds: a count must be between 1 and 1000"),
        (["--seeds", f"0,{2**70}"], "--seeds: each seed must be in [0, 2**32)"),
        (["--seeds", "0,-1"], "--seeds: each seed must be in [0, 2**32), got -1"),
        (["--seeds", "0,0,0"], "--seeds: seed 0 is listed twice"),
        (["--episodes", str(10**9)], "--episodes: must be between 1 and 1,000,000"),
        (["--budget", "0"], "--budget: must be between 1"),
        (["--tasks", ","], "--tasks: name at least one task"),
        (["--grid-size", "1000000"], "is above the size limit"),
        (["--grid-size", "0"], "grid_size: must be an integer >= 2"),
    ],
)
def test_absurd_benchmark_inputs_stop_before_any_work(
    flags: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench"
    assert main([*BENCHMARK, "--out", str(out), *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1 and len(err) < 400, err
    assert not out.exists()  # nothing trained, nothing written


def test_a_huge_config_value_is_quoted_short(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[run]\nseed = [" + ", ".join(["1"] * 1_000_000) + "]\n")
    assert main(["train", "--config", str(config), "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert "run.seed: expected int" in err and len(err) < 400 and len(err.splitlines()) == 1


def test_a_binary_config_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(bytes(range(128, 256)) * 8)
    assert main(["train", "--config", str(config), "--run-dir", str(tmp_path / "run")]) == 2
    assert f"config: {config} is not a text file" in capsys.readouterr().err


def test_any_error_message_is_cut_to_one_short_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--run-dir", str(tmp_path / "run"), "--set", "env.game=" + "x" * 100_000]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and len(err) < 1_200, len(err)


def test_utilities_that_would_overflow_are_refused_without_numpy_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = resolve_game("pure_math").to_dict()
    data["sender_utility"] = [
        [1e308 if (state + action) % 2 else -1e308 for action, _ in enumerate(row)]
        for state, row in enumerate(data["sender_utility"])
    ]
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy overflow warning would fail the test
        assert main(["solve", "--instance", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("infobargain: error: sender_utility: utilities must lie within ±1e+100")
    assert "Warning" not in err and len(err.splitlines()) == 1
