"""The leaderboard's sample-efficiency curves (``benchmark --curves K``): checkpoints scored exactly, their IQM with
stratified-bootstrap intervals, the report and the figure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("rliable")

from test_leaderboard_stats import drawn

from infobargain.cli import main
from infobargain.evaluation.cells import CellError, check_cell
from infobargain.evaluation.leaderboard import run_leaderboard
from infobargain.evaluation.leaderboard_curves import chosen_steps, curve_statistics, plot_curves
from infobargain.evaluation.leaderboard_report import render_leaderboard_markdown, write_leaderboard

PIE = "barg_ultimatum:split_pie"


def final_rows_match_the_curve_end(cell: dict[str, Any]) -> None:
    for row in cell["rows"]:
        mine = [point for point in cell["curve"] if point["first_proposer"] == row["first_proposer"]]
        decisions = [point["decisions"] for point in mine]
        assert decisions == sorted(set(decisions)) and decisions[-1] == cell["decisions"]
        for metric in ("distance_to_spe_played", "nash_conv"):
            assert mine[-1][metric] == pytest.approx(row[metric], abs=1e-12)


@pytest.mark.slow
def test_a_tiny_run_gives_a_curve_ending_on_the_cell_and_a_report(tmp_path: Path) -> None:
    arguments: dict[str, Any] = {"tasks": [PIE], "budget": 3000, "seeds": [0], "out": tmp_path, "episodes": 1}
    document = run_leaderboard(["regret"], curves=3, show_progress=False, **arguments)
    (cell,) = document["cell_results"]
    assert cell["settings"]["curves"] == 3 and len({point["decisions"] for point in cell["curve"]}) >= 3
    final_rows_match_the_curve_end(cell)
    regret = document["curves"]["algorithms"]["regret"]
    assert regret["runs"] == 1 and regret["rows"] == 2 and document["curves"]["fractions"][-1] == 1.0
    assert regret["distance_to_spe_played"]["estimate"][-1] == pytest.approx(
        np.mean([row["distance_to_spe_played"] for row in cell["rows"]])  # the IQM of two values is their mean
    )
    written = write_leaderboard(document, tmp_path)
    assert written["curves_plot"].exists()
    markdown = written["markdown"].read_text()
    assert "## Sample-efficiency curves" in markdown and "100% of budget" in markdown
    # a curve read back is checked like the rest of the cell
    identity = {key: cell[key] for key in ("algorithm", "task", "game", "seed")}
    bad = json.loads(json.dumps(cell))
    bad["curve"][0]["distance_to_spe_played"] = -0.1
    with pytest.raises(CellError, match=r"curve\[0\]\.distance_to_spe_played"):
        check_cell(bad, identity, cell["settings"], [(-10, 10), (-10, 10)])
    # the cell file records the setting: read back with it, recomputed without it (and then has no curve)
    again = run_leaderboard(["regret"], curves=3, show_progress=False, **arguments)
    assert again["cells"]["resumed"] == 1 and again["cell_results"][0]["curve"] == cell["curve"]
    plain = run_leaderboard(["regret"], show_progress=False, **arguments)
    assert plain["cells"]["resumed"] == 0 and "curve" not in plain["cell_results"][0] and "curves" not in plain


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["qlearning", "ippo"])
def test_network_algorithms_rebuild_their_checkpoints(algorithm: str, tmp_path: Path) -> None:
    document = run_leaderboard(
        [algorithm], tasks=[PIE], budget=4500, seeds=[0], out=tmp_path, episodes=1, curves=2, show_progress=False
    )
    (cell,) = document["cell_results"]
    final_rows_match_the_curve_end(cell)


def test_chosen_steps_are_nearest_the_fractions_and_end_on_the_last() -> None:
    assert chosen_steps([100, 200, 300, 400, 510], 500, 2) == [200, 510]
    assert chosen_steps([3000, 6000], 5000, 5) == [3000, 6000]  # fewer checkpoints than points: each once
    assert chosen_steps([], 500, 3) == []


def synthetic(algorithm: str, budget: int, seeds: int, start: float, curve: bool = True) -> list[dict[str, Any]]:
    """Cells of ``seeds`` seeds on three games, both first proposers, whose distance falls from about ``start`` to
    0 over the budget (NashConv half of it)."""
    rng = np.random.default_rng(len(algorithm))
    cells = []
    for seed in range(seeds):
        for game in ("g1", "g2", "g3"):
            points = [
                {
                    "decisions": decisions,
                    "first_proposer": first,
                    "distance_to_spe_played": value,
                    "nash_conv": value / 2,
                }
                for decisions in range(budget // 10, budget + 1, budget // 10)
                for first in ("sender", "receiver")
                for value in [max(0.0, start * (1 - decisions / budget) + 0.01 * rng.random())]
            ]
            cell = {"algorithm": algorithm, "task": "t", "game": game, "seed": seed, "settings": {"budget": budget}}
            cells.append({**cell, **({"curve": points} if curve else {})})
    return cells


def test_the_iqm_falls_with_the_budget_and_its_intervals_hold_it_above_zero() -> None:
    cells = synthetic("fast", 1000, 3, 0.3) + synthetic("slow", 4000, 3, 0.6) + synthetic("none", 10, 3, 0, False)
    curves = curve_statistics(cells, 5, repetitions=200)
    assert curves["fractions"] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0]) and curves["without_curve"] == ["none"]
    for name, budget in (("fast", 1000), ("slow", 4000)):
        entry = curves["algorithms"][name]
        assert entry["budget"] == budget and entry["runs"] == 3 and entry["rows"] == 6
        assert entry["decisions"] == pytest.approx(
            [200, 400, 600, 800, 1000] if budget == 1000 else [800, 1600, 2400, 3200, 4000]
        )
        for metric in ("distance_to_spe_played", "nash_conv"):
            low, estimate, high = (np.array(entry[metric][key]) for key in ("low", "estimate", "high"))
            assert (low >= 0).all() and (low <= estimate).all() and (estimate <= high).all()
            assert (np.diff(estimate) < 0).all()
    assert curves["algorithms"]["slow"]["distance_to_spe_played"]["estimate"][0] > 0.4


def test_the_figure_keeps_its_legend_off_the_panels_and_its_bands_above_zero(tmp_path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    curves = curve_statistics(synthetic("a", 1000, 2, 0.02) + synthetic("b", 1000, 2, 0.5), 4, repetitions=50)
    figure = drawn(plot_curves, curves, tmp_path / "curves.png")
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    (legend,) = figure.legends
    assert [text.get_text() for text in legend.get_texts()] == [
        "a (budget 1,000 decisions)",
        "b (budget 1,000 decisions)",
    ]
    assert len(figure.axes) == 2
    for axes in figure.axes:
        assert not legend.get_window_extent(renderer).overlaps(axes.get_window_extent(renderer))
        assert axes.get_ylim()[0] == 0 and axes.get_xlabel() and axes.get_ylabel()
        bands = [path.vertices for collection in axes.collections for path in collection.get_paths()]
        assert bands and min(vertices[:, 1].min() for vertices in bands) >= 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["--curves", "1"], "must be >= 2"), (["--curves", "3", "--train-on", "random:2x2"], "--train-on")],
)
def test_bad_curves_are_one_line_and_exit_2(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["benchmark", "--out", str(tmp_path / "out"), "--quiet", "--tasks", PIE, *arguments])
    error = capsys.readouterr().err.strip()
    assert code == 2 and message in error and "\n" not in error
    assert not (tmp_path / "out").exists()


def test_the_report_names_the_algorithms_without_a_curve() -> None:
    curves = curve_statistics(synthetic("a", 1000, 2, 0.1) + synthetic("b", 10, 2, 0.1, False), 4, repetitions=20)
    document = {
        "settings": {"budget": 1, "seeds": [0, 1], "offer_space": "frontier", "grid_size": 25, "tasks": ["t"]},
        "reached_threshold": 0.02,
        "summary": {},
        "rows": [],
        "statistics": {},
        "curves": json.loads(json.dumps(curves)),
        "paper": {"mae": {}, "rows_covered": {}, "rows": [], "citation": "c"},
        "cells": {"total": 0, "resumed": 0},
        "elapsed_s": 0.0,
        "cpu_cores": 2,
    }
    markdown = render_leaderboard_markdown(document)
    assert "| a (2 seeds × 6 rows) | distance |" in markdown and "No curve" in markdown and ": b." in markdown
