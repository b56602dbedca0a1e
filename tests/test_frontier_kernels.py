"""The compiled frontier tables of games up to 4×4 (:mod:`infobargain.envs.frontier_kernels`) against the reference
path (``bargaining_problem`` then ``FrontierOffers``, computed here at test time): every row marked exact equals it
to 1e-9, every other row is NaN, on seeded, hypothesis and degenerate instances."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_small_games import reference  # the reference path's tables of one game

from infobargain.envs.frontier_kernels import frontier_tables_small
from infobargain.game import Instance, random_instance, scenario
from infobargain.game.schemes import default_action
from infobargain.theory.shadow_vertex import WalkError, walk_polygon

TOLERANCE = 1e-9
SHAPES = ((1, 2), (2, 2), (2, 3), (3, 2), (3, 3), (2, 4), (4, 2), (3, 4), (4, 4))


def check_rows(
    instances: Sequence[Instance], tie_break: str, margin: float, receiver_offer: str, grid_size: int
) -> np.ndarray:
    """Every exact row equals the reference, every other row is NaN; returns the mask."""
    tables, exact = frontier_tables_small(
        np.array([i.prior for i in instances]),
        np.array([i.sender_utility for i in instances]),
        np.array([i.receiver_utility for i in instances]),
        tie_break=tie_break,
        obedience_margin=margin,
        receiver_offer=receiver_offer,
        grid_size=grid_size,
    )
    n_states, n_actions = instances[0].sender_utility.shape
    assert exact.shape == (len(instances),) and exact.dtype == bool
    assert tables.schemes.shape == tables.joints.shape == (len(instances), 2, grid_size, n_states, n_actions)
    for row, instance in enumerate(instances):
        ours = (tables.d[row], tables.payoffs[row], tables.schemes[row], tables.joints[row])
        if not exact[row]:
            assert all(np.isnan(table).all() for table in ours)
            continue
        theirs = reference(instance, tie_break, margin, receiver_offer, grid_size)
        for name, mine, expected in zip(("d", "payoffs", "schemes", "joints"), ours, theirs, strict=True):
            error = float(np.abs(mine - expected).max())
            assert error <= TOLERANCE, f"{instance.name} row {row}: {name} off by {error:.3g}"
        assert tables.no_information_action[row] == default_action(instance, tie_break)  # type: ignore[arg-type]
    return exact


@pytest.mark.parametrize("tie_break", ("sender", "receiver"))
@pytest.mark.parametrize("shape", SHAPES)
def test_random_instances_match_the_reference(shape: tuple[int, int], tie_break: str) -> None:
    instances = [random_instance(*shape, seed) for seed in range(40)]
    exact = check_rows(instances, tie_break, 0.0, "threshold", 11)
    assert exact.mean() >= 0.95, f"only {exact.mean():.0%} of the rows exact"


def test_paper_instances_are_exact() -> None:
    instances = [scenario(name) for name in ("pure_math", "prosecutor")]
    assert check_rows(instances, "sender", 0.0, "threshold", 25).all()


@pytest.mark.slow
@pytest.mark.parametrize("shape", ((3, 3), (4, 4), (2, 4)))
def test_seeded_sweep(shape: tuple[int, int]) -> None:
    instances = [random_instance(*shape, seed) for seed in range(1000)]
    exact = check_rows(instances, "sender", 0.0, "threshold", 11)
    assert exact.mean() >= 0.999, f"only {exact.mean():.2%} of the rows exact"


@pytest.mark.parametrize("margin", (1e-3, 0.05))
def test_a_margin_gives_exact_or_flagged_rows(margin: float) -> None:
    instances = [random_instance(3, 3, seed) for seed in range(40)]
    exact = check_rows(instances, "sender", margin, "threshold", 5)
    for row in np.flatnonzero(~exact):  # flagged: the walk cannot run there (the reference solves LPs instead)
        with pytest.raises(WalkError):
            walk_polygon(instances[row], margin)


@st.composite
def games(draw: st.DrawFn, shape: tuple[int, int]) -> Instance:
    """Generic draws, degenerate ones (small integers: ties, indifference, zero priors) or nearly degenerate ones
    (small integers moved by up to 1e-13 to 1e-4)."""
    kind = draw(st.sampled_from(("float", "integer", "nearly")))
    if kind == "float":
        weights = draw(arrays(np.float64, shape[0], elements=st.floats(1e-3, 1.0)))
        table = arrays(np.float64, shape, elements=st.floats(-1, 1))
        return Instance(weights / weights.sum(), draw(table), draw(table), name=kind)
    weights = draw(arrays(np.int64, shape[0], elements=st.integers(0, 4)).filter(lambda w: w.sum() > 0))
    table = arrays(np.int64, shape, elements=st.integers(-2, 2))
    sender, receiver = draw(table).astype(np.float64), draw(table).astype(np.float64)
    if kind == "nearly":
        size = 10.0 ** draw(st.floats(-13, -4))
        nudges = arrays(np.float64, (2, *shape), elements=st.floats(-1, 1))
        sender, receiver = np.array([sender, receiver]) + size * draw(nudges)
    return Instance(weights / weights.sum(), sender, receiver, name=kind)


@st.composite
def batches(draw: st.DrawFn) -> list[Instance]:
    shape = draw(st.sampled_from(SHAPES))
    return draw(st.lists(games(shape), min_size=1, max_size=4))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batches(),
    st.sampled_from(("sender", "receiver")),
    st.sampled_from((0.0, 0.0, 1e-3)),
    st.sampled_from(("threshold", "exact")),
    st.sampled_from((2, 11)),
)
def test_exact_rows_match_the_reference(
    instances: list[Instance], tie_break: str, margin: float, receiver_offer: str, grid_size: int
) -> None:
    check_rows(instances, tie_break, margin, receiver_offer, grid_size)


def test_sizes_beyond_the_compiled_path_are_refused() -> None:
    instance = random_instance(5, 5, 0)
    with pytest.raises(ValueError, match="4 states and 2 to 4 actions, got 5x5"):
        frontier_tables_small(
            instance.prior[None],
            instance.sender_utility[None],
            instance.receiver_utility[None],
            tie_break="sender",
            obedience_margin=0.0,
            receiver_offer="threshold",
            grid_size=11,
        )
