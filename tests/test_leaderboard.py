"""The leaderboard: the algorithm interface and registry, the runner (rows, resume, budgets), bad input, the report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from infobargain.cli import main
from infobargain.evaluation.leaderboard import run_leaderboard, select_games
from infobargain.evaluation.leaderboard_report import render_leaderboard_markdown, write_leaderboard
from infobargain.training.algorithms import (
    TrainedPlayers,
    TrainingJob,
    get_algorithm,
    register_algorithm,
    unregister_algorithm,
)

ULTIMATUM = "sig_ultimatum_sender:pure_math"
calls: list[TrainingJob] = []


@pytest.fixture(autouse=True)
def example_algorithms() -> Iterator[None]:
    """Two tiny algorithms against the documented interface, removed again after each test."""

    @register_algorithm("example_spe", description="plays the exact SPE (uses no decisions)")
    def example_spe(job: TrainingJob) -> TrainedPlayers:
        calls.append(job)
        return TrainedPlayers("spe", "spe", decisions=0)

    @register_algorithm("example_obedient", description="sender plays BP, receiver obeys; spends the budget")
    def example_obedient(job: TrainingJob) -> TrainedPlayers:
        calls.append(job)
        return TrainedPlayers("spe", "obedient", decisions=job.budget, options={"nudge": 0.0})

    @register_algorithm("example_needs_extra", extra="nothing", requires=("a_module_nobody_has",))
    def needs_extra(job: TrainingJob) -> TrainedPlayers:
        raise AssertionError("must not train")

    calls.clear()
    yield
    for name in ("example_spe", "example_obedient", "example_needs_extra"):
        unregister_algorithm(name)


@pytest.mark.slow
def test_user_algorithm_rows_appear_with_their_counts(tmp_path: Path) -> None:
    document = run_leaderboard(
        ["example_spe", "example_obedient"], tasks=[ULTIMATUM], budget=3000, seeds=[0, 1], out=tmp_path, episodes=2
    )
    assert [job.budget for job in calls] == [3000] * 4 and sorted({job.seed for job in calls}) == [0, 1]
    rows = {row["algorithm"]: row for row in document["rows"]}
    assert set(rows) == {"example_spe", "example_obedient"}
    spe = rows["example_spe"]
    assert spe["seeds"] == [0, 1] and spe["first_proposer"] == "sender"
    assert spe["distance_to_spe_played"]["mean"] == pytest.approx(0.0, abs=1e-9)
    assert spe["nash_conv"]["mean"] == pytest.approx(0.0, abs=1e-9)
    assert spe["deal_rate"]["mean"] == 1.0 and spe["reached_all_seeds"]
    assert spe["decisions"]["mean"] == 0
    obedient = rows["example_obedient"]
    assert obedient["decisions"]["mean"] == 3000
    # BP sender against an obedient receiver: the receiver could gain nothing, the deal pays (2/3, 0) = the SPE
    assert obedient["distance_to_spe_played"]["mean"] == pytest.approx(0.0, abs=1e-9)
    summary = document["summary"]
    assert summary["example_obedient"]["options"] == {"nudge": 0.0}
    assert summary["example_spe"]["rows_reached_all_seeds"] == 1
    assert document["paper"]["mae"]["o3"] >= 0 and document["paper"]["rows_covered"]["o3"] == 1
    assert json.loads((tmp_path / "leaderboard.json").read_text())["settings"]["budget"] == 3000


def test_a_player_off_the_spe_is_scored_off_it(tmp_path: Path) -> None:
    @register_algorithm("example_nash")
    def example_nash(job: TrainingJob) -> TrainedPlayers:
        return TrainedPlayers("nash", "spe", decisions=1)

    try:
        document = run_leaderboard(["example_nash"], tasks=[ULTIMATUM], budget=10, seeds=[0], out=tmp_path, episodes=1)
    finally:
        unregister_algorithm("example_nash")
    row = document["rows"][0]
    # The Nash proposer gives the receiver a share the SPE responder would accept for less: the sender can gain.
    assert row["distance_to_spe_played"]["mean"] > 0.05
    assert row["gain_sender"]["mean"] > 0.05 and row["gain_receiver"]["mean"] == pytest.approx(0.0, abs=1e-9)
    assert row["nash_conv"]["mean"] == pytest.approx(row["gain_sender"]["mean"])


def test_finished_cells_are_read_back_and_a_changed_budget_retrains(tmp_path: Path) -> None:
    arguments = {"tasks": [ULTIMATUM], "seeds": [0], "out": tmp_path, "episodes": 1}
    run_leaderboard(["example_spe"], budget=100, **arguments)
    again = run_leaderboard(["example_spe"], budget=100, **arguments)
    assert len(calls) == 1 and again["cells"] == {"total": 1, "resumed": 1, "failed": 0}
    run_leaderboard(["example_spe"], budget=200, **arguments)
    assert len(calls) == 2


def test_regret_learner_respects_the_budget_and_learns_the_ultimatum(tmp_path: Path) -> None:
    document = run_leaderboard(["regret"], tasks=[ULTIMATUM], budget=4000, seeds=[0], out=tmp_path, episodes=2)
    row = document["rows"][0]
    assert 0 < row["decisions"]["mean"] <= 4000
    assert row["distance_to_spe_played"]["mean"] < 0.02 and row["nash_conv"]["mean"] < 0.02
    assert document["summary"]["regret"]["options"]["accept_ties"] is True
    assert list((tmp_path / "runs" / "regret").rglob("*.npz"))  # the saved players


def test_task_filters() -> None:
    assert [pair.name for pair in select_games(["sig_alternating_10:pure_math"])] == ["sig_alternating_10:pure_math"]
    assert {pair.task.name for pair in select_games(["split_pie"])} == {
        "barg_ultimatum",
        "barg_fixed_role_5",
        "barg_alternating_10",
    }
    assert len(select_games(["sig_*"])) == 12 and len(select_games(None)) == 18


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--algorithms", "nope"], "unknown 'nope'"),
        (["--budget", "0"], "budget"),
        (["--tasks", "no_such_task"], "matches no task"),
        (["--algorithms", "example_needs_extra"], "a_module_nobody_has"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["benchmark", "--out", str(tmp_path), "--quiet", "--tasks", ULTIMATUM, *arguments])
    error = capsys.readouterr().err.strip()
    assert code == 2 and message in error and "\n" not in error
    assert not calls and not (tmp_path / "cells").exists()


def test_default_list_leaves_out_what_cannot_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infobargain.evaluation import leaderboard

    monkeypatch.setattr(leaderboard, "DEFAULT_ALGORITHMS", ("example_spe", "example_needs_extra"))
    document = leaderboard.run_leaderboard(
        leaderboard.DEFAULT_ALGORITHMS, tasks=[ULTIMATUM], budget=10, seeds=[0], out=tmp_path, skip_unavailable=True
    )
    assert list(document["summary"]) == ["example_spe"]
    assert document["notes"] == [
        "skipped: algorithm 'example_needs_extra' needs a_module_nobody_has, which is not installed "
        "(pip install 'infobargain[nothing]')"
    ]
    assert "a_module_nobody_has" in render_leaderboard_markdown(document)


@pytest.mark.slow
def test_command_writes_table_json_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--algorithms", "example_spe", "--tasks", ULTIMATUM, "--budget", "50", "--seeds", "2"]
    code = main(["benchmark", *arguments, "--out", str(tmp_path), "--quiet", "--episodes", "1", "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 0 and "| **example_spe** | 1/1 |" in out and "o3 (LLM, paper)" in out
    assert {path.name for path in tmp_path.iterdir()} >= {"leaderboard.json", "leaderboard.md", "leaderboard.png"}
    assert sorted(path.name for path in (tmp_path / "cells" / "example_spe").rglob("*.json")) == [
        "seed0.json",
        "seed1.json",
    ]


@pytest.mark.slow
def test_report_renders_spread_over_seeds(tmp_path: Path) -> None:
    document = run_leaderboard(
        ["example_spe", "example_obedient"], tasks=["barg_ultimatum:split_pie"], budget=10, seeds=[0, 1], out=tmp_path
    )
    written = write_leaderboard(document, tmp_path)
    markdown = render_leaderboard_markdown(document)
    assert written["markdown"].read_text() == markdown
    assert markdown.count("| barg_ultimatum | split_pie |") == 4  # two algorithms × two first proposers
    assert "0.0000 ± 0.0000" in markdown
    distances = [row["distance_to_spe_played"]["mean"] for row in document["rows"]]
    assert np.isfinite(distances).all()


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["mappo", "ippo", "sb3_ibr", "rllib_ppo"])
def test_built_in_algorithms_fill_their_rows(algorithm: str, tmp_path: Path) -> None:
    if get_algorithm(algorithm).missing():
        pytest.skip(get_algorithm(algorithm).missing() or "")
    document = run_leaderboard([algorithm], tasks=[ULTIMATUM], budget=4096, seeds=[0], out=tmp_path, episodes=2)
    row = document["rows"][0]
    assert row["algorithm"] == algorithm and row["seeds"] == [0]
    assert 4096 <= row["decisions"]["mean"] <= 4096 * 3  # whole batches: the last one may end past the budget
    assert row["nash_conv"]["mean"] is not None and row["wall_s"]["mean"] > 0
