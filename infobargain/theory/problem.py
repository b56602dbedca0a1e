"""The bargaining problem: a feasible polygon, a disagreement point and the offers open to each proposer.

Persuasion instances and plain pies share this type, so every solution concept and protocol works on
both. For a persuasion instance the feasible set is the exact polygon of obedient payoff pairs
(docs/theory.md §2), traced by the shadow-vertex simplex walk of :mod:`infobargain.theory.shadow_vertex`
(one pivot sequence around the polygon; its module docstring gives the algorithm and its cost). Where
the walk cannot start (an obedience margin that full disclosure does not meet) or stops on a basis it cannot
trust (a margin far below the utility differences), the polygon is found by LPs along outward normals instead
(:func:`polygon_by_directions`, also the tests' reference). Each vertex
keeps the scheme that attains it, so any point of the set has a scheme (a convex combination of vertex
schemes is obedient because obedience is linear): a vertex its own, a point on an edge the mixture of the
edge's two ends, found in O(V) vectorised work per point.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray

from infobargain.game.distributions import InstanceDistribution, InstanceSet
from infobargain.game.instance import Instance
from infobargain.game.limits import check_bargaining_set
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import ROLES
from infobargain.game.schemes import Payoffs, TieBreak, check_tie_break, default_action, disagreement_payoffs
from infobargain.theory.lp import InfeasibleError, ObedienceLP, scheme_from_joint
from infobargain.theory.polygon import PointSet, Polygon, convex_hull_indices
from infobargain.theory.shadow_vertex import WalkError, walk_polygon

__all__ = [
    "ROLES",
    "BargainingProblem",
    "bargaining_problem",
    "from_instance",
    "from_pie",
    "polygon_by_directions",
    "polygon_by_walk",
]


@dataclass(frozen=True, eq=False)
class BargainingProblem:
    """Everything the solution concepts and protocols need.

    Attributes:
        feasible: the set ``U`` of payoff pairs a deal can give (contains the disagreement point).
        disagreement: ``d``, what both get without a deal.
        offers: ``offers[0]`` is the set of payoff pairs the sender may propose, ``offers[1]`` the receiver's.
        name: a label for reports.
        instance: the persuasion instance behind the problem, if any.
        vertex_schemes: for a persuasion instance, a ``[state][action]`` scheme attaining each feasible vertex.
    """

    feasible: Polygon
    disagreement: Payoffs
    offers: tuple[Polygon | PointSet, Polygon | PointSet]
    name: str = "problem"
    instance: Instance | None = None
    vertex_schemes: tuple[NDArray[np.float64], ...] = field(default=())
    tie_break: TieBreak = "sender"
    obedience_margin: float = 0.0

    @property
    def d(self) -> NDArray[np.float64]:
        return np.array(self.disagreement)

    def individually_rational(self) -> Polygon | None:
        """``U ∩ {u ≥ d}`` (computed once: every solution concept starts from it)."""
        return self._individually_rational

    @cached_property
    def _individually_rational(self) -> Polygon | None:
        upper = self.feasible.clip((1.0, 0.0), self.disagreement.sender)
        return upper.clip((0.0, 1.0), self.disagreement.receiver) if upper is not None else None

    def with_offers(self, sender_offers: Polygon | PointSet, receiver_offers: Polygon | PointSet) -> BargainingProblem:
        """The same problem with other offer sets (e.g. the finite offers of a discretised action space)."""
        return replace(self, offers=(sender_offers, receiver_offers))

    def vertex_scheme(self, index: int) -> NDArray[np.float64]:
        """The scheme attaining vertex ``index`` of the feasible polygon (what :meth:`scheme_for_point` gives
        there, without locating the point)."""
        if self.instance is None:
            raise ValueError(f"{self.name}: a plain bargaining problem has no schemes")
        scheme = self.vertex_schemes[index]
        return scheme / scheme.sum(axis=1, keepdims=True)

    def scheme_for_point(self, point: ArrayLike) -> NDArray[np.float64]:
        """A ``[state][action]`` scheme whose obedient payoffs are ``point`` (which must lie in the feasible set).

        On the Pareto frontier the receiver's best responses reproduce the point under the problem's tie-break
        (with ``tie_break="receiver"`` only when ``obedience_margin > 0``).
        """
        if self.instance is None:
            raise ValueError(f"{self.name}: a plain bargaining problem has no schemes")
        target = np.asarray(point, dtype=np.float64)
        if not self.feasible.contains(target, 1e-7 * self.feasible.scale):
            raise ValueError(f"point: {target.tolist()} is not in the bargaining set")
        weights = _barycentric(self.feasible.vertices, target)
        used = np.flatnonzero(weights)
        scheme = sum(weights[i] * self.vertex_schemes[i] for i in used)
        return np.asarray(scheme) / np.asarray(scheme).sum(axis=1, keepdims=True)


def _barycentric(vertices: NDArray[np.float64], point: NDArray[np.float64]) -> NDArray[np.float64]:
    """Convex weights on ``vertices`` that give ``point``, using as few vertices as possible.

    A vertex gets weight 1 and a point on an edge mixes that edge's two ends, so the schemes of boundary
    points (every benchmark lies on the boundary) carry no rounding from unrelated vertices; an interior
    point mixes the three corners of a triangle ``(0, i, i + 1)`` of the fan from vertex 0. Every edge and
    triangle is tried at once (vectorised); the first within rounding wins, else the closest.
    """
    count = len(vertices)
    weights = np.zeros(count)
    scale = max(1.0, float(np.abs(vertices).max()))
    tolerance = 1e-12 * scale
    distances = np.abs(vertices - point).max(axis=1)
    nearest = int(np.argmin(distances))
    if distances[nearest] <= tolerance or count == 1:
        weights[nearest] = 1.0
        return weights
    # Edges i → i + 1: the closest point of each segment.
    starts, along = vertices, np.roll(vertices, -1, axis=0) - vertices
    lengths = np.einsum("ij,ij->i", along, along)
    t = np.clip(np.einsum("ij,ij->i", point - starts, along) / np.where(lengths > 0, lengths, 1.0), 0.0, 1.0)
    edge_errors = np.abs(starts + t[:, None] * along - point).max(axis=1)
    edge = int(np.argmax(edge_errors <= tolerance)) if (edge_errors <= tolerance).any() else -1
    if edge >= 0:
        weights[edge] += 1.0 - t[edge]
        weights[(edge + 1) % count] += t[edge]
        return weights
    best_edge = int(np.argmin(edge_errors))
    if count >= 3:
        # Triangles (0, i, i + 1): barycentric coordinates, clipped to the triangle and renormalised.
        first, second = vertices[1:-1] - vertices[0], vertices[2:] - vertices[0]
        offset = point - vertices[0]
        determinant = first[:, 0] * second[:, 1] - first[:, 1] * second[:, 0]
        safe = np.where(determinant != 0, determinant, 1.0)
        u = (offset[0] * second[:, 1] - offset[1] * second[:, 0]) / safe
        v = (first[:, 0] * offset[1] - first[:, 1] * offset[0]) / safe
        corners = np.clip(np.stack([1.0 - u - v, u, v], axis=1), 0.0, None)
        corners /= corners.sum(axis=1, keepdims=True)
        mixed = corners[:, :1] * vertices[0] + corners[:, 1:2] * vertices[1:-1] + corners[:, 2:] * vertices[2:]
        triangle_errors = np.where(determinant != 0, np.abs(mixed - point).max(axis=1), np.inf)
        triangle = int(np.argmin(triangle_errors))
        if triangle_errors[triangle] < edge_errors[best_edge]:
            weights[[0, triangle + 1, triangle + 2]] = corners[triangle]
            return weights
    weights[best_edge] += 1.0 - t[best_edge]
    weights[(best_edge + 1) % count] += t[best_edge]
    return weights


def polygon_by_directions(lp: ObedienceLP) -> tuple[list[NDArray[np.float64]], list[NDArray[np.float64]]]:
    """Points and joints of the payoff polygon's vertices (possibly with collinear extras), one LP per direction.

    Between two known vertices, the LP in the direction of the outward normal either returns a new vertex
    beyond that edge or proves the edge is part of the boundary: two warm-started LPs per vertex. This is the
    fallback of :func:`from_instance` and the reference the shadow-vertex walk is tested against.
    """
    points: list[NDArray[np.float64]] = []
    joints: list[NDArray[np.float64]] = []
    for direction in ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)):
        solution = lp.maximize(*direction)
        points.append(solution.point)
        joints.append(solution.joint)
    scale = max(1.0, float(np.abs(lp.instance.sender_utility).max()), float(np.abs(lp.instance.receiver_utility).max()))
    tolerance = 1e-9 * scale
    ring = [points[i] for i in convex_hull_indices(np.array(points))]
    pending = [(ring[i], ring[(i + 1) % len(ring)]) for i in range(len(ring))] if len(ring) > 1 else []
    while pending:
        a, b = pending.pop()
        normal = np.array([b[1] - a[1], a[0] - b[0]])  # outward for a counter-clockwise edge a→b
        length = float(np.linalg.norm(normal))
        if length <= tolerance:
            continue
        normal /= length
        solution = lp.maximize(*normal)
        if solution.point @ normal > a @ normal + tolerance:
            points.append(solution.point)
            joints.append(solution.joint)
            pending += [(a, solution.point), (solution.point, b)]
    return points, joints


def polygon_by_walk(
    instance: Instance, obedience_margin: float = 0.0
) -> tuple[list[NDArray[np.float64]], Sequence[NDArray[np.float64]]]:
    """Points and joints of the payoff polygon's vertices (possibly with collinear extras), by the shadow-vertex
    walk; raises :class:`~infobargain.theory.shadow_vertex.WalkError` where it cannot run. The joints are built
    when indexed (a large polygon has thousands of mostly-zero ones)."""
    joints = walk_polygon(instance, obedience_margin)
    return list(joints.points), joints


def from_instance(
    instance: Instance, tie_break: TieBreak = "sender", obedience_margin: float = 0.0
) -> BargainingProblem:
    """The exact bargaining problem of a persuasion instance under a tie-break rule and obedience margin."""
    check_bargaining_set(instance.n_states, instance.n_actions)  # before the polygon's linear programs
    check_tie_break(tie_break)
    if tie_break == "receiver" and obedience_margin == 0:
        warnings.warn(
            "tie_break='receiver' with obedience_margin=0: schemes that leave the receiver indifferent are "
            "broken against the sender, so the sender's best points are suprema the environment does not "
            "attain; pass a positive obedience_margin to make every benchmark attained",
            stacklevel=2,
        )
    joints: Sequence[NDArray[np.float64]]
    try:
        points, joints = polygon_by_walk(instance, obedience_margin)
    except WalkError:
        points, joints = polygon_by_directions(ObedienceLP(instance, obedience_margin))
    disagreement = disagreement_payoffs(instance, tie_break)
    # No information attains d under the same tie-break, margin or not: it belongs to U.
    silent = np.zeros((instance.n_states, instance.n_actions))
    silent[:, default_action(instance, tie_break)] = 1.0
    points.append(np.array(disagreement))
    all_points = np.array(points)
    keep = convex_hull_indices(all_points, 1e-11)
    feasible = Polygon(all_points[keep])
    return BargainingProblem(
        feasible=feasible,
        disagreement=disagreement,
        offers=(feasible, feasible),
        name=instance.name,
        instance=instance,
        vertex_schemes=tuple(scheme_from_joint(instance, joints[i]) if i < len(joints) else silent for i in keep),
        tie_break=tie_break,
        obedience_margin=float(obedience_margin),
    )


def from_pie(pie: SplitPie) -> BargainingProblem:
    """The bargaining problem of a pie: each proposer's offers form a segment; ``U`` is their hull with ``d``."""
    low, high = pie.split(pie.keep_min), pie.split(pie.keep_max)
    sender_offers = Polygon.hull([low, high])
    receiver_offers = Polygon.hull([low[::-1], high[::-1]])
    disagreement = pie.disagreement_payoffs
    feasible = Polygon.hull([low, high, low[::-1], high[::-1], tuple(disagreement)])
    return BargainingProblem(feasible, disagreement, (sender_offers, receiver_offers), name=pie.name)


def bargaining_problem(
    game: Instance | SplitPie, tie_break: TieBreak = "sender", obedience_margin: float = 0.0
) -> BargainingProblem:
    """The bargaining problem of any game."""
    if isinstance(game, SplitPie):
        return from_pie(game)
    return from_instance(game, tie_break, obedience_margin)


def check_margin_for(source: InstanceDistribution, obedience_margin: float, tie_break: TieBreak = "sender") -> None:
    """Refuse, before any game is played, an obedience margin that a game of the distribution ``source`` may not
    meet: every member of a finite set is checked (the message names the first that fails); a distribution that
    draws fresh games (random instances, a sampler) is refused outright with a positive margin, since some
    draws admit no scheme that makes the receiver obey by it."""
    if not obedience_margin:
        return
    if isinstance(source, InstanceSet):
        for member in source.members:
            try:
                bargaining_problem(member, tie_break, obedience_margin)
            except InfeasibleError:
                raise ValueError(
                    f"obedience_margin: {obedience_margin:g} is more than the game {member.name!r} of {source.name} "
                    "allows (no scheme makes its receiver obey by that margin); lower it or leave that game out"
                ) from None
        return
    raise ValueError(
        f"obedience_margin: {obedience_margin:g} cannot be guaranteed for {source.describe()}: some drawn games admit "
        "no scheme that makes the receiver obey by a positive margin; use obedience_margin=0, or a fixed game or a "
        "set of games (each checked when the env is built)"
    )
