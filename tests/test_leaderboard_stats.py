"""The leaderboard's aggregate statistics (rliable): the normalised score, intervals, improvement, profiles, figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("rliable")

from infobargain.evaluation.leaderboard_report import plot_leaderboard, render_leaderboard_markdown
from infobargain.evaluation.leaderboard_stats import (
    aggregate,
    plot_statistics,
    probability_of_improvement,
    score_matrices,
)
from infobargain.evaluation.metrics import REACHED

ROWS = [("task", f"game{i}", "sender") for i in range(6)]
RANDOM = dict.fromkeys(ROWS, 0.4)


def cells(algorithm: str, distances: list[list[float]]) -> list[dict[str, Any]]:
    """One cell per seed holding one row per entry of ``distances[seed]``."""
    return [
        {
            "algorithm": algorithm,
            "seed": seed,
            "rows": [
                {"task": t, "game": g, "first_proposer": f, "distance_to_spe_played": d}
                for (t, g, f), d in zip(ROWS, row, strict=True)
            ],
        }
        for seed, row in enumerate(distances)
    ]


def test_the_score_is_one_at_the_spe_zero_at_random_play_and_clipped() -> None:
    scores, reached, rows, notes = score_matrices(
        cells("a", [[0.0, 0.2, 0.4, 0.8, REACHED, REACHED + 1e-6]] * 2), RANDOM
    )
    assert rows == ROWS and notes == []
    np.testing.assert_allclose(scores["a"][0], [1.0, 0.5, 0.0, 0.0, 1 - REACHED / 0.4, 1 - (REACHED + 1e-6) / 0.4])
    np.testing.assert_array_equal(reached["a"][0], [1, 0, 0, 0, 1, 0])


def test_rows_missing_for_one_algorithm_are_left_out_for_all_and_said() -> None:
    partial = cells("b", [[0.0] * 6] * 2)
    for cell in partial:
        cell["rows"] = cell["rows"][:4]
    scores, _, rows, notes = score_matrices(cells("a", [[0.0] * 6] * 2) + partial, RANDOM)
    assert rows == ROWS[:4] and scores["a"].shape == scores["b"].shape == (2, 4)
    assert notes and "2 of 6 rows left out" in notes[0]


def test_intervals_improvement_and_profiles() -> None:
    rng = np.random.default_rng(0)
    good = (0.02 * rng.random((3, 6))).tolist()
    bad = (0.2 + 0.1 * rng.random((3, 6))).tolist()
    statistics = aggregate(cells("good", good) + cells("bad", bad), RANDOM, repetitions=300)
    entry = statistics["algorithms"]["good"]
    assert 0.0 <= entry["iqm_score"]["low"] <= entry["iqm_score"]["estimate"] <= entry["iqm_score"]["high"] <= 1.0
    assert statistics["algorithms"]["bad"]["iqm_score"]["high"] < entry["iqm_score"]["low"]
    assert statistics["probability_of_improvement"]["good,bad"]["estimate"] == pytest.approx(1.0)
    assert statistics["probability_of_improvement"]["bad,good"]["estimate"] == pytest.approx(0.0)
    profile = np.array(statistics["performance_profile"]["good"])
    assert profile[0] == pytest.approx(1.0) and (np.diff(profile) <= 1e-12).all()
    reached = statistics["algorithms"]["good"]["fraction_reached"]["estimate"]
    assert reached == pytest.approx(np.mean(np.array(good) <= REACHED))


def test_each_reverse_pair_is_rliables_own_figure() -> None:
    """Only one order of each pair is bootstrapped; the other, derived as 1 - P, matches rliable computed directly
    (ties, which count half, included)."""
    from rliable import metrics

    rng = np.random.default_rng(1)
    first = np.round(0.1 * rng.random((3, 6)), 2).tolist()  # coarse values: some ties across algorithms
    second = np.round(0.1 * rng.random((3, 6)), 2).tolist()
    statistics = aggregate(cells("first", first) + cells("second", second), RANDOM, repetitions=200)
    scores, _, _, _ = score_matrices(cells("first", first) + cells("second", second), RANDOM)
    improvement = statistics["probability_of_improvement"]
    direct = metrics.probability_of_improvement(scores["second"], scores["first"])
    assert improvement["second,first"]["estimate"] == pytest.approx(direct)
    assert improvement["first,second"]["estimate"] + improvement["second,first"]["estimate"] == pytest.approx(1.0)
    low, high = improvement["second,first"]["low"], improvement["second,first"]["high"]
    assert 0.0 <= low <= improvement["second,first"]["estimate"] <= high <= 1.0


@settings(max_examples=200, deadline=None)
@given(
    runs_x=st.integers(1, 5),
    runs_y=st.integers(1, 5),
    rows=st.integers(1, 6),
    levels=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_vectorised_probability_of_improvement_is_rliables(
    runs_x: int, runs_y: int, rows: int, levels: int, seed: int
) -> None:
    """Equal to rliable's per-row Mann–Whitney figure, ties (few score levels) and identical rows included."""
    from rliable import metrics

    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, (runs_x, rows)) / levels
    y = rng.integers(0, levels, (runs_y, rows)) / levels
    if runs_x == runs_y:
        y[:, 0] = x[:, 0]  # one row the same for both: rliable's special case
    assert probability_of_improvement(x, y) == pytest.approx(metrics.probability_of_improvement(x, y), abs=1e-12)


@pytest.mark.slow
def test_the_intervals_are_the_same_every_time_and_leave_numpys_generator_alone() -> None:
    """rliable resamples with NumPy's global generator: the statistics seed it for the bootstrap and restore it."""
    rng = np.random.default_rng(3)
    drawn_cells = cells("a", (0.1 * rng.random((3, 6))).tolist()) + cells("b", (0.1 * rng.random((3, 6))).tolist())
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    first = aggregate(drawn_cells, RANDOM, repetitions=100)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    assert aggregate(drawn_cells, RANDOM, repetitions=100) == first
    assert aggregate(drawn_cells, RANDOM, repetitions=100, seed=1) != first  # the seed is what fixes them


def test_one_seed_gives_no_interval_and_says_why() -> None:
    statistics = aggregate(cells("a", [[0.0] * 6]), RANDOM, repetitions=50)
    assert "algorithms" not in statistics and "two seeds" in statistics["notes"][-1]


def drawn(plot: Any, *args: Any) -> Any:
    """The figure ``plot(*args, path)`` draws, kept past its ``savefig`` and ``close``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    shown: list[Any] = []
    original = Figure.savefig

    def keep(figure: Any, *saved: Any, **kwargs: Any) -> None:
        shown.append(figure)
        original(figure, *saved, **kwargs)

    Figure.savefig = keep  # type: ignore[method-assign]
    try:
        plot(*args)
    finally:
        Figure.savefig = original  # type: ignore[method-assign]
    (figure,) = shown
    return figure


def legend_clear_of_every_axes(figure: Any) -> bool:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    legends = [axes.get_legend() for axes in figure.axes if axes.get_legend() is not None]
    assert legends, "the figure has no legend"
    return not any(
        legend.get_window_extent(renderer).overlaps(axes.get_window_extent(renderer))
        for legend in legends
        for axes in figure.axes
    )


@pytest.mark.slow
def test_the_statistics_figure_keeps_its_legend_off_the_data(tmp_path: Path) -> None:
    statistics = aggregate(cells("a", [[0.0] * 6] * 2) + cells("b", [[0.3] * 6] * 2), RANDOM, repetitions=50)
    figure = drawn(plot_statistics, statistics, tmp_path / "stats.png")
    assert legend_clear_of_every_axes(figure)
    for axes in figure.axes:
        low, high = axes.get_xlim()
        assert low >= -0.05 and high <= 1.05  # scores and shares live in [0, 1]


def test_error_bars_never_run_below_zero_and_the_legend_is_outside(tmp_path: Path) -> None:
    spread = {"mean": 0.01, "sd": 0.05, "n": 3}
    document = {
        "reached_threshold": REACHED,
        "rows": [
            {"task": "t", "game": "g", "first_proposer": "sender", "algorithm": name, "distance_to_spe_played": spread}
            for name in ("a", "b")
        ],
    }
    figure = drawn(plot_leaderboard, document, tmp_path / "board.png")
    (axes,) = figure.axes
    segments = [segment for collection in axes.collections for segment in collection.get_segments()]
    assert segments and min(point[0] for segment in segments for point in segment) >= 0.0
    assert max(point[0] for segment in segments for point in segment) == pytest.approx(0.06)
    assert legend_clear_of_every_axes(figure)


@pytest.mark.slow
def test_the_markdown_reports_intervals_and_improvement() -> None:
    statistics = aggregate(cells("a", [[0.0] * 6] * 2) + cells("b", [[0.3] * 6] * 2), RANDOM, repetitions=50)
    document = {
        "settings": {"budget": 1, "seeds": [0, 1], "offer_space": "frontier", "grid_size": 25, "tasks": ["t"]},
        "reached_threshold": REACHED,
        "summary": {},
        "rows": [],
        "statistics": statistics,
        "paper": {"mae": {}, "rows_covered": {}, "rows": [], "citation": "c"},
        "cells": {"total": 0, "resumed": 0},
        "elapsed_s": 0.0,
        "cpu_cores": 2,
    }
    markdown = render_leaderboard_markdown(document)
    assert "## Aggregate statistics" in markdown and "1.000 [1.000, 1.000]" in markdown
    assert "P(row algorithm > column algorithm)" in markdown and "*IQM*" in markdown
