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
    for index, (xy, labels) in enumerate(groups):
        names = " = ".join(BENCHMARK_MARKERS.get(label, (label, "o"))[0] for label in labels)
        marker = BENCHMARK_MARKERS.get(labels[0], (labels[0], "o"))[1]
        ax.scatter(xy[0], xy[1], marker=marker, s=90, zorder=6, label=names, color=plt.cm.tab10(index % 10))
        ax.annotate(names, (float(xy[0]), float(xy[1])), textcoords="offset points", xytext=(6, 6), fontsize=7)
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
    place_labels(figure, ax)
    return figure


LABEL_OFFSETS: tuple[tuple[int, int], ...] = tuple(
    (dx, dy) for dy in (6, -6, 18, -18, 30, -30, 42, -42, 54, -54) for dx in (6, -6)
)
"""Where a point's label may go, in points from the point, nearest first: up or down and right or left of it
(a label left of its point ends there; one below it hangs from it)."""


MARKER_RADIUS = 5.0
"""Half the size of a labelled point's marker, in points (``s=90``)."""


def place_labels(figure: Figure, ax: Axes) -> None:
    """Give every point label of ``ax`` (in order) the nearest offset of :data:`LABEL_OFFSETS` at which it
    overlaps no labelled point's marker and no label placed before it, and stays below and left of the axes'
    top right corner (the legend sits right of the axes, the title above them), measured on the drawn figure;
    where none fits, the offset overlapping the least. Close points (an SPE as played next to the continuous
    one) then get labels that do not run into each other. Call it again after drawing more on ``ax``: new
    data can move the points."""
    annotations: list[Any] = [text for text in ax.texts if hasattr(text, "xyann")]
    if not annotations:
        return
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    from matplotlib.transforms import Bbox

    frame = ax.get_window_extent()
    radius = MARKER_RADIUS * figure.dpi / 72.0
    placed: list[Any] = [  # the labelled points' markers, which a label must not hide
        Bbox.from_extents(x - radius, y - radius, x + radius, y + radius)
        for x, y in (ax.transData.transform(annotation.xy) for annotation in annotations)
    ]
    for annotation in annotations:
        best: tuple[float, tuple[int, int]] | None = None
        for dx, dy in LABEL_OFFSETS:
            _offset(annotation, dx, dy)
            box = annotation.get_window_extent(renderer)
            outside = max(0.0, box.x1 - frame.x1) * box.height + max(0.0, box.y1 - frame.y1) * box.width
            clash = sum(_overlap(box, other) for other in placed) + outside
            if best is None or clash < best[0]:
                best = (clash, (dx, dy))
            if clash == 0.0:
                break
        assert best is not None
        _offset(annotation, *best[1])
        placed.append(annotation.get_window_extent(renderer))


def _offset(annotation: Any, dx: int, dy: int) -> None:
    annotation.xyann = (dx, dy)
    annotation.set_horizontalalignment("left" if dx > 0 else "right")
    annotation.set_verticalalignment("bottom" if dy > 0 else "top")


def _overlap(first: Any, second: Any) -> float:
    """The area two display boxes share (0 when they only touch)."""
    width = min(first.x1, second.x1) - max(first.x0, second.x0)
    height = min(first.y1, second.y1) - max(first.y0, second.y0)
    return max(0.0, width) * max(0.0, height)


def save_figure(figure: Figure, path: str | Path) -> None:
    """Write ``figure`` to ``path`` (its folder is created if missing) and release it."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, bbox_inches="tight")
    require_matplotlib().close(figure)
