"""The shipped example instances load, validate and solve; the prosecutor file is the named scenario."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from infobargain.game import Instance, scenario
from infobargain.game.protocol import Protocol
from infobargain.theory import bargaining_problem, subgame_perfect

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda path: path.name)
def test_example_instances_solve(path: Path) -> None:
    instance = Instance.load(path)
    problem = bargaining_problem(instance)
    outcome = subgame_perfect(problem, Protocol("alternating", max_rounds=10, break_off=0.1), "sender")
    assert problem.feasible.contains(np.asarray(outcome.payoffs))


def test_prosecutor_file_is_the_named_scenario() -> None:
    from_file, named = Instance.load(EXAMPLES / "prosecutor.json"), scenario("prosecutor")
    for field in ("states", "actions"):
        assert getattr(from_file, field) == getattr(named, field)
    for field in ("prior", "sender_utility", "receiver_utility"):
        np.testing.assert_array_equal(getattr(from_file, field), getattr(named, field))


def test_my_instance_has_the_hand_computed_benchmarks() -> None:
    # Receiver's prior-optimal action is "reject" (limited −0.06, approve −0.24), so d = (0, 0); full
    # disclosure: approve when effective, limited when modest → U_S = 0.2 + 0.15, U_R = 0.2 + 0.09.
    problem = bargaining_problem(Instance.load(EXAMPLES / "my_instance.json"))
    np.testing.assert_allclose(problem.d, (0.0, 0.0), atol=1e-12)
    assert any(np.allclose(vertex, (0.35, 0.29)) for vertex in problem.feasible.vertices)
