"""The shadow-vertex walk returns exactly the polygon of the LP-per-direction method it replaced.

The reference is :func:`polygon_by_directions` (one warm-started HiGHS LP per outward normal), computed here
at test time: no expected vertex is taken from the walk itself. Polygons agree when they have the same
number of vertices and every vertex matches to ``1e-9`` (times the utility scale).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from test_theory_properties import instances, obedience_slack, scale

from infobargain.game import Instance, random_instance, scenario
from infobargain.theory import ObedienceLP, from_instance, shadow_vertex
from infobargain.theory.polygon import convex_hull_indices
from infobargain.theory.problem import polygon_by_directions, polygon_by_walk
from infobargain.theory.shadow_vertex import ShadowVertexWalk, WalkError

VERTEX_TOLERANCE = 1e-9


def hull(points: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """The polygon ``from_instance`` keeps from a list of vertex candidates (same hull, same tolerance)."""
    array = np.array(points)
    return array[convex_hull_indices(array, 1e-11)]


def outside_by(polygon: NDArray[np.float64], point: NDArray[np.float64]) -> float:
    """How far ``point`` lies outside a counter-clockwise convex polygon (≤ 0 inside)."""
    if len(polygon) < 3:
        return float(np.abs(polygon - point).max(axis=1).min())
    edges = np.roll(polygon, -1, axis=0) - polygon
    normals = np.stack([edges[:, 1], -edges[:, 0]], axis=1) / np.hypot(edges[:, 0], edges[:, 1])[:, None]
    return float(((point - polygon) * normals).sum(axis=1).max())


def assert_same_polygon(instance: Instance, margin: float = 0.0) -> tuple[int, int]:
    """Walk and reference agree vertex for vertex; returns (reference vertices, vertices only the walk found).

    The reference stops refining an edge when the LP in its normal gains at most ``1e-9`` (times the scale),
    so it may miss a true vertex that close to one of its edges; the walk finds those too. Such a vertex is
    allowed, and only such: it must lie outside the reference polygon by no more than that threshold.
    """
    tolerance = VERTEX_TOLERANCE * scale(instance)
    reference = hull(polygon_by_directions(ObedienceLP(instance, margin))[0])
    walked = hull(polygon_by_walk(instance, margin)[0])
    for vertex in reference:  # the walk misses no vertex
        assert np.abs(walked - vertex).max(axis=1).min() <= tolerance, vertex
    extra = 0
    for vertex in walked:
        if np.abs(reference - vertex).max(axis=1).min() > tolerance:
            assert 0 < outside_by(reference, vertex) <= tolerance, vertex
            extra += 1
    assert len(walked) == len(reference) + extra
    return len(reference), extra


@pytest.mark.parametrize("name", ["pure_math", "prosecutor"])
def test_named_scenarios(name: str) -> None:
    instance = scenario(name)
    assert isinstance(instance, Instance)
    assert_same_polygon(instance)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_property_instances(instance: Instance) -> None:
    """The property tests' instances, generic and integer (ties, duplicate and dominated actions)."""
    assert_same_polygon(instance)


@settings(max_examples=30, deadline=None)
@given(instances(max_states=4, max_actions=4), st.one_of(st.just(0.0), st.floats(1e-4, 0.2)))
def test_with_a_margin_full_disclosure_meets(instance: Instance, relative_margin: float) -> None:
    """Margins from 1e-4 of the utility scale up (smaller ones: the next test)."""
    margin = relative_margin * scale(instance)
    try:
        ShadowVertexWalk(instance, margin)
    except WalkError:
        return  # full disclosure misses the margin: from_instance uses the reference method from the start
    try:
        assert_same_polygon(instance, margin)
    except WalkError:  # the walk stopped on a basis it cannot trust: from_instance then uses the reference
        reference = hull(polygon_by_directions(ObedienceLP(instance, margin))[0] + [from_instance(instance).d])
        assert np.allclose(from_instance(instance, "sender", margin).feasible.vertices, reference, rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(instances(max_states=4, max_actions=4), st.sampled_from([1e-10, 1e-9, 1e-8, 1e-7, 1e-6]))
def test_a_tiny_margin_walks_only_obedient_vertices(instance: Instance, relative_margin: float) -> None:
    """A margin this far below the utility differences makes bases ill-conditioned and the bottom face flat to
    within 1e-10, where neither the walk nor the LPs (tolerance 1e-10) pin vertices down to the other tests'
    1e-9. What the walk guarantees is soundness: it checks every vertex it records and stops (the caller then
    uses the LPs) rather than return one that does not obey by the margin."""
    margin = relative_margin * scale(instance)
    try:
        points, joints = polygon_by_walk(instance, margin)
    except WalkError:
        return
    tolerance = 1e-9 * scale(instance)
    for point, joint in zip(points, joints, strict=True):
        assert np.allclose(joint.sum(axis=1), instance.prior, rtol=0, atol=1e-15)
        assert obedience_slack(instance, joint / instance.prior[:, None], margin) >= -tolerance
        payoffs = ((joint * instance.sender_utility).sum(), (joint * instance.receiver_utility).sum())
        assert np.allclose(point, payoffs, rtol=0, atol=tolerance)


def test_random_instances_up_to_10x10() -> None:
    rng = np.random.default_rng(2024)
    for seed in range(12):
        states, actions = (int(v) for v in rng.integers(2, 11, size=2))
        assert_same_polygon(random_instance(states, actions, seed=seed))


@pytest.mark.slow
def test_one_hundred_random_instances_up_to_30x30() -> None:
    """Sizes drawn uniformly from 2..30 states × 2..30 actions (the reference takes seconds at 30×30)."""
    rng = np.random.default_rng(14)
    sizes = rng.integers(2, 31, size=(100, 2))
    results = [assert_same_polygon(random_instance(int(s), int(a), seed=seed)) for seed, (s, a) in enumerate(sizes)]
    assert max(vertices for vertices, _ in results) > 300  # the large instances really are large


def test_every_walked_joint_is_obedient_and_carries_the_prior() -> None:
    """Each vertex comes with its basic solution: obedient within rounding, each state's row exactly its prior."""
    for seed in range(3):
        instance = random_instance(12, 9, seed=seed)
        points, joints = polygon_by_walk(instance)
        for point, joint in zip(points, joints, strict=True):
            assert joint.min() >= 0.0
            assert np.allclose(joint.sum(axis=1), instance.prior, rtol=0, atol=1e-15)
            scheme = joint / instance.prior[:, None]
            assert obedience_slack(instance, scheme) >= -1e-12 * scale(instance)
            payoffs = (float((joint * instance.sender_utility).sum()), float((joint * instance.receiver_utility).sum()))
            assert np.allclose(point, payoffs, rtol=0, atol=1e-15)


def test_the_walk_starts_at_full_disclosure_and_ends_on_the_floor() -> None:
    """Each half starts at the receiver's best point and stops at an end of the bottom edge U_R = d_R."""
    instance = random_instance(6, 5, seed=3)
    full_information = float(instance.prior @ instance.receiver_utility.max(axis=1))
    floor = float((instance.prior @ instance.receiver_utility).max())
    ends = []
    for clockwise in (False, True):
        joints = ShadowVertexWalk(instance, clockwise=clockwise).walk()
        receiver = [float((joint * instance.receiver_utility).sum()) for joint in joints]
        assert receiver[0] == pytest.approx(full_information, abs=1e-12)
        assert receiver[-1] == pytest.approx(floor, abs=1e-12)
        ends.append(float((joints[-1] * instance.sender_utility).sum()))
    assert ends[0] <= ends[1]  # counter-clockwise ends on the left of the floor, clockwise on the right


def test_an_unmet_margin_falls_back_to_the_lps() -> None:
    """State 0 prefers action 0 by only 0.1, so full disclosure misses a margin of 0.3 and the walk refuses;
    saying nothing (action 1 by 0.45) meets it, so U is not empty and from_instance finds it by LPs."""
    instance = Instance([0.5, 0.5], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.9], [0.0, 1.0]])
    margin = 0.3
    with pytest.raises(WalkError, match="full disclosure"):
        ShadowVertexWalk(instance, margin)
    problem = from_instance(instance, "sender", margin)
    reference = hull(polygon_by_directions(ObedienceLP(instance, margin))[0] + [problem.d])
    assert np.allclose(problem.feasible.vertices, reference, rtol=0, atol=1e-12)


def test_a_negative_margin_is_rejected() -> None:
    with pytest.raises(ValueError, match="obedience_margin"):
        ShadowVertexWalk(random_instance(2, 2, seed=0), -0.1)


def test_vertex_schemes_are_the_schemes_of_the_vertices() -> None:
    problem = from_instance(random_instance(8, 6, seed=5))
    for index, vertex in enumerate(problem.feasible.vertices):
        assert np.array_equal(problem.vertex_scheme(index), problem.scheme_for_point(vertex))


def test_the_halves_walk_the_same_on_two_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clockwise half on a second thread meets exactly the vertices, masses and pivots of a serial walk."""
    instance = random_instance(14, 12, seed=7)
    monkeypatch.setattr(shadow_vertex, "PARALLEL_SIZE", 10**9)
    serial = shadow_vertex.walk_polygon(instance)
    monkeypatch.setattr(shadow_vertex, "PARALLEL_SIZE", 1)
    monkeypatch.setattr(shadow_vertex, "_usable_cores", lambda: 2)
    threaded = shadow_vertex.walk_polygon(instance)
    assert serial.pivots == threaded.pivots > len(serial) > 10
    assert np.array_equal(serial.points, threaded.points)
    assert all(np.array_equal(a, b) for a, b in zip(serial, threaded, strict=True))


def test_vertex_joints_behave_as_a_sequence_of_dense_joints() -> None:
    instance = random_instance(5, 4, seed=2)
    joints = shadow_vertex.walk_polygon(instance)
    dense = list(joints)
    assert len(dense) == len(joints) == len(joints.points)
    assert np.array_equal(joints[-1], dense[-1])
    assert all(np.array_equal(a, b) for a, b in zip(joints[1:3], dense[1:3], strict=True))
    assert all(joint.shape == (5, 4) for joint in dense)
    with pytest.raises(IndexError, match="vertex"):
        joints[len(joints)]
