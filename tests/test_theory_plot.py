"""`solve --plot` figures: no benchmark label overlaps the legend or another label, on every named scenario."""

from __future__ import annotations

import numpy as np
import pytest

from infobargain.game import SCENARIOS, random_instance, scenario
from infobargain.game.protocol import Protocol
from infobargain.theory import bargaining_problem, solve
from infobargain.theory.plot import BENCHMARK_MARKERS, draw_bargaining_set, require_matplotlib

pytest.importorskip("matplotlib")


def benchmark_points(report: dict) -> dict[str, tuple[float, float]]:
    """The labelled points `solve --plot` draws: every benchmark and both SPE outcomes."""
    points = {key: (report[key]["sender"], report[key]["receiver"]) for key in BENCHMARK_MARKERS if report.get(key)}
    for first in ("sender", "receiver"):
        outcome = report["spe"].get(f"{first}_first")
        if outcome is not None:
            points[f"SPE, {first} first"] = (outcome["sender"], outcome["receiver"])
    return points


def assert_no_overlaps(texts: list) -> None:
    """No two of the drawn ``texts`` share any area."""
    boxes = [(text.get_text(), text.get_window_extent()) for text in texts]
    for index, (label, box) in enumerate(boxes):
        for other, other_box in boxes[index + 1 :]:
            width = min(box.x1, other_box.x1) - max(box.x0, other_box.x0)
            height = min(box.y1, other_box.y1) - max(box.y0, other_box.y0)
            assert width <= 0 or height <= 0, (label, other)


@pytest.mark.parametrize("name", [*SCENARIOS, "random:7x5:3"])
def test_no_label_overlaps_the_legend_or_another_label(name: str) -> None:
    game = scenario(name) if not name.startswith("random") else random_instance(7, 5, seed=3)
    problem = bargaining_problem(game)
    report = solve(problem, Protocol(first_proposer="coin_flip"))
    figure = draw_bargaining_set(problem, benchmark_points(report), title=name)
    try:
        figure.canvas.draw()
        ax = figure.axes[0]
        legend = ax.get_legend().get_window_extent()
        labels = [text for text in ax.texts if text.get_text()]
        assert labels, "the benchmarks are labelled"
        for text in labels:
            box = text.get_window_extent()
            assert not box.overlaps(legend), (text.get_text(), box, legend)
        assert_no_overlaps(labels)
    finally:
        require_matplotlib().close(figure)


def test_a_long_label_near_the_right_edge_moves_left_of_its_point() -> None:
    """A label that would run into the legend is drawn to the left of its point instead."""
    problem = bargaining_problem(scenario("prosecutor"))
    right = problem.feasible.vertices[np.argmax(problem.feasible.vertices[:, 0])]
    figure = draw_bargaining_set(problem, {"a rather long label for the rightmost vertex": tuple(right)})
    try:
        figure.canvas.draw()
        ax = figure.axes[0]
        (text,) = ax.texts
        assert text.get_horizontalalignment() == "right"
        assert text.get_window_extent().x1 <= ax.get_window_extent().x1
    finally:
        require_matplotlib().close(figure)
