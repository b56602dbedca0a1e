"""``infobargain solve`` (docs/design.md contract 3): the JSON object, the table, the plot and the error exits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infobargain.cli import main
from infobargain.game import Instance, deal_payoffs, scenario

CONTRACT_KEYS = {
    "disagreement",
    "bp_optimum",
    "receiver_optimum",
    "full_disclosure",
    "nash",
    "kalai_smorodinsky",
    "egalitarian",
    "spe",
    "advantages",
    "feasible_set",
    "pareto_frontier",
}
SCHEME_POINTS = (
    "disagreement",
    "bp_optimum",
    "receiver_optimum",
    "full_disclosure",
    "nash",
    "kalai_smorodinsky",
    "egalitarian",
)
THIRD = 1 / 3


def run_json(capsys: pytest.CaptureFixture[str], *arguments: str) -> dict[str, Any]:
    assert main(["solve", "--json", *arguments]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)
    assert isinstance(report, dict)
    return report


def pair(point: dict[str, Any]) -> tuple[float, float]:
    return point["sender"], point["receiver"]


def assert_error(capsys: pytest.CaptureFixture[str], arguments: list[str], *fragments: str) -> str:
    """Exit code 2 and exactly one line on stderr, without a traceback."""
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.endswith("\n") and "Traceback" not in err
    assert err.startswith("infobargain: error:")
    for fragment in fragments:
        assert fragment in err
    return err


# JSON


def test_json_has_every_contract_key(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_json(capsys, "--scenario", "pure_math", "--first-proposer", "coin_flip")
    assert set(report) >= CONTRACT_KEYS
    assert set(report["advantages"]) >= {"informational", "first_proposer"}
    for key in SCHEME_POINTS:
        assert {"sender", "receiver", "scheme"} <= set(report[key]), key
    for point in report["feasible_set"] + report["pareto_frontier"]:
        assert isinstance(point["sender"], float) and isinstance(point["receiver"], float)


def test_json_numbers_of_the_paper_instance(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_json(capsys, "--scenario", "grading_students", "--first-proposer", "coin_flip")
    assert pair(report["disagreement"]) == pytest.approx((0.0, 0.0), abs=1e-9)
    assert pair(report["bp_optimum"]) == pytest.approx((2 / 3, 0.0), abs=1e-9)
    assert np.allclose(report["bp_optimum"]["scheme"], [[0.5, 0.5], [0.0, 1.0]], atol=1e-7)
    assert pair(report["receiver_optimum"]) == pytest.approx((THIRD, THIRD), abs=1e-9)
    assert pair(report["full_disclosure"]) == pytest.approx((THIRD, THIRD), abs=1e-9)
    assert np.allclose(report["full_disclosure"]["scheme"], [[1.0, 0.0], [0.0, 1.0]], atol=1e-9)
    assert pair(report["nash"]) == pytest.approx((THIRD, THIRD), abs=1e-9)
    assert pair(report["kalai_smorodinsky"]) == pytest.approx((4 / 9, 2 / 9), abs=1e-9)
    assert pair(report["egalitarian"]) == pytest.approx((THIRD, THIRD), abs=1e-9)
    assert report["advantages"]["informational"] == pytest.approx(THIRD, abs=1e-9)
    assert report["advantages"]["first_proposer"] == pytest.approx(THIRD, abs=1e-9)


def test_json_schemes_attain_their_points(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_json(capsys, "--scenario", "random:3x4:2")
    instance = scenario("random:3x4:2")
    assert isinstance(instance, Instance)
    for point in [report[key] for key in SCHEME_POINTS] + report["pareto_frontier"]:
        scheme = np.array(point["scheme"])
        assert scheme.shape == (instance.n_states, instance.signals)  # [state][signal]
        assert np.all(scheme >= 0) and np.allclose(scheme.sum(axis=1), 1.0)
        assert deal_payoffs(instance, scheme) == pytest.approx(pair(point), abs=1e-7)


def test_json_polygon_orientation_and_frontier_order(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_json(capsys, "--scenario", "random:4x4:1")
    ring = np.array([pair(p) for p in report["feasible_set"]])
    assert len(ring) >= 3
    edges = np.roll(ring, -1, axis=0) - ring
    following = np.roll(edges, -1, axis=0)
    assert np.all(edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0] > 0)  # counter-clockwise, convex
    frontier = np.array([pair(p) for p in report["pareto_frontier"]])
    assert np.all(np.diff(frontier[:, 0]) > 0) and np.all(np.diff(frontier[:, 1]) < 0)
    # The frontier vertices are vertices of the polygon.
    for point in frontier:
        assert np.abs(ring - point).max(axis=1).min() <= 1e-12


def test_json_coin_flip_reports_each_side_and_the_expectation(capsys: pytest.CaptureFixture[str]) -> None:
    spe = run_json(capsys, "--first-proposer", "coin_flip")["spe"]
    sender_first, receiver_first = pair(spe["sender_first"]), pair(spe["receiver_first"])
    assert sender_first == pytest.approx((11 / 30, 0.3), abs=1e-9)
    assert abs(receiver_first[0] - 0.438133) <= 5e-7 and abs(receiver_first[1] - 0.228534) <= 5e-7
    expected = ((sender_first[0] + receiver_first[0]) / 2, (sender_first[1] + receiver_first[1]) / 2)
    assert pair(spe["expected"]) == pytest.approx(expected, abs=1e-12)
    assert spe["sender_first"]["agreement_round"] == 0 and spe["receiver_first"]["agreement_round"] == 0
    assert (spe["protocol"], spe["max_rounds"], spe["break_off"], spe["discount"]) == ("alternating", 10, 0.1, 1.0)


def test_json_single_first_proposer(capsys: pytest.CaptureFixture[str]) -> None:
    spe = run_json(capsys, "--protocol", "ultimatum", "--first-proposer", "receiver")["spe"]
    assert "receiver_first" in spe and "sender_first" not in spe
    assert pair(spe["receiver_first"]) == pytest.approx((THIRD, THIRD), abs=1e-9)
    spe = run_json(capsys, "--protocol", "fixed_role", "--max-rounds", "5")["spe"]
    assert pair(spe["sender_first"]) == pytest.approx((2 / 3, 0.0), abs=1e-9)


def test_json_protocol_flags_change_the_spe(capsys: pytest.CaptureFixture[str]) -> None:
    # Alternating, two offers, no breakdown, discount 1/2, receiver first: in round 1 the sender takes (2/3, 0);
    # in round 0 the receiver must leave the sender 1/2·2/3 = 1/3 and keeps the apex (1/3, 1/3).
    spe = run_json(capsys, "--max-rounds", "2", "--break-off", "0", "--discount", "0.5", "--first-proposer", "receiver")
    assert pair(spe["spe"]["receiver_first"]) == pytest.approx((THIRD, THIRD), abs=1e-9)


def test_json_for_an_instance_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    instance = scenario("prosecutor")
    assert isinstance(instance, Instance)
    path = tmp_path / "prosecutor.json"
    instance.save(path)
    report = run_json(capsys, "--instance", str(path))
    assert report["game"] == "prosecutor"
    assert pair(report["disagreement"]) == pytest.approx((0.0, 0.7), abs=1e-9)
    assert pair(report["bp_optimum"]) == pytest.approx((0.6, 0.7), abs=1e-9)


def test_json_tie_break_and_margin(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_json(capsys, "--tie-break", "receiver", "--obedience-margin", "0.01")
    assert report["tie_break"] == "receiver" and report["obedience_margin"] == 0.01
    # Obeying "hire" by a margin ε: Σ_s x(s, hire)·[u_R(s, hire) − u_R(s, no hire) − ε] ≥ 0, i.e.
    # −(2·x1/3)(1 + ε) + (x2/3)(1 − ε) ≥ 0; the sender wants x2 = 1 and then x1 = (1 − ε)/(2·(1 + ε)).
    x1 = 0.99 / 2.02
    assert pair(report["bp_optimum"]) == pytest.approx(((2 * x1 + 1) / 3, (1 - 2 * x1) / 3), abs=1e-9)


def test_json_for_a_pie(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_json(capsys, "--scenario", "split_pie", "--first-proposer", "coin_flip")
    assert report["full_disclosure"] is None
    assert "scheme" not in report["bp_optimum"]
    assert report["spe"]["sender_first"]["sender"] == pytest.approx((1 - 0.9**10) / 1.9, abs=1e-9)
    bounded = run_json(capsys, "--scenario", "split_pie_bounded")
    assert bounded["infinite_horizon"]["sender_first"] is None and bounded["infinite_horizon"]["note"]
    assert pair(bounded["spe"]["sender_first"]) == pytest.approx((0.0, 0.6), abs=1e-9)


def test_stdout_is_pure_json_in_a_subprocess() -> None:
    command = [sys.executable, "-m", "infobargain.cli", "solve", "--json", "--scenario", "prosecutor"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # the whole of stdout, no banner
    assert set(report) >= CONTRACT_KEYS
    assert result.stderr == ""


def test_errors_in_a_subprocess_are_one_line() -> None:
    command = [sys.executable, "-m", "infobargain.cli", "solve", "--scenario", "no_such_game"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


# Table and plot


def test_table_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "--first-proposer", "coin_flip"]) == 0
    out = capsys.readouterr().out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    for label in ("bp_optimum", "nash", "kalai_smorodinsky", "sender first", "receiver first", "coin flip (expected)"):
        assert label in out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert lines["bp_optimum"] == ["0.666667", "0.000000"]
    assert lines["kalai_smorodinsky"] == ["0.444444", "0.222222"]
    assert "0.438133" in out and "0.228534" in out


def test_plot_writes_a_png(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "set.png"
    assert main(["solve", "--json", "--plot", str(path)]) == 0
    captured = capsys.readouterr()
    json.loads(captured.out)  # still pure JSON
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 1000


# Errors


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ([], "command"),
        (["bogus"], "bogus"),
        (["solve", "--unknown-flag"], "--unknown-flag"),
        (["solve", "--protocol", "bogus"], "--protocol"),
        (["solve", "--first-proposer", "nobody"], "--first-proposer"),
        (["solve", "--tie-break", "nobody"], "--tie-break"),
        (["solve", "--max-rounds", "abc"], "--max-rounds"),
        (["solve", "--max-rounds", "0"], "max_rounds"),
        (["solve", "--break-off", "1.5"], "break_off"),
        (["solve", "--break-off", "nan"], "break_off"),
        (["solve", "--discount", "0"], "discount"),
        (["solve", "--obedience-margin", "-1"], "obedience_margin"),
        (["solve", "--obedience-margin", "5"], "obedience_margin"),
        (["solve", "--scenario", "no_such_game"], "scenario"),
        (["solve", "--scenario", "random:3x:1"], "scenario"),
        (["solve", "--scenario", "pure_math", "--instance", "x.json"], "not allowed"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], arguments: list[str], fragment: str
) -> None:
    assert_error(capsys, arguments, fragment)


def test_bad_instance_files_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert_error(capsys, ["solve", "--instance", str(tmp_path / "absent.json")], "instance file", "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    assert_error(capsys, ["solve", "--instance", str(broken)], "instance file")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(
        json.dumps({"prior": [0.9, 0.9], "sender_utility": [[0, 1], [0, 1]], "receiver_utility": [[0, 1], [0, 1]]})
    )
    assert_error(capsys, ["solve", "--instance", str(wrong)], "prior")
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({**scenario("pure_math").to_dict(), "colour": "red"}))  # type: ignore[union-attr]
    assert_error(capsys, ["solve", "--instance", str(extra)], "colour")


def test_unwritable_plot_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    (tmp_path / "a_file").write_text("")  # a folder cannot be made where a file stands
    assert main(["solve", "--plot", str(tmp_path / "a_file" / "set.png")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
