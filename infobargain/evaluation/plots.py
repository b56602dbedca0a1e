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
from typing import TYPE_CHECKING, Any

import numpy as np

from infobargain.evaluation.benchmarks import Benchmarks
from infobargain.game.protocol import ROLES
from infobargain.theory.plot import draw_bargaining_set, place_labels, require_matplotlib, save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

OUTCOME_MARKERS = {"sender": ("s", "#d35400"), "receiver": ("D", "#16a085")}


def plot_outcomes(bench: Benchmarks, groups: Mapping[str, Mapping[str, Any]], path: str | Path, title: str) -> None:
    """Save :func:`draw_outcomes` to ``path``."""
    save_figure(draw_outcomes(bench, groups, title), path)


def draw_outcomes(bench: Benchmarks, groups: Mapping[str, Mapping[str, Any]], title: str) -> Figure:
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
    place_labels(figure, ax)  # the outcome markers can move the axes' limits, and the points with them
    return figure


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


GREEDY = "greedy/"
"""Prefix of the metrics of the greedy players' periodic evaluation (``greedy/<first>_first/<role>_payoff``)."""
OUTCOME_MARK = "_first/"
"""Metrics of training episodes' outcomes contain it (``<first>_first/<metric>``): exploring play."""


def curve_panels(names: Sequence[str]) -> dict[str, dict[str, str]]:
    """One panel per metric, the greedy evaluation and the exploring training episodes of one outcome together:
    panel title → {legend label (``""``: no legend): column}."""
    panels: dict[str, dict[str, str]] = {}
    for name in names:
        base = name.removeprefix(GREEDY)
        if name.startswith(GREEDY):
            label = "greedy players (periodic evaluation)"
        elif OUTCOME_MARK in name:
            label = "training episodes (exploring)"
        else:
            label = ""
        panels.setdefault(base, {})[label] = name
    return panels


def plot_learning_curves(
    path_csv: str | Path,
    path: str | Path,
    title: str = "learning curves",
    references: Mapping[str, Mapping[str, float]] | None = None,
) -> list[str]:
    """Save :func:`draw_learning_curves` of ``metrics.csv`` to ``path``; returns the metrics drawn (none: no file)."""
    columns = read_metrics(path_csv)
    figure = draw_learning_curves(columns, title, references)
    if figure is None:
        return []
    save_figure(figure, path)
    return [name for name in columns if name != "step"]


def draw_learning_curves(
    columns: Mapping[str, Sequence[float]],
    title: str = "learning curves",
    references: Mapping[str, Mapping[str, float]] | None = None,
) -> Figure | None:
    """One panel per numeric metric of a run's ``metrics.csv`` columns (:func:`read_metrics`) against ``step``
    (or the row number); ``None`` without any metric.

    An outcome's panel shows the greedy players' outcome (``greedy/…`` columns, the periodic evaluation without
    exploration: the learned outcome) in bold and the exploring training episodes' outcome faintly, each
    labelled as what it is. ``references`` maps a metric to labelled values drawn as dashed horizontal lines
    (e.g. the SPE and the Nash point on a payoff curve). Step ticks are few and short (``1.2M``), so that they
    do not run together."""
    x_name = "step" if "step" in columns else None
    metrics = [name for name in columns if name != x_name]
    if not metrics:
        return None
    plt = require_matplotlib()
    from matplotlib.ticker import EngFormatter, MaxNLocator

    panels = curve_panels(metrics)
    count = len(panels)
    cols = min(3, count)
    rows = math.ceil(count / cols)
    figure, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), dpi=100, squeeze=False)
    for ax, (base, lines) in zip(axes.ravel(), panels.items(), strict=False):
        for label, name in sorted(lines.items(), key=lambda item: item[0].startswith("greedy")):
            y = np.asarray(columns[name])
            x = np.asarray(columns[x_name]) if x_name else np.arange(len(y))
            keep = ~(np.isnan(x) | np.isnan(y))
            if label.startswith("greedy"):
                ax.plot(x[keep], y[keep], linewidth=1.8, marker="o", markersize=3, color="tab:blue", label=label)
            else:
                faint = {"alpha": 0.45, "linewidth": 0.8} if label else {"linewidth": 1.4}
                ax.plot(x[keep], y[keep], color="tab:gray" if label else "tab:blue", label=label or None, **faint)
        reference = (references or {}).get(base) or (references or {}).get(GREEDY + base) or {}
        for (label, value), style in zip(reference.items(), REFERENCE_STYLES, strict=False):
            ax.axhline(value, linewidth=1.0, label=label, **style)
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize=7, loc="best")
        ax.set_title(base, fontsize=9)
        ax.set_xlabel(x_name or "row", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[count:]:
        ax.set_visible(False)
    figure.suptitle(title)
    figure.tight_layout(rect=(0.0, 0.0, 1.0, 0.97))
    return figure


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
