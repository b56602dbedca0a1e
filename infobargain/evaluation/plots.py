"""Figures of an evaluation: outcomes on the bargaining set, learning curves, the cross-play heat map.

Matplotlib is optional (``infobargain[plot]``); it is imported through
:func:`infobargain.theory.plot.require_matplotlib`, which explains how to install it.
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from infobargain.evaluation.benchmarks import Benchmarks
from infobargain.game.protocol import ROLES
from infobargain.theory.plot import draw_bargaining_set, require_matplotlib, save_figure

OUTCOME_MARKERS = {"sender": ("s", "#d35400"), "receiver": ("D", "#16a085")}


def plot_outcomes(bench: Benchmarks, groups: Mapping[str, Mapping[str, Any]], path: str | Path, title: str) -> None:
    """The bargaining set with its frontier, the benchmark points and one marker per first proposer's mean outcome."""
    points: dict[str, Any] = {
        "bp_optimum": bench.bp_optimum,
        "receiver_optimum": bench.receiver_optimum,
        "nash": bench.nash,
        "kalai_smorodinsky": bench.kalai_smorodinsky,
    }
    for proposer in ROLES:
        points[f"SPE, {proposer} first"] = np.array(bench.spe_continuous[proposer].payoffs)
        if bench.discrete:
            points[f"SPE as played, {proposer} first"] = np.array(bench.spe_played[proposer].payoffs)
    figure = draw_bargaining_set(bench.problem, points, title=title)
    ax = figure.axes[0]
    for first, group in groups.items():
        outcome = group.get("mean_outcome")
        if outcome is None:
            continue
        marker, color = OUTCOME_MARKERS[first]
        ax.scatter(
            outcome["sender"],
            outcome["receiver"],
            marker=marker,
            s=140,
            facecolors="none",
            edgecolors=color,
            linewidths=2.2,
            zorder=7,
            label=f"outcome, {first} first",
        )
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    save_figure(figure, path)


REFERENCE_STYLES: tuple[dict[str, Any], ...] = (
    {"color": "tab:red", "linestyle": "--"},
    {"color": "tab:green", "linestyle": ":"},
)


def read_metrics(path: str | Path) -> dict[str, list[float]]:
    """Numeric columns of a training run's ``metrics.csv`` (non-numeric and non-finite cells become NaN); a file
    that is not CSV text gives no columns, said in one line on stderr."""
    columns: dict[str, list[float]] = {}
    try:
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                for key, cell in row.items():
                    if key is None:
                        continue
                    try:
                        value = float(cell) if cell not in (None, "") else math.nan
                    except (TypeError, ValueError):
                        value = math.nan
                    columns.setdefault(key, []).append(value if math.isfinite(value) else math.nan)
    except (UnicodeDecodeError, csv.Error) as error:
        print(f"metrics: {path} is not CSV text ({type(error).__name__}); no learning curves drawn", file=sys.stderr)
        return {}
    return {key: values for key, values in columns.items() if not all(math.isnan(v) for v in values)}


def plot_learning_curves(
    path_csv: str | Path,
    path: str | Path,
    title: str = "learning curves",
    references: Mapping[str, Mapping[str, float]] | None = None,
) -> list[str]:
    """One panel per numeric metric of ``metrics.csv`` against ``step`` (or the row number); returns the metrics drawn.

    ``references`` maps a metric to labelled values drawn as dashed horizontal lines (e.g. the SPE and the Nash
    point on a payoff curve)."""
    columns = read_metrics(path_csv)
    x_name = "step" if "step" in columns else None
    metrics = [name for name in columns if name != x_name]
    if not metrics:
        return []
    plt = require_matplotlib()
    count = len(metrics)
    cols = min(3, count)
    rows = math.ceil(count / cols)
    figure, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), dpi=100, squeeze=False)
    for ax, name in zip(axes.ravel(), metrics, strict=False):
        y = np.asarray(columns[name])
        x = np.asarray(columns[x_name]) if x_name else np.arange(len(y))
        keep = ~(np.isnan(x) | np.isnan(y))
        ax.plot(x[keep], y[keep], linewidth=1.4, label="learned")
        for (label, value), style in zip((references or {}).get(name, {}).items(), REFERENCE_STYLES, strict=False):
            ax.axhline(value, linewidth=1.0, label=label, **style)
        if references and name in references:
            ax.legend(fontsize=7, loc="best")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(x_name or "row", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[count:]:
        ax.set_visible(False)
    figure.suptitle(title)
    figure.tight_layout(rect=(0.0, 0.0, 1.0, 0.97))
    save_figure(figure, path)
    return metrics


def plot_cross_play(
    names_sender: Sequence[str],
    names_receiver: Sequence[str],
    values: Mapping[str, Mapping[str, np.ndarray]],
    path: str | Path,
    title: str = "cross-play",
) -> None:
    """Heat maps of the mean payoffs: one row of panels per first proposer, sender's and receiver's payoff.

    ``values[first][player]`` is a ``[sender player][receiver player]`` matrix (NaN where a pairing is not
    possible, e.g. a sender-only player in the receiver's seat).
    """
    plt = require_matplotlib()
    firsts = list(values)
    figure, axes = plt.subplots(
        len(firsts),
        2,
        squeeze=False,
        figsize=(2.0 + 1.1 * len(names_receiver) * 2, 1.4 + 0.9 * len(names_sender) * len(firsts)),
        dpi=100,
    )
    for row, first in enumerate(firsts):
        for col, player in enumerate(ROLES):
            ax = axes[row][col]
            matrix = np.asarray(values[first][player], dtype=np.float64)
            image = ax.imshow(np.ma.masked_invalid(matrix), cmap="viridis", aspect="auto")
            ax.set_xticks(range(len(names_receiver)), names_receiver, rotation=45, ha="right", fontsize=8)
            ax.set_yticks(range(len(names_sender)), names_sender, fontsize=8)
            ax.set_xlabel("receiver player", fontsize=8)
            ax.set_ylabel("sender player", fontsize=8)
            ax.set_title(f"{player}'s payoff, {first} first", fontsize=9)
            finite = matrix[np.isfinite(matrix)]
            middle = float(finite.mean()) if finite.size else 0.0
            for i in range(matrix.shape[0]):
                for j in range(matrix.shape[1]):
                    if np.isfinite(matrix[i, j]):
                        ax.text(
                            j,
                            i,
                            f"{matrix[i, j]:.3f}",
                            ha="center",
                            va="center",
                            fontsize=7,
                            color="black" if matrix[i, j] > middle else "white",
                        )
            figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    figure.suptitle(title)
    figure.tight_layout(rect=(0.0, 0.0, 1.0, 0.97))
    save_figure(figure, path)
