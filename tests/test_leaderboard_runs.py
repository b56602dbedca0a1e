"""Running leaderboard cells: failures stay in their cell and are retried, worker processes and Ray give the same
table as one process, and a run that cannot start says so in one line."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infobargain.cli import main
from infobargain.evaluation.cell_runner import process_runner, ray_runner
from infobargain.evaluation.leaderboard import run_leaderboard
from infobargain.training.algorithms import TrainedPlayers, TrainingJob, register_algorithm, unregister_algorithm
from infobargain.training.registry import Algorithm, add_algorithm

ULTIMATUM = "sig_ultimatum_sender:pure_math"
PIE = "barg_ultimatum:split_pie"
calls: list[tuple[str, str]] = []


@pytest.fixture(autouse=True)
def broken_algorithms() -> Iterator[None]:
    """Algorithms that fail in each way the leaderboard must survive, and one that works."""

    @register_algorithm("example_good")
    def good(job: TrainingJob) -> TrainedPlayers:
        calls.append(("good", job.env_kwargs["game"]))
        return TrainedPlayers("spe", "spe", decisions=job.budget)

    @register_algorithm("example_raises")
    def raises(job: TrainingJob) -> TrainedPlayers:
        calls.append(("raises", job.env_kwargs["game"]))
        if job.env_kwargs["game"] == "pure_math":
            raise RuntimeError("diverged at step 12")
        return TrainedPlayers("spe", "spe", decisions=1)

    @register_algorithm("example_garbage")
    def garbage(job: TrainingJob) -> TrainedPlayers:
        return TrainedPlayers("no_such_player", "spe", decisions=1)

    @register_algorithm("example_overruns")
    def overruns(job: TrainingJob) -> TrainedPlayers:
        return TrainedPlayers("spe", "spe", decisions=job.budget * 100 + 10**6)

    add_algorithm(Algorithm("example_bad_import", "no_module_of_that_name:train"))
    calls.clear()
    yield
    for name in ("example_good", "example_raises", "example_garbage", "example_overruns", "example_bad_import"):
        unregister_algorithm(name)


@pytest.mark.parametrize(
    ("algorithm", "reason"),
    [
        ("example_raises", "RuntimeError: diverged at step 12"),
        ("example_garbage", "no_such_player"),
        ("example_overruns", "decisions for a budget of 100"),
        ("example_bad_import", "No module named 'no_module_of_that_name'"),
    ],
)
def test_a_failing_algorithm_fails_its_cell_in_one_line_and_the_others_go_on(
    algorithm: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = run_leaderboard(
        [algorithm, "example_good"],
        tasks=[ULTIMATUM],
        budget=100,
        seeds=[0],
        out=tmp_path,
        episodes=1,
        show_progress=False,
    )
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("benchmark:")]
    assert len(lines) == 1
    assert f"algorithm {algorithm!r} failed on cell {ULTIMATUM} seed 0" in lines[0] and reason in lines[0]
    assert document["cells"] == {"total": 2, "resumed": 0, "failed": 1}
    assert [entry["algorithm"] for entry in document["failed"]] == [algorithm]
    assert list(document["summary"]) == ["example_good"]
    assert not (tmp_path / "cells" / algorithm).exists()  # never written: the next run computes it again


def test_a_failed_cell_is_retried_by_the_next_run_and_finished_ones_are_not(tmp_path: Path) -> None:
    arguments: dict[str, Any] = {"tasks": [ULTIMATUM, PIE], "budget": 100, "seeds": [0], "out": tmp_path}
    first = run_leaderboard(["example_raises", "example_good"], episodes=1, **arguments)
    assert first["cells"]["failed"] == 1 and len(calls) == 4
    calls.clear()
    again = run_leaderboard(["example_raises", "example_good"], episodes=1, **arguments)
    assert calls == [("raises", "pure_math")]  # only the failed cell trains again
    assert again["cells"] == {"total": 4, "resumed": 3, "failed": 1}


def test_the_command_lists_failed_cells_in_the_table_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--algorithms", "example_raises,example_good", "--tasks", ULTIMATUM, "--seeds", "1"]
    code = main(["benchmark", *arguments, "--budget", "10", "--out", str(tmp_path), "--quiet", "--jobs", "1"])
    captured = capsys.readouterr()
    assert code == 1 and "## Failed cells" in captured.out
    assert (
        "| example_raises | sig_ultimatum_sender | pure_math | 0 | RuntimeError: diverged at step 12 |" in captured.out
    )
    assert "1 cell(s) failed" in captured.err


PLUGIN = '''
from infobargain.training.algorithms import TrainedPlayers, register_algorithm


@register_algorithm("example_plugin_seeded")
def seeded(job):
    """Plays the SPE or the Nash point by the parity of the seed: a result that depends on the cell alone."""
    return TrainedPlayers("spe" if job.seed % 2 == 0 else "nash", "spe", decisions=job.budget - job.seed)
'''


def _figures(document: dict[str, Any]) -> list[Any]:
    """The rows without wall times (the one figure that differs between runs)."""
    drop = {"wall_s"}
    return [{key: value for key, value in row.items() if key not in drop} for row in document["rows"]]


@pytest.mark.slow
def test_worker_processes_give_the_same_table_as_one_process(tmp_path: Path) -> None:
    plugin = tmp_path / "seeded_plugin.py"
    plugin.write_text(PLUGIN)
    main(["benchmark", "--import", str(plugin), "--list"])  # registers it here too
    arguments: dict[str, Any] = {"tasks": [ULTIMATUM, PIE], "budget": 50, "seeds": [0, 1], "episodes": 1}
    serial = run_leaderboard(["example_plugin_seeded"], out=tmp_path / "one", **arguments)
    pooled = run_leaderboard(
        ["example_plugin_seeded"],
        out=tmp_path / "two",
        runner=process_runner(2),
        plugins=[str(plugin)],
        show_progress=False,
        **arguments,
    )
    assert pooled["cells"] == {"total": 4, "resumed": 0, "failed": 0}
    assert _figures(pooled) == _figures(serial)
    unregister_algorithm("example_plugin_seeded")


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs Ray (the rllib extra)")
def test_local_ray_gives_the_same_table_and_resumes(tmp_path: Path) -> None:
    import ray

    plugin = tmp_path / "seeded_plugin.py"
    plugin.write_text(PLUGIN)
    main(["benchmark", "--import", str(plugin), "--list"])
    arguments: dict[str, Any] = {"tasks": [ULTIMATUM], "budget": 50, "seeds": [0, 1], "episodes": 1}
    serial = run_leaderboard(["example_plugin_seeded"], out=tmp_path / "one", **arguments)
    try:
        on_ray = run_leaderboard(
            ["example_plugin_seeded"],
            out=tmp_path / "ray",
            runner=ray_runner("local", 2),
            plugins=[str(plugin)],
            show_progress=False,
            **arguments,
        )
        assert on_ray["cells"] == {"total": 2, "resumed": 0, "failed": 0}
        assert _figures(on_ray) == _figures(serial)
        again = run_leaderboard(
            ["example_plugin_seeded"], out=tmp_path / "ray", runner=ray_runner("local", 2), **arguments
        )
        assert again["cells"]["resumed"] == 2
    finally:
        ray.shutdown()
        unregister_algorithm("example_plugin_seeded")


@pytest.mark.parametrize("address", ["127.0.0.1:1", "not-an-address"])
def test_an_unreachable_ray_address_is_one_line_and_exit_2(
    address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--algorithms", "example_good", "--tasks", ULTIMATUM, "--out", str(tmp_path), "--quiet"]
    code = main(["benchmark", *arguments, "--ray", address])
    error = capsys.readouterr().err.strip()
    assert code == 2 and "--ray" in error and "\n" not in error
    assert not calls and not (tmp_path / "cells").exists()


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs Ray (the rllib extra)")
def test_the_suite_trains_on_local_ray_as_in_processes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import ray

    arguments = ["suite", "--tasks", "barg_ultimatum", "--algorithm", "regret", "--steps", "300", "--episodes", "1"]
    try:
        assert main([*arguments, "--json", "--ray", "local", "--jobs", "2", "--out", str(tmp_path / "ray")]) == 0
        on_ray = json.loads(capsys.readouterr().out)
    finally:
        ray.shutdown()
    assert main([*arguments, "--json", "--jobs", "1", "--out", str(tmp_path / "one")]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert [row["players"]["mean_outcome"] for row in on_ray["rows"]] == [
        row["players"]["mean_outcome"] for row in alone["rows"]
    ]


def test_the_suite_refuses_an_unreachable_ray_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["suite", "--tasks", "barg_ultimatum", "--steps", "10", "--ray", "127.0.0.1:1", "--out", str(tmp_path)])
    error = capsys.readouterr().err.strip()
    assert code == 2 and "--ray" in error and "\n" not in error


def test_a_registered_leaderboard_budget_caps_the_cells_and_the_table_says_so(tmp_path: Path) -> None:
    from infobargain.evaluation.leaderboard_report import render_leaderboard_markdown

    budgets: list[int] = []

    def capped(job: TrainingJob) -> TrainedPlayers:
        budgets.append(job.budget)
        return TrainedPlayers("spe", "spe", decisions=job.budget)

    add_algorithm(Algorithm("example_capped", capped, leaderboard_budget=30))
    try:
        document = run_leaderboard(
            ["example_capped", "example_good"], tasks=[ULTIMATUM], budget=100, seeds=[0], out=tmp_path, episodes=1
        )
    finally:
        unregister_algorithm("example_capped")
    assert budgets == [30] and document["algorithms"]["example_capped"]["budget"] == 30
    assert document["algorithms"]["example_good"]["budget"] == 100
    markdown = render_leaderboard_markdown(document)
    assert "| 30 (capped) |" in markdown and "| 100 |" in markdown


def test_an_out_of_reach_game_is_listed_with_its_reason_and_not_run(tmp_path: Path) -> None:
    from infobargain.evaluation.leaderboard_report import render_leaderboard_markdown

    def refuse_rounds(env_kwargs: Any) -> str | None:
        return "more than one round" if env_kwargs.get("protocol") != "ultimatum" else None

    from dataclasses import replace

    from infobargain.training.registry import get_algorithm

    add_algorithm(replace(get_algorithm("example_good"), name="one_shot_only", reach=refuse_rounds))
    try:
        document = run_leaderboard(
            ["one_shot_only"],
            tasks=[PIE, "barg_alternating_10:split_pie"],
            budget=2000,
            seeds=[0],
            out=tmp_path,
            show_progress=False,
        )
    finally:
        unregister_algorithm("one_shot_only")
    assert document["out_of_reach"] == [
        {
            "algorithm": "one_shot_only",
            "task": "barg_alternating_10",
            "game": "split_pie",
            "reason": "more than one round",
        }
    ]
    assert {(cell["task"], cell["game"]) for cell in document["cell_results"]} == {("barg_ultimatum", "split_pie")}
    assert not (tmp_path / "cells" / "one_shot_only" / "barg_alternating_10-split_pie").exists()
    assert "| one_shot_only | barg_alternating_10 | split_pie | more than one round |" in render_leaderboard_markdown(
        document
    )
