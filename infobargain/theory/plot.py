"""Drawing a bargaining set: the polygon, its Pareto frontier, the disagreement point and labelled points.

Matplotlib is an optional dependency (``pip install infobargain[plot]``) and is imported only here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from infobargain.theory.problem import BargainingProblem

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

BENCHMARK_MARKERS = {
    "bp_optimum": ("BP optimum", "^"),
    "receiver_optimum": ("receiver optimum", "v"),
    "full_disclosure": ("full disclosure", "D"),
    "nash": ("Nash", "*"),
    "kalai_smorodinsky": ("Kalai–Smorodinsky", "P"),
    "egalitarian": ("egalitarian", "X"),
    "utilitarian": ("utilitarian", "h"),
}


def require_matplotlib() -> Any:
    """Import pyplot with a headless backend, or explain how to install it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'infobargain[plot]'") from None
    return plt


def draw_bargaining_set(
    problem: BargainingProblem,
    points: Mapping[str, ArrayLike] | None = None,
    *,
    offers: Sequence[tuple[str, ArrayLike]] = (),
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Draw ``problem`` with labelled ``points`` (label → payoff pair) and a trail of ``offers`` (role, point)."""
    plt = require_matplotlib()
    if ax is None:
        figure, ax = plt.subplots(figsize=(6.0, 5.0), dpi=100)
    else:
        figure = ax.figure
    ring = np.vstack([problem.feasible.vertices, problem.feasible.vertices[:1]])
    ax.fill(ring[:, 0], ring[:, 1], color="#cfe3f5", alpha=0.8, label="bargaining set U")
    ax.plot(ring[:, 0], ring[:, 1], color="#5b8db8", linewidth=1)
    frontier = problem.feasible.pareto_frontier()
    ax.plot(frontier[:, 0], frontier[:, 1], color="#c0392b", linewidth=2.5, label="Pareto frontier")
    ax.scatter(*problem.d, color="black", marker="o", zorder=5, label="disagreement d")
    # Benchmarks often coincide (e.g. Nash = full disclosure): one marker, one joined label per location.
    groups: list[tuple[NDArray[np.float64], list[str]]] = []
    for label, point in (points or {}).items():
        xy: NDArray[np.float64] = np.asarray(point, dtype=np.float64)
        match = next((group for group in groups if np.abs(group[0] - xy).max() < 1e-9), None)
        if match is None:
            groups.append((xy, [label]))
        else:
            match[1].append(label)
    annotations = []
    for index, (xy, labels) in enumerate(groups):
        names = " = ".join(BENCHMARK_MARKERS.get(label, (label, "o"))[0] for label in labels)
        marker = BENCHMARK_MARKERS.get(labels[0], (labels[0], "o"))[1]
        ax.scatter(xy[0], xy[1], marker=marker, s=90, zorder=6, label=names, color=plt.cm.tab10(index % 10))
        annotations.append(
            ax.annotate(names, (float(xy[0]), float(xy[1])), textcoords="offset points", xytext=(6, 6), fontsize=7)
        )
    if offers:
        for role, color in (("sender", "#e67e22"), ("receiver", "#27ae60")):
            trail = np.array([p for r, p in offers if r == role], dtype=np.float64).reshape(-1, 2)
            if len(trail):
                ax.scatter(trail[:, 0], trail[:, 1], s=30, color=color, alpha=0.8, label=f"{role}'s offers", zorder=4)
    ax.set_xlabel("sender utility $U_S$")
    ax.set_ylabel("receiver utility $U_R$")
    ax.set_title(title or problem.name)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax.set_aspect("equal", adjustable="datalim")
    _keep_labels_left_of_the_legend(figure, ax, annotations)
    return figure


def _keep_labels_left_of_the_legend(figure: Figure, ax: Axes, annotations: list[Any]) -> None:
    """The legend sits right of the axes, so a label must not run past the axes' right edge: a label that
    would (measured after a draw) goes to the left of its point instead, where it ends before the point."""
    if not annotations:
        return
    figure.canvas.draw()
    right_edge = ax.get_window_extent().x1
    for annotation in annotations:
        if annotation.get_window_extent().x1 > right_edge:
            annotation.set_horizontalalignment("right")
            annotation.xyann = (-6, 6)


def save_figure(figure: Figure, path: str | Path) -> None:
    """Write ``figure`` to ``path`` (its folder is created if missing) and release it."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, bbox_inches="tight")
    require_matplotlib().close(figure)
