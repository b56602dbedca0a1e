"""Exact geometry of convex polygons in payoff space ``(sender, receiver)``.

Bargaining sets are convex polygons, possibly degenerate (a segment or a single point). Every
operation here works on the vertex list directly, so results are exact up to floating-point rounding
and degenerate sets need no special case. Vertices are stored counter-clockwise.

The feasible polygon of a persuasion instance is traced by :mod:`infobargain.theory.shadow_vertex`: the
shadow-vertex (parametric objective) simplex method (Gass & Saaty 1955; Borgwardt 1987), one basis walked
from vertex to adjacent vertex, about two pivots per vertex at ``O(k² + S·A)`` each (``k`` the working
basis's size), so ``O(V·(k² + S·A))`` overall for ``V`` vertices; that module's docstring has the details.
Point location and containment are vectorised over the vertices (``O(V)`` numpy work, no Python loop).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

GEOMETRY_TOLERANCE = 1e-12
"""Absolute slack, scaled by the polygon's size, below which two quantities count as equal."""


def convex_hull_indices(points: NDArray[np.float64], tolerance: float = GEOMETRY_TOLERANCE) -> list[int]:
    """Indices of the hull vertices of ``points``, counter-clockwise, collinear points and duplicates dropped.

    Robust to rounding: points within ``tolerance`` (relative) of a kept point are duplicates, and a set
    that is collinear within tolerance (a segment, e.g. when one player's utility is constant) comes back
    as its two extreme points.
    """
    if len(points) == 0:
        return []
    scale = max(1.0, float(np.abs(points).max()))
    slack = tolerance * scale
    xs, ys = points[:, 0].tolist(), points[:, 1].tolist()  # Python floats: these are scalar loops
    kept: list[int] = []
    for i in np.lexsort((points[:, 1], points[:, 0])).tolist():
        # Sorted by sender utility: a duplicate's kept twin is among the last kept within the slack of it.
        position = len(kept) - 1
        while position >= 0 and xs[kept[position]] >= xs[i] - slack:
            if abs(ys[kept[position]] - ys[i]) <= slack:
                break
            position -= 1
        else:
            kept.append(i)
    if len(kept) <= 2:
        return kept

    def chain(indices: list[int]) -> list[int]:
        hull: list[int] = []
        for i in indices:  # exact turns first: a tolerance here could drop a true vertex next to a noisy one
            while len(hull) >= 2:
                o, a = hull[-2], hull[-1]
                if (xs[a] - xs[o]) * (ys[i] - ys[o]) - (ys[a] - ys[o]) * (xs[i] - xs[o]) > 0:
                    break
                hull.pop()
            hull.append(i)
        return hull

    hull = chain(kept)[:-1] + chain(kept[::-1])[:-1]
    # Then drop vertices within tolerance of the line through their neighbours (rounding noise), the first
    # such vertex at a time.
    while len(hull) >= 3:
        ring = points[hull]
        before, after = np.roll(ring, 1, axis=0), np.roll(ring, -1, axis=0)
        span = np.sqrt(((after - before) ** 2).sum(axis=1))
        turn = (after[:, 0] - before[:, 0]) * (ring[:, 1] - before[:, 1]) - (after[:, 1] - before[:, 1]) * (
            ring[:, 0] - before[:, 0]
        )
        noisy = np.flatnonzero(np.abs(turn) <= slack * np.maximum(span, slack))
        if len(noisy) == 0:
            break
        del hull[int(noisy[0])]
    if len(hull) >= 3:
        return hull
    # Collinear: the two points farthest apart along the line.
    one = max(kept, key=lambda i: float(np.linalg.norm(points[i] - points[kept[0]])))
    other = max(kept, key=lambda i: float(np.linalg.norm(points[i] - points[one])))
    return sorted([one, other], key=lambda i: (points[i][0], points[i][1]))


def _worst(points: NDArray[np.float64], coordinate: int, tolerance: float) -> Candidate:
    values = points[:, coordinate]
    ties = np.flatnonzero(values <= values.min() + tolerance)
    index = int(ties[np.argmax(points[ties, 1 - coordinate])])
    return Candidate(points[index], index, index)


class Candidate(NamedTuple):
    """A point of a polygon and where it lies: on vertex ``start`` (``end == start``) or on edge ``start→end``."""

    point: NDArray[np.float64]
    start: int
    end: int


class Polygon:
    """A convex polygon given by its counter-clockwise vertices (1 vertex: a point, 2: a segment)."""

    __slots__ = ("scale", "vertices")

    def __init__(self, vertices: ArrayLike) -> None:
        array = np.array(vertices, dtype=np.float64).reshape(-1, 2)
        if len(array) == 0:
            raise ValueError("polygon: needs at least one vertex")
        array.setflags(write=False)
        self.vertices = array
        self.scale = max(1.0, float(np.abs(array).max()))

    @classmethod
    def hull(cls, points: ArrayLike) -> Polygon:
        array = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return cls(array[convex_hull_indices(array)])

    def __len__(self) -> int:
        return len(self.vertices)

    def __repr__(self) -> str:
        return f"Polygon({np.round(self.vertices, 6).tolist()})"

    @property
    def tolerance(self) -> float:
        return GEOMETRY_TOLERANCE * self.scale

    def edges(self) -> list[tuple[int, int]]:
        """Consecutive vertex pairs; a segment has its one edge once."""
        count = len(self.vertices)
        if count == 1:
            return []
        if count == 2:
            return [(0, 1)]
        return [(i, (i + 1) % count) for i in range(count)]

    def area(self) -> float:
        x, y = self.vertices[:, 0], self.vertices[:, 1]
        return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))

    def contains(self, point: ArrayLike, tolerance: float | None = None) -> bool:
        """Whether ``point`` lies in the polygon (boundary included, up to ``tolerance``)."""
        slack = self.tolerance * 1e3 if tolerance is None else tolerance
        p = np.asarray(point, dtype=np.float64)
        if len(self.vertices) == 1:
            return bool(np.abs(p - self.vertices[0]).max() <= slack)
        if len(self.vertices) == 2:
            a, b = self.vertices
            along = b - a
            t = float(np.dot(p - a, along) / np.dot(along, along))
            return bool(-slack <= t <= 1 + slack and np.abs(a + np.clip(t, 0, 1) * along - p).max() <= slack)
        edges = np.array(self.edges(), dtype=np.int64)
        starts = self.vertices[edges[:, 0]]
        along = self.vertices[edges[:, 1]] - starts
        turns = along[:, 0] * (p[1] - starts[:, 1]) - along[:, 1] * (p[0] - starts[:, 0])
        return bool(np.all(turns >= -slack * np.hypot(along[:, 0], along[:, 1])))

    def clip(self, normal: ArrayLike, offset: float) -> Polygon | None:
        """The part where ``normal · u >= offset`` (``None`` if empty)."""
        direction = np.asarray(normal, dtype=np.float64)
        slack = self.tolerance * max(1.0, float(np.abs(direction).max()))
        values = self.vertices @ direction - offset
        kept: list[NDArray[np.float64]] = []
        count = len(self.vertices)
        for i in range(count):
            j = (i + 1) % count
            if values[i] >= -slack:
                kept.append(self.vertices[i])
            if (values[i] >= -slack) != (values[j] >= -slack) and count > 1:
                t = values[i] / (values[i] - values[j])
                kept.append(self.vertices[i] + t * (self.vertices[j] - self.vertices[i]))
        return Polygon.hull(kept) if kept else None

    def _above(self, coordinate: int, threshold: float) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Points with ``u[coordinate] >= threshold``: the vertices (in order), then the edge crossings of
        ``u[coordinate] == threshold``; and ``[start, end]`` of each (a vertex has ``start == end``)."""
        values = self.vertices[:, coordinate] - threshold
        kept = np.flatnonzero(values >= -self.tolerance)
        edges = np.array(self.edges(), dtype=np.int64).reshape(-1, 2)
        start, end = values[edges[:, 0]], values[edges[:, 1]]
        crossing = ((start > self.tolerance) & (end < -self.tolerance)) | (
            (start < -self.tolerance) & (end > self.tolerance)
        )
        ends = edges[crossing]
        t = values[ends[:, 0]] / (values[ends[:, 0]] - values[ends[:, 1]])
        crossings = self.vertices[ends[:, 0]] + t[:, None] * (self.vertices[ends[:, 1]] - self.vertices[ends[:, 0]])
        crossings[:, coordinate] = threshold
        points = np.concatenate([self.vertices[kept], crossings])
        return points, np.concatenate([np.stack([kept, kept], axis=1), ends])

    def candidates_above(self, coordinate: int, threshold: float) -> list[Candidate]:
        """Vertices with ``u[coordinate] >= threshold`` and edge crossings of ``u[coordinate] == threshold``."""
        points, where = self._above(coordinate, threshold)
        return [Candidate(point, int(i), int(j)) for point, (i, j) in zip(points, where, strict=True)]

    def best_for(self, coordinate: int, other_at_least: float = -np.inf) -> Candidate | None:
        """Lexicographic best point for player ``coordinate`` (0 sender, 1 receiver) given the other gets at least
        ``other_at_least``: maximise own utility, then the other's (so the answer is Pareto efficient).
        ``None`` when no point meets the constraint."""
        other = 1 - coordinate
        if np.isfinite(other_at_least):
            points, where = self._above(other, other_at_least)
        else:
            points, where = self.vertices, np.repeat(np.arange(len(self.vertices)), 2).reshape(-1, 2)
        if len(points) == 0:
            return None
        own = points[:, coordinate]
        ties = own >= own.max() - self.tolerance
        chosen = int(np.argmax(np.where(ties, points[:, other], -np.inf)))  # the first of equal bests, as max()
        return Candidate(points[chosen].copy(), int(where[chosen, 0]), int(where[chosen, 1]))

    def worst_for(self, coordinate: int) -> Candidate:
        """The vertex worst for player ``coordinate``; among ties, the best for the other player."""
        return _worst(self.vertices, coordinate, self.tolerance)

    def pareto_indices(self) -> list[int]:
        """Indices of the Pareto frontier's vertices, by increasing sender utility."""
        vertices = self.vertices
        count = len(vertices)
        # Within rounding, a horizontal top edge or a vertical right edge is not Pareto efficient.
        top = max(np.flatnonzero(vertices[:, 1] >= vertices[:, 1].max() - self.tolerance), key=lambda i: vertices[i, 0])
        right = max(
            np.flatnonzero(vertices[:, 0] >= vertices[:, 0].max() - self.tolerance), key=lambda i: vertices[i, 1]
        )
        chain = [int(right)]
        while chain[-1] != top:
            chain.append((chain[-1] + 1) % count)
        return chain[::-1]

    def pareto_frontier(self) -> NDArray[np.float64]:
        """Vertices of the Pareto frontier, by increasing sender utility."""
        return self.vertices[self.pareto_indices()].copy()

    def ray_end(self, origin: ArrayLike, direction: ArrayLike) -> NDArray[np.float64]:
        """The farthest point ``origin + λ·direction`` (λ ≥ 0) inside the polygon; ``origin`` must be inside."""
        start = np.asarray(origin, dtype=np.float64)
        ray = np.asarray(direction, dtype=np.float64)
        normal = np.array([-ray[1], ray[0]])
        offset = float(normal @ start)
        on_line = self.clip(normal, offset)
        on_line = on_line.clip(-normal, -offset) if on_line is not None else None
        if on_line is None:
            return start.copy()
        reach = max(float((v - start) @ ray) for v in on_line.vertices) / float(ray @ ray)
        return start + max(reach, 0.0) * ray


def segment_points(frontier: NDArray[np.float64], count: int) -> NDArray[np.float64]:
    """``count`` points spread evenly by arc length along a polyline (both ends included)."""
    if len(frontier) == 1 or count == 1:
        return np.repeat(frontier[:1], count, axis=0)
    lengths = np.linalg.norm(np.diff(frontier, axis=0), axis=1)
    cumulative = np.concatenate([[0.0], np.cumsum(lengths)])
    if cumulative[-1] == 0:
        return np.repeat(frontier[:1], count, axis=0)
    targets = np.linspace(0.0, cumulative[-1], count)
    return np.column_stack([np.interp(targets, cumulative, frontier[:, k]) for k in range(2)])


def as_points(points: Sequence[ArrayLike]) -> NDArray[np.float64]:
    return np.asarray(points, dtype=np.float64).reshape(-1, 2)


class Polyline(Polygon):
    """An open chain of points (e.g. a Pareto frontier used as an offer set): edges do not wrap around."""

    __slots__ = ()

    def edges(self) -> list[tuple[int, int]]:
        return [(i, i + 1) for i in range(len(self.vertices) - 1)]

    def pareto_indices(self) -> list[int]:
        return [int(i) for i in np.argsort(self.vertices[:, 0], kind="stable")]


class PointSet:
    """A finite set of payoff pairs: the offers of a discretised action space.

    It answers :meth:`Polygon.best_for` the same way, so backward induction runs unchanged on discrete
    offer sets and gives the exact SPE of the discretised game.
    """

    __slots__ = ("scale", "vertices")

    def __init__(self, points: ArrayLike) -> None:
        array = np.array(points, dtype=np.float64).reshape(-1, 2)
        if len(array) == 0:
            raise ValueError("point set: needs at least one point")
        array.setflags(write=False)
        self.vertices = array
        self.scale = max(1.0, float(np.abs(array).max()))

    def __len__(self) -> int:
        return len(self.vertices)

    @property
    def tolerance(self) -> float:
        return GEOMETRY_TOLERANCE * self.scale

    def worst_for(self, coordinate: int) -> Candidate:
        """The point worst for player ``coordinate``; among ties, the best for the other player."""
        return _worst(self.vertices, coordinate, self.tolerance)

    def best_for(self, coordinate: int, other_at_least: float = -np.inf) -> Candidate | None:
        """Lexicographic best point for ``coordinate`` among those giving the other at least ``other_at_least``;
        ``start`` is the index of the chosen point (the lowest index among exact ties)."""
        other = 1 - coordinate
        allowed = self.vertices[:, other] >= other_at_least - self.tolerance
        if not allowed.any():
            return None
        own = np.where(allowed, self.vertices[:, coordinate], -np.inf)
        ties = allowed & (own >= own.max() - self.tolerance)
        index = int(np.argmax(np.where(ties, self.vertices[:, other], -np.inf)))
        return Candidate(self.vertices[index], index, index)
