"""Every command's flags: each states its default, none is silently ignored, outputs are checked before any work,
and runs carry copies of the instance files they were trained on."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from infobargain.cli import build_parser, main
from infobargain.cli.arguments import DefaultsHelpFormatter
from infobargain.training.config import INPUTS, RunConfig
from infobargain.training.rundir import RunDirectory

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _commands() -> dict[str, argparse.ArgumentParser]:
    (subcommands,) = (a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(subcommands.choices)


@pytest.mark.parametrize("command", ["solve", "train", "play", "evaluate", "suite", "benchmark"])
def test_every_help_states_each_flags_default(command: str) -> None:
    """A flag that is neither a switch nor required says its default in --help, in words where it has no value."""
    parser = _commands()[command]
    formatter = DefaultsHelpFormatter("infobargain")
    for action in parser._actions:
        if not action.option_strings or action.required or action.help == argparse.SUPPRESS or action.dest == "help":
            continue
        switch = action.nargs == 0 or isinstance(action, argparse.BooleanOptionalAction)
        text = formatter._get_help_string(action) or ""
        assert switch or "default" in text, f"{command} {action.option_strings[0]}: no default in {text!r}"


def test_progress_and_output_have_one_spelling_each() -> None:
    """--out names every output folder and --progress/--no-progress every progress switch; the older spellings
    (--run-dir, --quiet) are accepted but not shown."""
    for name, parser in _commands().items():
        shown = {
            flag for action in parser._actions if action.help != argparse.SUPPRESS for flag in action.option_strings
        }
        assert not shown & {"--run-dir", "--quiet"}, name
        if name in ("train", "evaluate", "suite", "benchmark"):
            assert {"--progress", "--no-progress"} <= shown, name
        if name != "solve":
            assert "--out" in shown, name


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["solve", "--plot", "{file}/plot.png"], "--plot"),
        (["play", "--sender", "spe", "--receiver", "spe", "--out", "{file}/play"], "--out"),
        (["train", "--total-steps", "10", "--out", "{file}/run"], "--out"),
        (["train", "--total-steps", "10", "--run-dir", "{file}/run"], "--out"),
        (["evaluate", "--sender", "spe", "--receiver", "spe", "--out", "{file}/eval"], "--out"),
        (["suite", "--players", "spe", "--out", "{file}/suite"], "--out"),
        (["benchmark", "--budget", "10", "--out", "{file}/bench"], "--out"),
        (["evaluate", "--sender", "spe", "--receiver", "spe", "--out", "{file}"], "--out"),
    ],
    ids=["solve", "play", "train", "train-old-spelling", "evaluate", "suite", "benchmark", "folder-is-a-file"],
)
def test_outputs_are_checked_before_any_work(
    argv: list[str], flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An output through a file: one line naming the flag, exit 2, nothing printed or written first."""
    blocker = tmp_path / "file.json"
    blocker.write_text("{}")
    before = sorted(tmp_path.rglob("*"))
    assert main([word.replace("{file}", str(blocker)) for word in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"infobargain: error: {flag}: ") and len(captured.err.splitlines()) == 1
    assert "file.json" in captured.err and "Errno" not in captured.err
    assert sorted(tmp_path.rglob("*")) == before and blocker.read_text() == "{}"


def test_an_output_the_system_refuses_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    """A folder no one can create (under /proc): refused before the table is printed."""
    assert main(["solve", "--plot", "/proc/infobargain/plot.png"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("infobargain: error: --plot: cannot create /proc/")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["evaluate", "--sender", "spe", "--receiver", "spe", "--cross-play-episodes", "5"], "--cross-play-episodes"),
        (["evaluate", "--sender", "spe", "--receiver", "spe", "--best-response-steps", "5"], "--best-response-steps"),
        (["evaluate", "--sender", "spe", "--receiver", "spe", "--instances", "5"], "--instances"),
        (
            ["evaluate", "--sender", "spe", "--receiver", "spe", "--scenario", "random:2x2", "--episodes", "5"],
            "--episodes",
        ),
        (["evaluate", "--run", "{run}", "--sender", "spe"], "--run"),
        (["suite", "--players", "spe", "--steps", "5"], "--steps"),
        (["suite", "--players", "spe", "--jobs", "2"], "--jobs"),
        (["suite", "--players", "spe", "--algorithm", "qlearning"], "--algorithm"),
        (["benchmark", "--list", "--budget", "5"], "--list"),
    ],
    ids=[
        "cross-play-episodes",
        "best-response-steps",
        "instances",
        "distribution-episodes",
        "run-and-players",
        "suite-steps",
        "suite-jobs",
        "suite-algorithm",
        "list",
    ],
)
def test_a_flag_the_command_would_not_use_is_refused(
    argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([word.replace("{run}", str(tmp_path)) for word in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"infobargain: error: {message}: ") and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing written on refusal


def _run_on(tmp_path: Path, game: Path) -> Path:
    """A run directory opened on the instance file or folder ``game``, with analytic players saved in it."""
    config = RunConfig.from_dict({"env": {"game": str(game), "protocol": "ultimatum", "grid_size": 5}})
    run = RunDirectory(tmp_path / "run", config)
    run.close()
    for role in ("sender", "receiver"):
        (run.players / f"{role}.json").write_text(json.dumps({"policy": "spe", "role": role}))
    return run.path


def test_a_run_keeps_its_instance_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The run copies its instance file: evaluating it after the original moved works; after the original changed,
    the run's copy is used and the change is said."""
    original = tmp_path / "pilot.json"
    shutil.copyfile(EXAMPLES / "my_instance.json", original)
    run = _run_on(tmp_path, original)
    assert (run / INPUTS / "pilot.json").read_text() == original.read_text()
    original.rename(tmp_path / "moved.json")
    argv = ["evaluate", "--run", str(run), "--episodes", "2", "--no-figures", "--exploitability", "none"]
    assert main([*argv, "--out", str(tmp_path / "after-move")]) == 0
    document = json.loads((tmp_path / "after-move" / "evaluation.json").read_text())
    assert document["env"]["game"] == str(run / INPUTS / "pilot.json")
    changed = json.loads((tmp_path / "moved.json").read_text())
    changed["prior"] = [0.2, 0.3, 0.5]
    original.write_text(json.dumps(changed))
    capsys.readouterr()
    assert main([*argv, "--out", str(tmp_path / "after-change")]) == 0
    assert f"note: {original} changed since the run was trained; using the run's copy" in capsys.readouterr().err
    kept = json.loads((tmp_path / "after-change" / "evaluation.json").read_text())
    assert kept["benchmarks"] == document["benchmarks"]  # the game trained on, not the changed file


def test_a_run_keeps_its_folder_of_instances(tmp_path: Path) -> None:
    folder = tmp_path / "instances"
    folder.mkdir()
    shutil.copyfile(EXAMPLES / "my_instance.json", folder / "a.json")
    run = _run_on(tmp_path, folder)
    shutil.rmtree(folder)
    assert (run / INPUTS / "instances" / "a.json").is_file()


def test_play_explains_a_discounted_deal(capsys: pytest.CaptureFixture[str]) -> None:
    """A deal after a rejection pays 0.9 of its offer (break-off 0.1): play says so beside the outcome."""
    argv = ["play", "--sender", "spe", "--receiver", "obedient", "--first-proposer", "receiver", "--grid-size", "11"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "deal in round 1" in out
    assert "after 1 rejection(s), it is paid with weight 0.9000 = (1 − p)^1 · δ^1" in out


def test_a_saved_player_of_another_encoding_names_the_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A player trained on 25 offers per frontier, evaluated on 11: one line naming --grid-size 25 (from its run's
    config.toml), exit 2, no output folder."""
    pytest.importorskip("torch")
    from infobargain.agents.learned import save_torch_player
    from infobargain.agents.networks import ActorCritic
    from infobargain.envs.information_bargaining_v1 import raw_env

    trained = raw_env(grid_size=25)
    (run := tmp_path / "run" / "players").mkdir(parents=True)
    (tmp_path / "run" / "config.toml").write_text('[env]\noffer_space = "frontier"\ngrid_size = 25\nmax_rounds = 10\n')
    size = trained.observation_layout.size
    save_torch_player(ActorCritic(size, int(trained.action_space("sender_0").n), True), run / "sender.pt")
    out = tmp_path / "out"
    argv = ["evaluate", "--sender", str(run / "sender.pt"), "--receiver", "spe", "--grid-size", "11"]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "it was trained with --offer-space frontier --grid-size 25 --max-rounds 10" in err
    assert len(err.splitlines()) == 1
    assert not out.exists()


def test_the_observation_layout_prints_its_slices() -> None:
    from infobargain.envs.information_bargaining_v1 import raw_env

    layout = raw_env(grid_size=11).observation_layout
    text = repr(layout)
    assert text.startswith(f"ObservationLayout(size={layout.size}: prior[0:2], ") and "object at" not in text
    assert f"offer_menu[{layout['offer_menu'].start}:{layout['offer_menu'].start + 2 * 11 * 2}]" in text


@pytest.mark.slow
def test_train_says_when_a_budget_is_rounded_up_and_when_a_resumed_run_was_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Q-learning trains in batches of 1,024 decisions: --total-steps 1000 trains 1,024, and train says by how much
    it went over; resuming the finished run says there is nothing left to train."""
    run = tmp_path / "run"
    argv = ["train", "--algorithm", "qlearning", "--total-steps", "1000", "--protocol", "ultimatum", "--out", str(run)]
    assert main([*argv, "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "note: trained 1,024 decisions for a budget of 1,000 (--total-steps)" in err and "24 past it" in err
    assert main(["train", "--out", str(run), "--resume", "--no-progress"]) == 0
    assert f"--resume: {run} finished already (1,024 of 1,000 steps): nothing left to train" in capsys.readouterr().err


@pytest.mark.slow
def test_a_run_resumes_after_its_instance_file_moved(tmp_path: Path) -> None:
    """The run trains on, and resumes from, its own copy: moving the original changes nothing."""
    original = tmp_path / "pilot.json"
    shutil.copyfile(Path(__file__).resolve().parents[1] / "examples" / "my_instance.json", original)
    run = tmp_path / "run"
    common = ["train", "--algorithm", "regret", "--protocol", "ultimatum", "--out", str(run), "--no-progress"]
    assert main([*common, "--instance", str(original), "--total-steps", "2000"]) == 0
    first = json.loads((run / "summary.json").read_text())["decisions"]
    original.rename(tmp_path / "moved.json")
    assert main([*common, "--resume", "--total-steps", "4000"]) == 0
    assert json.loads((run / "summary.json").read_text())["decisions"] > first  # it trained on, from the copy
