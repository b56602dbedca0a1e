"""Every malformed input ends the command with one line on stderr and exit code 2, before any work starts: the
cases of issue 16 one by one, then a property test that generates instance files and flag values."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from infobargain.cli import main
from infobargain.game.limits import SIZE_VARIABLE, SizeLimitError, check_bargaining_tree

GOOD = {"prior": [0.5, 0.5], "sender_utility": [[1, 0], [0, 1]], "receiver_utility": [[1, 0], [0, 1]]}


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Malformed inputs in a scratch working directory (run directories land there too)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(SIZE_VARIABLE, raising=False)
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "deep_prior.json").write_text(json.dumps(GOOD).replace("[0.5, 0.5]", "[" * 5000 + "]" * 5000))
    (tmp_path / "strings.json").write_text(json.dumps({**GOOD, "prior": ["0.5", "0.5"]}))
    (tmp_path / "booleans.json").write_text(json.dumps({**GOOD, "sender_utility": [[True, False], [0, 1]]}))
    (tmp_path / "signals.json").write_text(json.dumps({**GOOD, "signals": 100_000}))
    (tmp_path / "instance").write_text(json.dumps(GOOD))
    (tmp_path / "garbage.pt").write_bytes(b"not a torch file")
    torch.save({"format": "infobargain-actor-critic", "observation_size": 41}, tmp_path / "partial.pt")
    with zipfile.ZipFile(tmp_path / "partial.zip", "w") as archive:
        archive.writestr("data", json.dumps({"policy_class": {"__module__": "stable_baselines3.common.policies"}}))
    (tmp_path / "seed.toml").write_text("[run]\nseed = true\n")
    return tmp_path


CASES: list[tuple[list[str], str]] = [
    *[
        ([command, "--instance", name, *extra], "nested too deeply")
        for name in ("deep.json", "deep_prior.json")
        for command, extra in (
            ("solve", []),
            ("play", ["--sender", "spe", "--receiver", "spe"]),
            ("evaluate", ["--sender", "spe", "--receiver", "spe", "--episodes", "2"]),
            ("train", ["--total-steps", "64"]),
        )
    ],
    (["solve", "--instance", "strings.json"], "prior: must be a list of numbers, found '0.5'"),
    (["solve", "--instance", "booleans.json"], "sender_utility: must be a [state][action] table of numbers"),
    (["play", "--sender", "garbage.pt", "--receiver", "spe"], "not a torch file"),
    (["play", "--sender", "partial.pt", "--receiver", "spe"], "not a complete saved player"),
    (["play", "--sender", "partial.zip", "--receiver", "spe"], "partial.zip"),
    (["play", "--sender", "spe", "--receiver", "spe", "--seed", "-1"], "--seed: must be >= 0"),
    (["train", "--set", "mappo.minibatches=0"], "mappo.minibatches"),
    (["train", "--algorithm", "sb3", "--set", "sb3.batch_size=0"], "sb3.batch_size"),
    (["train", "--algorithm", "sb3", "--set", "sb3.n_steps=0"], "sb3.n_steps"),
    (["train", "--algorithm", "sb3", "--set", "sb3.n_epochs=0"], "sb3.n_epochs"),
    (["train", "--set", "mappo.hidden_size=-1"], "mappo.hidden_size"),
    (["train", "--set", "mappo.hidden_size=0"], "mappo.hidden_size"),
    (["train", "--set", "mappo.clip_coef=-1"], "mappo.clip_coef"),
    (["train", "--set", "mappo.subgame_starts=2"], "mappo.subgame_starts"),
    (["train", "--set", "mappo.update_epochs=0"], "mappo.update_epochs"),
    (["train", "--set", "mappo.entropy_coef=nan"], "mappo.entropy_coef"),
    (["train", "--config", "seed.toml"], "run.seed: expected int"),
    (["train", "--instance", "instance"], "must be a .json file"),
    (["evaluate", "--sender", "spe", "--receiver", "spe", "--cross-play", "nobody"], "unknown player 'nobody'"),
    (["evaluate", "--sender", "spe", "--receiver", "spe", "--workers", "0"], "--workers: must be >= 1"),
    (["play", "--sender", "threshold:2", "--receiver", "spe"], "no deal gives the sender that much"),
    (["play", "--sender", "spe", "--receiver", "threshold:nan"], "threshold:NUMBER"),
    (["evaluate", "--sender", "spe", "--receiver", "threshold:2"], "no deal gives the receiver that much"),
    (["solve", "--scenario", "random:1000x1000:0"], "bargaining set: 1000 states × 1000 actions"),
    (["solve", "--max-rounds", "100000000"], "bargaining tree: 100000000 rounds"),
    (["train", "--grid-size", "100000"], "bargaining tree: 10 rounds × 200000 offers"),
    (["play", "--instance", "signals.json", "--sender", "spe", "--receiver", "spe"], "realization: 2 states"),
    (["train", "--name", "../../x"], "run.name"),
]


@pytest.mark.parametrize(("argv", "message"), CASES, ids=[" ".join(argv)[:60] for argv, _ in CASES])
def test_malformed_input_is_one_line_and_exit_2(
    argv: list[str], message: str, files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.name for p in files.iterdir())
    assert main(argv) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("infobargain: error: ") and message in error[0], error
    assert sorted(p.name for p in files.iterdir()) == before  # refused before any work: nothing written


def test_max_size_raises_the_limit_it_names(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "--max-rounds", "400000", "--max-size", "2000000"]) == 2
    assert "above the size limit of 2,000,000" in capsys.readouterr().err
    os.environ.pop(SIZE_VARIABLE)
    with pytest.raises(SizeLimitError, match="--max-size 1200000"):
        check_bargaining_tree(200_000, 6)


def test_max_size_lets_a_large_request_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SIZE_VARIABLE, "1200000")
    check_bargaining_tree(200_000, 6)


def test_solve_plot_reports_the_file_it_wrote(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    assert main(["solve", "--plot", "out"]) == 0
    assert capsys.readouterr().err.strip() == "plot written to out.png"
    assert (files / "out.png").exists() and not (files / "out").exists()


# Property: generated instance files and flag values never give a traceback.

numbers = st.one_of(
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 2**70, 0.5]),
)
junk = st.one_of(st.none(), st.booleans(), st.text(max_size=5), numbers, st.just([]), st.just({}))
entries = st.one_of(numbers, junk)


@st.composite
def instance_documents(draw: st.DrawFn) -> str:
    """JSON text: an instance of random size (40 states or actions trip the size guard), valid or with one field
    broken (junk entries, wrong shapes, unknown fields, bad signals), sometimes plain garbage or deep nesting."""
    kind = draw(st.sampled_from(["valid", "valid", "broken", "broken", "junk", "text", "deep"]))
    if kind == "text":
        return draw(st.text(max_size=40))
    if kind == "deep":
        depth = draw(st.integers(500, 20_000))
        return '{"prior": ' + "[" * depth + "]" * depth + "}"
    if kind == "junk":
        return json.dumps(draw(st.recursive(junk, lambda inner: st.lists(inner, max_size=3), max_leaves=8)))
    states = draw(st.sampled_from([1, 2, 3, 40]))
    actions = draw(st.sampled_from([1, 2, 3, 40]))
    weights = draw(st.lists(st.floats(0.01, 1), min_size=states, max_size=states))
    document: dict[str, object] = {
        "prior": [w / sum(weights) for w in weights],
        "sender_utility": [[draw(st.floats(-2, 2)) for _ in range(actions)] for _ in range(states)],
        "receiver_utility": [[draw(st.floats(-2, 2)) for _ in range(actions)] for _ in range(states)],
    }
    if draw(st.booleans()):
        document["signals"] = draw(st.integers(2, 4))
    if kind == "broken":
        field = draw(st.sampled_from(["prior", "sender_utility", "receiver_utility", "signals", "name", "extra"]))
        document[field] = draw(
            st.one_of(junk, st.lists(entries, max_size=4), st.lists(st.lists(entries, max_size=3), max_size=3))
        )
    return json.dumps(document, allow_nan=True)


flag_values = st.one_of(
    st.integers(-5, 12).map(str),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "0.5", "", "x", "99999999999", "sender", "receiver", "coin_flip"]),
)
FLAGS = ["--max-rounds", "--break-off", "--discount", "--obedience-margin", "--first-proposer", "--tie-break"]


@pytest.mark.slow
@settings(
    max_examples=int(os.environ.get("INFOBARGAIN_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    document=instance_documents(),
    flags=st.lists(st.tuples(st.sampled_from(FLAGS), flag_values), max_size=2),
    command=st.sampled_from(["solve", "solve", "play"]),
)
def test_generated_input_exits_0_or_2_with_one_line(
    document: str, flags: list[tuple[str, str]], command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "instance.json"
    path.write_text(document)
    argv = [command, "--instance", str(path), *(part for flag in flags for part in flag)]
    if command == "play":
        argv += ["--sender", "spe", "--receiver", "random", "--seed", "0"]
    code = main(argv)  # an uncaught exception here is a traceback: the test fails
    error = [line for line in capsys.readouterr().err.splitlines() if "Warning" not in line]
    event(f"{command} exit {code}")
    assert code in (0, 2)
    if code == 2:
        assert len(error) == 1 and error[0].startswith("infobargain: error: "), error


def test_a_zip_whose_data_entry_is_not_json_is_refused(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data", b"\x80not json")
    (files / "broken.zip").write_bytes(buffer.getvalue())
    assert main(["play", "--sender", "broken.zip", "--receiver", "spe"]) == 2
    assert "broken.zip" in capsys.readouterr().err


@st.composite
def config_assignments(draw: st.DrawFn) -> str:
    """``SECTION.KEY=VALUE`` over every key of a run config (and a few that do not exist), with values of every
    type: in range, out of range, non-finite, booleans, text, empty."""
    from infobargain.training.config import RUN_ENV_DEFAULTS, RunSection
    from infobargain.training.registry import algorithms

    sections = {name: entry.settings_class() for name, entry in algorithms().items() if entry.settings is not None}
    keys = [f"env.{key}" for key in RUN_ENV_DEFAULTS] + [f"run.{name}" for name in RunSection.__dataclass_fields__]
    keys += [f"{section}.{name}" for section, kind in sections.items() for name in kind.__dataclass_fields__]
    key = draw(st.sampled_from([*keys, "mappo.nope", "nope.key", "run"]))
    value = draw(
        st.one_of(
            st.integers(-3, 10**7).map(str),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.sampled_from(["true", "false", "", "nan", "inf", "1e400", "../x", "sender", "dummy", "auto"]),
            st.text(max_size=6),
        )
    )
    return f"{key}={value}"


@pytest.mark.slow
@settings(
    max_examples=int(os.environ.get("INFOBARGAIN_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(assignments=st.lists(config_assignments(), min_size=1, max_size=3))
def test_generated_config_values_are_refused_before_training_or_accepted(
    assignments: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from infobargain.training import runner

    def started(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # training would start here: the config passed validation

    monkeypatch.setattr(runner, "run_training", started)
    argv = ["train", "--run-dir", str(tmp_path / "run"), *(part for a in assignments for part in ("--set", a))]
    code = main(argv)
    event(f"train exit {code}")
    error = [line for line in capsys.readouterr().err.splitlines() if "Warning" not in line]
    assert code in (2, 130)
    if code == 2:
        assert len(error) == 1 and error[0].startswith("infobargain: error: "), error
