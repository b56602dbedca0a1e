"""Instance validation, JSON round-trip, random instances and named scenarios (docs/design.md contract 1)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infobargain.game import (
    PAPER_SCENARIOS,
    SCENARIOS,
    Instance,
    InstanceError,
    SplitPie,
    random_instance,
    scenario,
    scenario_names,
)

PRIOR = [0.25, 0.75]
U_S = [[0.0, 1.0], [2.0, -1.0]]
U_R = [[1.0, 0.0], [0.0, 3.0]]


def valid_dict() -> dict[str, Any]:
    return {
        "name": "toy",
        "states": ["low", "high"],
        "actions": ["stay", "go"],
        "prior": list(PRIOR),
        "sender_utility": [list(row) for row in U_S],
        "receiver_utility": [list(row) for row in U_R],
    }


def assert_rejected(field: str, build: Any) -> InstanceError:
    """``build()`` raises an InstanceError whose message starts with ``field``."""
    with pytest.raises(InstanceError) as caught:
        build()
    message = str(caught.value)
    assert message.startswith(field), f"message {message!r} does not start with {field!r}"
    return caught.value


# Construction


def test_valid_instance_keeps_its_data() -> None:
    instance = Instance(PRIOR, U_S, U_R, states=["low", "high"], actions=["stay", "go"], name="toy")
    assert instance.n_states == 2 and instance.n_actions == 2 and instance.signals == 2
    assert instance.prior.tolist() == PRIOR
    assert instance.sender_utility.tolist() == U_S
    assert instance.receiver_utility.tolist() == U_R
    assert instance.states == ("low", "high") and instance.actions == ("stay", "go")


def test_default_names_and_signals() -> None:
    instance = Instance([1.0], [[1.0]], [[0.0]])
    assert instance.states == ("s0",) and instance.actions == ("a0",)
    assert instance.signals == 2  # at least two signals even with one action
    wide = Instance([0.5, 0.5], np.zeros((2, 4)), np.zeros((2, 4)))
    assert wide.signals == 4 and wide.actions == ("a0", "a1", "a2", "a3")


def test_prior_within_tolerance_is_renormalised() -> None:
    instance = Instance([0.5, 0.5 + 1e-12], U_S, U_R)
    assert math.isclose(float(instance.prior.sum()), 1.0, abs_tol=1e-15)


def test_instance_is_immutable() -> None:
    instance = Instance(PRIOR, U_S, U_R)
    with pytest.raises(AttributeError):
        instance.name = "other"  # type: ignore[misc]
    for array in (instance.prior, instance.sender_utility, instance.receiver_utility):
        with pytest.raises(ValueError):
            array[0] = 5.0


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("prior", {"prior": [0.5, 0.6]}),
        ("prior", {"prior": [0.4, 0.4]}),
        ("prior", {"prior": [1.5, -0.5]}),
        ("prior", {"prior": [float("nan"), 1.0]}),
        ("prior", {"prior": [float("inf"), 0.0]}),
        ("prior", {"prior": [0.2, 0.3, 0.5]}),
        ("prior", {"prior": [[0.5, 0.5]]}),
        ("prior", {"prior": "half"}),
        ("sender_utility", {"sender_utility": [[0.0, float("nan")], [1.0, 1.0]]}),
        ("sender_utility", {"sender_utility": [[0.0, float("-inf")], [1.0, 1.0]]}),
        ("receiver_utility", {"receiver_utility": [[0.0, 1.0], [float("inf"), 1.0]]}),
        ("receiver_utility", {"receiver_utility": [[0.0, 1.0, 2.0], [1.0, 1.0, 2.0]]}),
        ("receiver_utility", {"receiver_utility": [[0.0, 1.0]]}),
        ("sender_utility", {"sender_utility": [0.0, 1.0]}),
        ("sender_utility", {"sender_utility": [[0.0, 1.0], [1.0]]}),
        ("sender_utility", {"sender_utility": [["a", "b"], ["c", "d"]]}),
        ("sender_utility", {"sender_utility": [[], []], "receiver_utility": [[], []]}),
        ("sender_utility", {"prior": [], "sender_utility": np.zeros((0, 2)), "receiver_utility": np.zeros((0, 2))}),
        ("states", {"states": ["a", "a"]}),
        ("states", {"states": ["a", "b", "c"]}),
        ("states", {"states": []}),
        ("states", {"states": "ab"}),
        ("states", {"states": ["a", 1]}),
        ("actions", {"actions": ["go", "go"]}),
        ("actions", {"actions": ["go"]}),
        ("name", {"name": ""}),
        ("name", {"name": 3}),
        ("signals", {"signals": 1}),
        ("signals", {"signals": 0}),
        ("signals", {"signals": 2.5}),
        ("signals", {"signals": "3"}),
        ("signals", {"signals": True}),
    ],
)
def test_malformed_input_names_the_field(field: str, kwargs: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"prior": PRIOR, "sender_utility": U_S, "receiver_utility": U_R, **kwargs}
    prior, sender, receiver = arguments.pop("prior"), arguments.pop("sender_utility"), arguments.pop("receiver_utility")
    assert_rejected(field, lambda: Instance(prior, sender, receiver, **arguments))


def test_instance_error_is_a_value_error() -> None:
    assert issubclass(InstanceError, ValueError)


# JSON


def test_from_dict_accepts_the_contract_fields() -> None:
    instance = Instance.from_dict({**valid_dict(), "signals": 3})
    assert instance.signals == 3 and instance.name == "toy" and instance.states == ("low", "high")


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("colour", {"colour": "blue"}),
        ("prior", {"prior": None}),
        ("sender_utility", {"sender_utility": None}),
        ("receiver_utility", {"receiver_utility": None}),
        ("states", {"states": "low,high"}),
        ("actions", {"actions": {"stay": 0}}),
        ("prior", {"prior": [0.7, 0.7]}),
        ("signals", {"signals": 1}),
    ],
)
def test_from_dict_rejects(field: str, change: dict[str, Any]) -> None:
    data = valid_dict()
    for key, value in change.items():
        if value is None:
            del data[key]  # a missing field
        else:
            data[key] = value
    assert_rejected(field, lambda: Instance.from_dict(data))


@pytest.mark.parametrize("data", [[1, 2], "instance", 3, None])
def test_from_dict_rejects_non_objects(data: Any) -> None:
    assert_rejected("instance", lambda: Instance.from_dict(data))


@pytest.mark.parametrize(
    "instance",
    [
        Instance(PRIOR, U_S, U_R, states=["low", "high"], actions=["stay", "go"], name="toy"),
        Instance([0.2, 0.3, 0.5], np.arange(6.0).reshape(3, 2), -np.arange(6.0).reshape(3, 2), signals=5),
        random_instance(4, 3, seed=11),
    ],
)
def test_json_round_trip(instance: Instance, tmp_path: Path) -> None:
    path = tmp_path / "instance.json"
    instance.save(path)
    data = json.loads(path.read_text())
    assert set(data) == {"name", "states", "actions", "prior", "sender_utility", "receiver_utility", "signals"}
    assert len(data["sender_utility"]) == instance.n_states
    assert all(len(row) == instance.n_actions for row in data["receiver_utility"])
    loaded = Instance.load(path)
    assert loaded == instance and hash(loaded) == hash(instance)
    assert np.array_equal(loaded.prior, instance.prior)
    assert np.array_equal(loaded.sender_utility, instance.sender_utility)
    assert np.array_equal(loaded.receiver_utility, instance.receiver_utility)
    assert (loaded.states, loaded.actions, loaded.name, loaded.signals) == (
        instance.states,
        instance.actions,
        instance.name,
        instance.signals,
    )
    assert Instance.from_dict(instance.to_dict()) == instance


def test_instances_that_differ_are_unequal() -> None:
    base = Instance(PRIOR, U_S, U_R)
    assert base != Instance(PRIOR, U_S, U_R, name="other")
    assert base != Instance([0.5, 0.5], U_S, U_R)
    assert base != Instance(PRIOR, U_S, U_R, signals=3)
    assert base.__eq__("not an instance") is NotImplemented


def test_load_rejects_non_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    assert_rejected("instance file", lambda: Instance.load(path))


def test_load_rejects_missing_file(tmp_path: Path) -> None:
    error = assert_rejected("instance file", lambda: Instance.load(tmp_path / "absent.json"))
    assert "absent.json" in str(error)


def test_load_rejects_a_directory(tmp_path: Path) -> None:
    assert_rejected("instance file", lambda: Instance.load(tmp_path))


def test_load_reports_field_errors_inside_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad_prior.json"
    path.write_text(json.dumps({**valid_dict(), "prior": [0.9, 0.9]}))
    assert_rejected("prior", lambda: Instance.load(path))
    path.write_text(json.dumps({**valid_dict(), "extra": 1}))
    assert_rejected("extra", lambda: Instance.load(path))


# Random instances


def test_random_instance_is_reproducible_by_seed() -> None:
    first, again = random_instance(4, 5, seed=3), random_instance(4, 5, seed=3)
    assert first == again
    assert np.array_equal(first.sender_utility, again.sender_utility)
    assert (first.n_states, first.n_actions) == (4, 5)


def test_random_instances_differ_across_seeds() -> None:
    draws = [random_instance(3, 3, seed=seed) for seed in range(5)]
    for i in range(len(draws)):
        for j in range(i + 1, len(draws)):
            assert not np.array_equal(draws[i].sender_utility, draws[j].sender_utility)
            assert not np.array_equal(draws[i].prior, draws[j].prior)


def test_random_instance_is_well_formed() -> None:
    instance = random_instance(6, 4, seed=0, signals=7, name="mine")
    assert instance.name == "mine" and instance.signals == 7
    assert math.isclose(float(instance.prior.sum()), 1.0, abs_tol=1e-12)
    assert np.all(instance.prior > 0)
    for utility in (instance.sender_utility, instance.receiver_utility):
        assert np.all(np.abs(utility) <= 1.0)


@pytest.mark.parametrize(("states", "actions"), [(0, 2), (2, 0)])
def test_random_instance_needs_states_and_actions(states: int, actions: int) -> None:
    with pytest.raises(InstanceError):
        random_instance(states, actions, seed=0)


# Scenarios

PAPER_PRIOR = [2 / 3, 1 / 3]
PAPER_SENDER = [[0.0, 1.0], [0.0, 1.0]]
PAPER_RECEIVER = [[0.0, -1.0], [0.0, 1.0]]


def test_scenario_names_list_every_scenario() -> None:
    names = scenario_names()
    for name in (*PAPER_SCENARIOS, "prosecutor", "split_pie", "split_pie_bounded"):
        assert name in names and name in SCENARIOS
    assert any(name.startswith("random") for name in names)


@pytest.mark.parametrize("name", PAPER_SCENARIOS)
def test_paper_scenarios_share_the_numbers_of_theory_section_5(name: str) -> None:
    instance = scenario(name)
    assert isinstance(instance, Instance)
    assert instance.name == name
    assert np.allclose(instance.prior, PAPER_PRIOR, atol=1e-15, rtol=0)
    assert instance.sender_utility.tolist() == PAPER_SENDER
    assert instance.receiver_utility.tolist() == PAPER_RECEIVER
    assert instance.signals == 2


def test_paper_scenarios_differ_only_in_labels() -> None:
    labels = {(scenario(name).states, scenario(name).actions) for name in PAPER_SCENARIOS}  # type: ignore[union-attr]
    assert len(labels) == len(PAPER_SCENARIOS)
    assert scenario("grading_students").actions == ("no_hire", "hire")  # type: ignore[union-attr]
    assert scenario("selling_products").states == ("bad", "good")  # type: ignore[union-attr]


def test_prosecutor_scenario() -> None:
    instance = scenario("prosecutor")
    assert isinstance(instance, Instance)
    assert instance.prior.tolist() == [0.3, 0.7]
    assert instance.states == ("guilty", "innocent") and instance.actions == ("acquit", "convict")
    # The prosecutor wants a conviction; the judge wants to be right.
    assert instance.sender_utility.tolist() == [[0.0, 1.0], [0.0, 1.0]]
    assert instance.receiver_utility.tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_pie_scenarios() -> None:
    pie = scenario("split_pie")
    assert isinstance(pie, SplitPie)
    assert pie.split(0.25) == (0.25, 0.75)
    bounded = scenario("split_pie_bounded")
    assert isinstance(bounded, SplitPie)
    for keep in (0.0, 0.2, 0.5):
        proposer, responder = bounded.split(keep)
        assert math.isclose(proposer, (1 + 2 * keep) / 3) and math.isclose(responder, (1 - 2 * keep) / 3)
    with pytest.raises(ValueError):
        bounded.split(0.6)


def test_scenarios_are_fresh_objects() -> None:
    assert scenario("pure_math") is not scenario("pure_math")
    assert scenario("pure_math") == scenario("pure_math")


@pytest.mark.parametrize(("name", "shape", "seed"), [("random:3x4:7", (3, 4), 7), ("random:2X5:0", (2, 5), 0)])
def test_random_scenario_parsing(name: str, shape: tuple[int, int], seed: int) -> None:
    instance = scenario(name)
    assert isinstance(instance, Instance)
    assert (instance.n_states, instance.n_actions) == shape
    assert instance.name == name
    reference = random_instance(*shape, seed=seed)
    assert np.array_equal(instance.prior, reference.prior)
    assert np.array_equal(instance.sender_utility, reference.sender_utility)
    assert np.array_equal(instance.receiver_utility, reference.receiver_utility)


@pytest.mark.parametrize(
    "name",
    [
        "random:3x",
        "random:axb:1",
        "random:3x3:x",
        "random:3x3:",
        "random:0x3:1",
        "random:3x-1:1",
        "random:3x3:1:2",
        "random:3x3x3:1",
        "random:3x3:-1",
    ],
)
def test_random_scenario_errors(name: str) -> None:
    error = assert_rejected("scenario", lambda: scenario(name))
    assert "random:SxA:SEED" in str(error)


@pytest.mark.parametrize("name", ["nonexistent", "Pure_Math", "", "randomness", "random_3x3"])
def test_unknown_scenario(name: str) -> None:
    assert_rejected("scenario", lambda: scenario(name))
