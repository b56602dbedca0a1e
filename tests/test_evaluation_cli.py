"""``infobargain evaluate`` and ``infobargain suite`` end to end, run directories, and the one-line error path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infobargain.cli import main
from infobargain.evaluation import evaluate_run

pytest.importorskip("matplotlib")


def _run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    (run / "players").mkdir(parents=True)
    (run / "config.toml").write_text(
        '[run]\nseed = 0\n\n[env]\ngame = "pure_math"\nprotocol = "alternating"\nfirst_proposer = "coin_flip"\n'
        "max_rounds = 10\nbreak_off = 0.1\ngrid_size = 11\n"
    )
    (run / "players" / "sender.json").write_text('{"policy": "spe", "role": "sender"}\n')
    (run / "players" / "receiver.json").write_text('{"policy": "obedient", "role": "receiver"}\n')
    (run / "metrics.csv").write_text(
        "step,wall_time,sender_reward,receiver_reward,phase\n"
        + "".join(f"{100 * i},{0.1 * i},{0.1 + 0.01 * i},{0.3 - 0.01 * i},train\n" for i in range(10))
    )
    return run


def test_evaluate_pair_writes_report_and_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "evaluate",
            "--sender",
            "spe",
            "--receiver",
            "obedient",
            "--first-proposer",
            "coin_flip",
            "--episodes",
            "20",
            "--out",
            str(out),
            "--cross-play",
            "nash,bp",
            "--grid-size",
            "11",  # the SPE point (11/30, 9/30) is on the grid: the BP sender gains 2/3 - 11/30 = 0.3
        ]
    )
    assert code == 0
    printed = capsys.readouterr()
    assert "sender first" in printed.out and "NashConv" in printed.out
    document = json.loads((out / "evaluation.json").read_text())
    assert document["players"] == {"sender": "spe", "receiver": "obedient"}
    assert document["exploitability"]["by_first_proposer"]["sender"]["gain"]["sender"] == pytest.approx(0.3)
    assert document["cross_play"]["senders"] == ["spe", "nash", "bp"]
    for name in ("report.md", "bargaining_set.png", "cross_play.png", "cross_play.csv"):
        assert (out / name).exists(), name
    report = (out / "report.md").read_text()
    assert "## Exploitability" in report and "cross_play.png" in report and "bargaining_set.png" in report


def test_evaluate_run_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --out the evaluation goes to a new runs/evaluate-<time> folder (the run is left as it was);
    --out RUN rewrites the run's own report."""
    run = _run_dir(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", "--run", str(run), "--episodes", "10"]) == 0
    (written,) = (tmp_path / "runs").glob("evaluate-*")
    assert not (run / "evaluation.json").exists()
    document = json.loads((written / "evaluation.json").read_text())
    assert document["run"] == str(run)
    assert document["players"]["sender"] == "run/sender.json"
    assert set(document["by_first_proposer"]) == {"sender", "receiver"}
    assert (written / "learning_curves.png").exists() and (written / "bargaining_set.png").exists()
    assert main(["evaluate", "--run", str(run), "--episodes", "10", "--out", str(run)]) == 0
    assert "learning_curves.png" in (run / "report.md").read_text()


def test_evaluate_run_on_another_game_keeps_the_runs_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Game and protocol flags with --run: the run's players play that game (ultimatum, prosecutor) at the run's
    grid (11); another grid is refused naming the run's, with nothing written."""
    run = _run_dir(tmp_path)
    out = tmp_path / "ultimatum"
    argv = ["evaluate", "--run", str(run), "--episodes", "4", "--no-figures"]
    assert main([*argv, "--scenario", "prosecutor", "--protocol", "ultimatum", "--out", str(out)]) == 0
    env = json.loads((out / "evaluation.json").read_text())["env"]
    assert (env["game"], env["protocol"], env["grid_size"], env["break_off"]) == ("prosecutor", "ultimatum", 11, 0.1)
    capsys.readouterr()
    refused = tmp_path / "refused"
    assert main([*argv, "--grid-size", "25", "--out", str(refused)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("infobargain: error: --grid-size: the run's players were trained with --grid-size 11")
    assert len(err.splitlines()) == 1 and not refused.exists() and not (run / "evaluation.json").exists()


def test_evaluate_run_api_for_the_training_layer(tmp_path: Path) -> None:
    run = _run_dir(tmp_path)
    result = evaluate_run(run, episodes=4, seed=1, figures=False)
    assert (run / "evaluation.json").exists() and (run / "report.md").exists()
    assert not (run / "bargaining_set.png").exists()
    assert result["exploitability"]["nash_conv"] == pytest.approx(0.25)  # (0.3 + 0.2) / 2 over first proposers


@pytest.mark.parametrize("players", ["spe", "nash", "spe,obedient"])
def test_suite_command(players: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subset = ["--tasks", "sig_alternating_10,barg_ultimatum"] if "," in players else []
    code = main(["suite", "--players", players, "--episodes", "2", "--out", str(tmp_path), *subset])
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("# Task suite")
    assert "| sig_alternating_10 | pure_math | receiver | (0.4381, 0.2285) |" in out
    document = json.loads((tmp_path / "suite.json").read_text())
    assert len(document["rows"]) == (10 if subset else 28)
    if players == "spe":
        assert all(row["players"]["distance_to_spe_played"] <= 1e-9 for row in document["rows"])


def test_suite_json_and_paper_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "suite",
            "--players",
            "spe",
            "--tasks",
            "barg_fixed_role_5",
            "--episodes",
            "1",
            "--json",
            "--paper-results",
            str(tmp_path / "missing.csv"),
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["rows"][0]["task"] == "barg_fixed_role_5"
    assert "note: paper results not found" in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["suite", "--players", "spe,spe,spe"],
        ["suite", "--players", "spe", "--tasks", "nope"],
        ["suite", "--players", "nobody"],
        ["suite", "--jobs", "0"],
        ["evaluate", "--sender", "spe"],
        ["evaluate", "--run", "/nonexistent/run"],
        ["evaluate", "--sender", "spe", "--receiver", "spe", "--scenario", "nope"],
        ["evaluate", "--sender", "spe", "--receiver", "spe", "--offer-space", "scheme", "--exploitability", "exact"],
        ["evaluate", "--sender", "bp", "--receiver", "bp"],
    ],
)
def test_errors_are_one_line_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main([*argv, "--out", str(tmp_path / "o")] if argv[0] == "evaluate" else argv)
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("infobargain: error:") and "\n" not in err
