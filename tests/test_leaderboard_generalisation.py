"""The leaderboard's generalisation track: train on a distribution, score zero-shot exactly per instance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infobargain.cli import main
from infobargain.evaluation.generalisation import general_tasks, run_generalisation
from infobargain.training.algorithms import TrainedPlayers, TrainingJob, register_algorithm, unregister_algorithm

jobs: list[TrainingJob] = []


@pytest.fixture(autouse=True)
def exact_player() -> Iterator[None]:
    @register_algorithm("example_exact")
    def exact(job: TrainingJob) -> TrainedPlayers:
        jobs.append(job)
        return TrainedPlayers("spe", "spe", decisions=job.budget)

    jobs.clear()
    yield
    unregister_algorithm("example_exact")


def test_players_that_solve_every_instance_score_zero_on_held_out_and_paper_games(tmp_path: Path) -> None:
    arguments = {"tasks": ["sig_ultimatum_sender"], "budget": 10, "seeds": [0, 1], "held_out": 3, "episodes": 1}
    document = run_generalisation(["example_exact"], "random:2x2", out=tmp_path, show_progress=False, **arguments)
    assert [job.env_kwargs["game"] for job in jobs] == ["random:2x2", "random:2x2"]  # trained on the distribution
    (row,) = document["rows"]
    assert row["seeds"] == [0, 1] and row["task"] == "sig_ultimatum_sender"
    for key in ("held_out_distance_to_spe_played", "paper_distance_to_spe_played", "held_out_nash_conv"):
        assert row[key]["mean"] == pytest.approx(0.0, abs=1e-9)
    cell = document["cell_results"][0]
    assert len(cell["held_out"]) == 3 and {entry["game"] for entry in cell["paper_games"]} == {
        "pure_math",
        "grading_students",
        "selling_products",
    }
    again = run_generalisation(["example_exact"], "random:2x2", out=tmp_path, show_progress=False, **arguments)
    assert len(jobs) == 2 and again["cells"] == {"total": 2, "resumed": 2, "failed": 0}


def test_only_distributions_and_fitting_tasks_are_accepted() -> None:
    assert [task.name for task in general_tasks("random:2x2", ["sig_ultimatum_*"])] == [
        "sig_ultimatum_sender",
        "sig_ultimatum_coin",
    ]
    with pytest.raises(ValueError, match="one game, not a distribution"):
        general_tasks("pure_math")
    with pytest.raises(ValueError, match="no selected task"):
        general_tasks("random:2x2", ["barg_ultimatum"])


def test_the_command_refuses_one_game_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--train-on", "pure_math", "--algorithms", "example_exact", "--out", str(tmp_path), "--quiet"]
    code = main(["benchmark", *arguments, "--jobs", "1"])
    error = capsys.readouterr().err.strip()
    assert code == 2 and "not a distribution" in error and "\n" not in error and not jobs
