"""The evaluation's figures are honest and legible: learning curves show the greedy players' outcome and label
exploring play as such, step ticks do not run together, no two labels of the bargaining set overlap, and titles
name the game and the players, not files."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from infobargain.evaluation.benchmarks import benchmarks
from infobargain.evaluation.plots import curve_panels, draw_learning_curves, draw_outcomes
from infobargain.evaluation.report import player_title

pytest.importorskip("matplotlib")


def overlapping(texts: list[Any]) -> list[tuple[str, str]]:
    """Pairs of drawn, non-empty ``texts`` whose boxes share any area."""
    boxes = [(text.get_text(), text.get_window_extent()) for text in texts if text.get_visible() and text.get_text()]
    pairs = []
    for index, (label, box) in enumerate(boxes):
        for other, other_box in boxes[index + 1 :]:
            width = min(box.x1, other_box.x1) - max(box.x0, other_box.x0)
            height = min(box.y1, other_box.y1) - max(box.y0, other_box.y0)
            if width > 0 and height > 0:
                pairs.append((label, other))
    return pairs


def run_columns(steps: np.ndarray) -> dict[str, list[float]]:
    """A q-learning run's metrics: exploring outcomes every update, the greedy evaluation at checkpoints."""
    rng = np.random.default_rng(0)
    greedy = np.full(len(steps), np.nan)
    greedy[::4] = 0.30
    return {
        "step": steps.tolist(),
        "sender/q_loss": rng.random(len(steps)).tolist(),
        "receiver_first/receiver_payoff": (0.27 + 0.01 * rng.random(len(steps))).tolist(),
        "greedy/receiver_first/receiver_payoff": greedy.tolist(),
    }


def test_outcome_panels_pair_the_greedy_evaluation_with_labelled_exploring_play() -> None:
    panels = curve_panels(["sender/q_loss", "receiver_first/receiver_payoff", "greedy/receiver_first/receiver_payoff"])
    assert panels == {
        "sender/q_loss": {"": "sender/q_loss"},
        "receiver_first/receiver_payoff": {
            "training episodes (exploring)": "receiver_first/receiver_payoff",
            "greedy players (periodic evaluation)": "greedy/receiver_first/receiver_payoff",
        },
    }


@pytest.mark.parametrize("last_step", [1_200_000, 2_000, 96], ids=["long", "short", "tiny"])
def test_learning_curves_show_the_greedy_outcome_and_ticks_that_do_not_run_together(last_step: int) -> None:
    from matplotlib import pyplot

    steps = np.linspace(last_step / 40, last_step, 40).round()
    references = {"greedy/receiver_first/receiver_payoff": {"SPE": 0.30, "Nash": 0.33}}
    figure = draw_learning_curves(run_columns(steps), "pure_math: learning curves", references)
    assert figure is not None
    try:
        figure.canvas.draw()
        assert figure._suptitle.get_text() == "pure_math: learning curves"
        payoff = next(ax for ax in figure.axes if ax.get_title() == "receiver_first/receiver_payoff")
        lines = {line.get_label(): line for line in payoff.get_lines()}
        assert {"greedy players (periodic evaluation)", "training episodes (exploring)", "SPE"} <= set(lines)
        greedy = lines["greedy players (periodic evaluation)"].get_ydata()
        assert np.allclose(greedy, 0.30) and len(greedy) == 10  # the checkpoints only, on the SPE line
        for ax in figure.axes:
            if ax.get_visible():
                assert not overlapping(ax.get_xticklabels()), (last_step, ax.get_title())
    finally:
        pyplot.close(figure)


@pytest.mark.parametrize("game", ["pure_math", "prosecutor", "grading_students"])
def test_no_two_labels_of_the_outcome_figure_overlap(game: str) -> None:
    from matplotlib import pyplot

    bench = benchmarks({"game": game, "first_proposer": "coin_flip", "offer_space": "frontier", "grid_size": 11})
    groups = {first: {"mean_outcome": {"sender": 0.4, "receiver": 0.2}} for first in ("sender", "receiver")}
    figure = draw_outcomes(bench, groups, f"{game}: trained sender vs trained receiver")
    try:
        figure.canvas.draw()
        ax = figure.axes[0]
        labels = [text for text in ax.texts if text.get_text()]
        assert any("as played" in text.get_text() for text in labels) or not bench.discrete
        assert not overlapping(labels)
        legend = ax.get_legend().get_window_extent()
        assert not any(text.get_window_extent().overlaps(legend) for text in labels)
    finally:
        pyplot.close(figure)


def test_titles_name_players_not_their_files() -> None:
    assert player_title("runs/main/players/sender.pt") == "trained sender"
    assert player_title("receiver.npz") == "trained receiver"
    assert player_title("spe") == "spe"
