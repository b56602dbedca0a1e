"""Sample-efficiency curves of the leaderboard (``benchmark --curves K``): each checkpoint scored exactly.

**A cell's curve.** With ``--curves K`` a cell of an algorithm that can rebuild its checkpoints' players
(:attr:`~infobargain.training.registry.Algorithm.checkpoint_players`) keeps every numbered checkpoint of its
training; the checkpoints nearest to K evenly spaced budgets (``k / K`` of the cell's budget, k = 1..K) and the
last one are scored like the final players (the same ``score_players``: distance to the SPE as played, NashConv),
one point per checkpoint and first proposer::

    "curve": [{"decisions": n, "first_proposer": "sender", "distance_to_spe_played": d, "nash_conv": c}, ...]

The last checkpoint's players are the run's own, so the curve ends on the cell's figures.

**The statistics.** Per algorithm and fraction ``k / K`` of its budget, each (task, game, first proposer) row of
each seed takes its point nearest ``k / K`` of the budget; the interquartile mean over seeds × rows, with
rliable's stratified-bootstrap 95 % interval (rows are the strata, seeds are resampled within them), per metric.
Distances and NashConv are never negative, and neither is any interval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.evaluation.leaderboard_stats import REPETITIONS, rliable_seed

METRICS = {"distance_to_spe_played": "distance to the SPE as played", "nash_conv": "NashConv"}
"""The figures a curve follows, with their axis labels."""
FIGURE = "leaderboard_curves.png"

Score = Callable[[Any, Any], list[dict[str, Any]]]
"""Scores a (sender, receiver) pair: one row per first proposer (the leaderboard's ``score_players``)."""


def chosen_steps(steps: Sequence[int], budget: int, count: int) -> list[int]:
    """Of the checkpoints at ``steps``, those nearest ``k / count`` of ``budget`` (k = 1..count; the earlier on a
    tie) and the last one, each once, in increasing order."""
    if not steps:
        return []
    ordered = sorted(steps)
    chosen = {min(ordered, key=lambda step: abs(step - budget * k / count)) for k in range(1, count + 1)}
    return sorted(chosen | {ordered[-1]})


def score_curve(
    checkpoints: Mapping[int, Path], players_at: Callable[[Path], Any], budget: int, count: int, score: Score
) -> list[dict[str, Any]]:
    """The curve's points (see the module) from a finished run's numbered ``checkpoints`` (by step):
    ``players_at(path)`` rebuilds a checkpoint's (sender, receiver), ``score`` scores them."""
    points = []
    for step in chosen_steps(list(checkpoints), budget, count):
        for row in score(*players_at(checkpoints[step])):
            points.append({"decisions": step, **{key: row[key] for key in ("first_proposer", *METRICS)}})
    return points


RowKey = tuple[str, str, str]


def _at_fractions(cell: Mapping[str, Any], fractions: NDArray[np.float64], metric: str) -> dict[RowKey, list[float]]:
    """Per row of ``cell`` (task, game, first proposer), its curve's ``metric`` at the points nearest each
    fraction of the cell's budget; rows whose metric is missing are left out."""
    budget = cell["settings"]["budget"]
    by_first: dict[str, list[Mapping[str, Any]]] = {}
    for point in cell["curve"]:
        by_first.setdefault(point["first_proposer"], []).append(point)
    values = {}
    for first, points in by_first.items():
        decisions = np.array([point["decisions"] for point in points], dtype=np.float64)
        nearest = [int(np.argmin(np.abs(decisions - budget * fraction))) for fraction in fractions]
        figures = [points[index][metric] for index in nearest]
        if all(figure is not None for figure in figures):
            values[(cell["task"], cell["game"], first)] = [float(figure) for figure in figures]
    return values


def _matrix(cells: Sequence[Mapping[str, Any]], fractions: NDArray[np.float64], metric: str) -> NDArray[np.float64]:
    """``[seed, row, fraction]`` of ``metric`` over the rows every seed has (empty when none)."""
    by_seed: dict[int, dict[RowKey, list[float]]] = {}
    for cell in cells:
        by_seed.setdefault(cell["seed"], {}).update(_at_fractions(cell, fractions, metric))
    shared = sorted(set.intersection(*(set(rows) for rows in by_seed.values())))
    return np.array([[rows[key] for key in shared] for _, rows in sorted(by_seed.items())], dtype=np.float64)


def _iqm_per_fraction(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """The IQM over ``[seed, row]`` of each fraction of a ``[seed, row, fraction]`` array."""
    from rliable import metrics

    return np.array([metrics.aggregate_iqm(scores[:, :, k]) for k in range(scores.shape[2])])


def curve_statistics(
    cells: Sequence[Mapping[str, Any]],
    count: int,
    *,
    repetitions: int = REPETITIONS,
    seed: int = 0,
) -> dict[str, Any]:
    """Per algorithm with curves, the IQM of each metric at the fractions ``k / count`` of its budget with its
    95 % interval (see the module; the same for the same cells and ``seed``); the algorithms without a curve are
    listed."""
    fractions = np.arange(1, count + 1, dtype=np.float64) / count
    with_curve: dict[str, list[Mapping[str, Any]]] = {}
    for cell in cells:
        if cell.get("curve"):
            with_curve.setdefault(cell["algorithm"], []).append(cell)
    result: dict[str, Any] = {
        "fractions": fractions.tolist(),
        "algorithms": {},
        "without_curve": sorted({cell["algorithm"] for cell in cells} - set(with_curve)),
        "notes": [],
    }
    with rliable_seed(seed) as state:
        for algorithm, mine in sorted(with_curve.items()):
            result["algorithms"][algorithm] = _curve(algorithm, mine, fractions, repetitions, state)
            if result["algorithms"][algorithm].get("runs") == 1:
                result["notes"].append(f"curves: {algorithm} has one seed, so its intervals are points")
    return result


def _curve(
    algorithm: str,
    mine: Sequence[Mapping[str, Any]],
    fractions: NDArray[np.float64],
    repetitions: int,
    state: np.random.RandomState,
) -> dict[str, Any]:
    """One algorithm's entry of :func:`curve_statistics`."""
    from rliable import library

    budget = mine[0]["settings"]["budget"]
    entry: dict[str, Any] = {"budget": budget, "decisions": (fractions * budget).tolist()}
    for metric in METRICS:
        matrix = _matrix(mine, fractions, metric)
        if matrix.size == 0:
            continue
        point, bounds = library.get_interval_estimates(
            {algorithm: matrix}, _iqm_per_fraction, reps=repetitions, random_state=state
        )
        low, high = np.maximum(bounds[algorithm], 0.0)
        entry[metric] = {
            "estimate": point[algorithm].tolist(),
            "low": np.minimum(low, point[algorithm]).tolist(),
            "high": np.maximum(high, point[algorithm]).tolist(),
        }
        entry["runs"], entry["rows"] = int(matrix.shape[0]), int(matrix.shape[1])
    return entry


def plot_curves(curves: Mapping[str, Any], path: str | Path) -> None:
    """Two panels (distance to the SPE as played, NashConv) against the fraction of each algorithm's budget: the
    IQM with its 95 % interval shaded (never below zero); the legend below the panels, naming each budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
    colours = plt.get_cmap("tab10")
    fractions = curves["fractions"]
    for index, (algorithm, entry) in enumerate(sorted(curves["algorithms"].items())):
        for axis, metric in zip(axes, METRICS, strict=True):
            if metric not in entry:
                continue
            figures = entry[metric]
            label = f"{algorithm} (budget {entry['budget']:,} decisions)"
            axis.plot(fractions, figures["estimate"], marker="o", markersize=3, color=colours(index % 10), label=label)
            axis.fill_between(fractions, figures["low"], figures["high"], color=colours(index % 10), alpha=0.2)
    for axis, label in zip(axes, METRICS.values(), strict=True):
        axis.set_xlim(0, 1.02)
        axis.set_ylim(bottom=0)
        axis.set_xlabel("fraction of the algorithm's training budget (decisions)")
        axis.set_ylabel(f"{label} (IQM, 95 % CI)")
        axis.set_title(label)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, fontsize=8, loc="outside lower center", ncols=min(3, len(handles)))
    figure.suptitle(
        "Sample efficiency: interquartile mean (IQM) over seeds × rows (task, game, first proposer); shaded: its "
        "stratified-bootstrap 95 % confidence interval (CI)",
        fontsize=9,
    )
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
