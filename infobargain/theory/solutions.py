"""Axiomatic bargaining solutions on a polygon (docs/theory.md §4), each solved exactly.

All of them live in the individually rational part ``U ∩ {u ≥ d}``. When no point gives both players a
strict gain the Nash product is zero everywhere; the Nash solution is then defined as the utilitarian
point (largest total gain), which is what the Nash solution tends to as such degenerate sets are
approached from inside.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

from infobargain.theory.polygon import Polygon
from infobargain.theory.problem import BargainingProblem


def _rational(problem: BargainingProblem) -> Polygon:
    region = problem.individually_rational()
    if region is None:  # d itself is always feasible, so only rounding can empty the region
        return Polygon([problem.d])
    return region


def _nash_on_segment(a: NDArray[np.float64], b: NDArray[np.float64], d: NDArray[np.float64]) -> NDArray[np.float64]:
    """Maximiser of ``(u_S − d_S)(u_R − d_R)`` on the segment ``a→b``: a quadratic in the segment parameter."""
    gain_a, step = a - d, b - a
    candidates = [0.0, 1.0]
    curvature = 2 * step[0] * step[1]
    if curvature < 0:
        candidates.append(float(np.clip(-(gain_a[0] * step[1] + gain_a[1] * step[0]) / curvature, 0.0, 1.0)))
    products = [np.prod(gain_a + t * step) for t in candidates]
    return a + candidates[int(np.argmax(products))] * step


def nash(problem: BargainingProblem) -> NDArray[np.float64]:
    """The Nash bargaining solution, solved edge by edge on the Pareto frontier of the rational region."""
    d = problem.d
    frontier = _rational(problem).pareto_frontier()
    best = frontier[0]
    for a, b in itertools.pairwise(frontier):
        point = _nash_on_segment(a, b, d)
        if np.prod(point - d) > np.prod(best - d):
            best = point
    if np.prod(best - d) <= 0:
        return utilitarian(problem)
    return best


def utilitarian(problem: BargainingProblem) -> NDArray[np.float64]:
    """The rational point with the largest total utility; along a tied edge, its most balanced (Nash) point."""
    region = _rational(problem)
    totals = region.vertices.sum(axis=1)
    ties = np.flatnonzero(totals >= totals.max() - region.tolerance)
    if len(ties) == 1:
        return region.vertices[ties[0]].copy()
    ends = region.vertices[ties]
    a, b = ends[np.argmin(ends[:, 0])], ends[np.argmax(ends[:, 0])]
    return _nash_on_segment(a, b, problem.d)


def ideal_point(problem: BargainingProblem) -> NDArray[np.float64]:
    """Each player's best rational payoff."""
    return _rational(problem).vertices.max(axis=0)


def kalai_smorodinsky(problem: BargainingProblem) -> NDArray[np.float64]:
    """The farthest rational point on the segment from ``d`` towards the ideal point."""
    d = problem.d
    direction = ideal_point(problem) - d
    if np.all(direction <= 0):
        return d
    return _rational(problem).ray_end(d, direction)


def egalitarian(problem: BargainingProblem) -> NDArray[np.float64]:
    """The farthest rational point with equal gains."""
    return _rational(problem).ray_end(problem.d, np.ones(2))
