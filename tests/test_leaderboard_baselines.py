"""A published leaderboard as baselines: a new algorithm joins it without training it again; other settings or
another format are refused in one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from infobargain.cli import main
from infobargain.evaluation import leaderboard_baselines
from infobargain.training.algorithms import TrainedPlayers, TrainingJob, register_algorithm, unregister_algorithm

ULTIMATUM = "sig_ultimatum_sender:pure_math"
trained: list[str] = []
SETTINGS = ["--tasks", ULTIMATUM, "--budget", "20", "--seeds", "2", "--episodes", "1", "--quiet", "--jobs", "1"]


@pytest.fixture(autouse=True)
def algorithms() -> Iterator[None]:
    @register_algorithm("example_base", description="the baseline")
    def base(job: TrainingJob) -> TrainedPlayers:
        trained.append("example_base")
        return TrainedPlayers("nash", "spe", decisions=job.budget)

    @register_algorithm("example_mine", description="the new one")
    def mine(job: TrainingJob) -> TrainedPlayers:
        trained.append("example_mine")
        return TrainedPlayers("spe", "spe", decisions=job.budget)

    trained.clear()
    yield
    unregister_algorithm("example_base")
    unregister_algorithm("example_mine")


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A leaderboard of ``example_base`` (as a full run's leaderboard.json would be published)."""
    assert (
        main(
            [
                "benchmark",
                "--algorithms",
                "example_base",
                "--baselines",
                "none",
                *SETTINGS,
                "--out",
                str(tmp_path / "base"),
            ]
        )
        == 0
    )
    trained.clear()
    return tmp_path / "base" / "leaderboard.json"


@pytest.mark.slow
def test_a_new_algorithm_is_compared_with_the_baselines_without_training_them(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine"
    code = main(
        ["benchmark", "--algorithms", "example_mine", "--baselines", str(published), *SETTINGS, "--out", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 0 and trained == ["example_mine", "example_mine"]  # two seeds of mine, none of the baseline
    document = json.loads((out / "leaderboard.json").read_text())
    assert set(document["summary"]) == {"example_base", "example_mine"}
    assert set(document["statistics"]["algorithms"]) == {"example_base", "example_mine"}
    assert document["algorithms"]["example_base"]["description"] == "the baseline"
    assert "| **example_base** |" in captured.out and "not trained again" in captured.err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("changed", "reason"),
    [
        (["--budget", "30"], "budget 20"),
        (["--seeds", "3"], "seeds [0, 1]"),
        (["--grid-size", "11"], "grid_size 25"),
        (["--tasks", "barg_ultimatum:split_pie"], "not run on barg_ultimatum:split_pie"),
    ],
)
def test_baselines_run_with_other_settings_are_refused_in_one_line(
    changed: list[str], reason: str, published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--algorithms", "example_mine", "--baselines", str(published), *SETTINGS, *changed]
    code = main(["benchmark", *arguments, "--out", str(tmp_path / "mine")])
    error = capsys.readouterr().err.strip()
    assert code == 2 and "not comparable" in error and reason in error and "\n" not in error
    assert trained == [] and not (tmp_path / "mine" / "cells").exists()


@pytest.mark.slow
def test_a_baseline_of_another_format_is_refused_in_one_line(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(published.read_text())
    document["format"] = 0
    older = tmp_path / "older.json"
    older.write_text(json.dumps(document))
    code = main(
        [
            "benchmark",
            "--algorithms",
            "example_mine",
            "--baselines",
            str(older),
            *SETTINGS,
            "--out",
            str(tmp_path / "m"),
        ]
    )
    error = capsys.readouterr().err.strip()
    assert code == 2 and "leaderboard format 0" in error and "\n" not in error and trained == []


@pytest.mark.slow
def test_a_tampered_baseline_cell_is_refused(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(published.read_text())
    document["cell_results"][0]["rows"][0]["deal_rate"] = 7.0
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    code = main(
        [
            "benchmark",
            "--algorithms",
            "example_mine",
            "--baselines",
            str(tampered),
            *SETTINGS,
            "--out",
            str(tmp_path / "m"),
        ]
    )
    assert code == 2 and "deal_rate" in capsys.readouterr().err and trained == []


@pytest.mark.slow
def test_auto_compares_with_the_shipped_run_only_at_its_settings(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(leaderboard_baselines, "shipped_path", lambda: published)
    assert main(["benchmark", "--algorithms", "example_mine", *SETTINGS, "--out", str(tmp_path / "same")]) == 0
    assert trained == ["example_mine"] * 2 and "example_base" in (tmp_path / "same" / "leaderboard.md").read_text()
    trained.clear()
    assert (
        main(["benchmark", "--algorithms", "example_mine", *SETTINGS, "--budget", "40", "--out", str(tmp_path / "o")])
        == 0
    )
    assert "not compared with the shipped baselines: they were run with budget 20" in capsys.readouterr().err
    assert "example_base" not in (tmp_path / "o" / "leaderboard.md").read_text()


@pytest.mark.slow
def test_retrain_trains_the_default_algorithms_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infobargain.evaluation import leaderboard

    monkeypatch.setattr(leaderboard, "DEFAULT_ALGORITHMS", ("example_base",))
    assert (
        main(["benchmark", "--algorithms", "example_mine", "--baselines", "retrain", *SETTINGS, "--out", str(tmp_path)])
        == 0
    )
    assert sorted(trained) == ["example_base"] * 2 + ["example_mine"] * 2


@pytest.mark.skipif(not leaderboard_baselines.shipped_path().exists(), reason="no published leaderboard shipped yet")
def test_the_shipped_leaderboard_is_the_default_grid_with_its_provenance() -> None:
    from infobargain.evaluation.leaderboard import DEFAULT_ALGORITHMS, select_games

    document = leaderboard_baselines.read_baseline(leaderboard_baselines.shipped_path())
    settings = document["settings"]
    assert settings["budget"] == 200_000 and settings["seeds"] == [0, 1, 2] and settings["episodes"] == 20
    assert settings["tasks"] == [pair.name for pair in select_games(None)]
    assert set(document["algorithms"]) <= set(DEFAULT_ALGORITHMS)
    assert all(document["run"][key] for key in ("date", "commit", "command", "machine"))
