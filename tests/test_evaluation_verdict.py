"""The verdict block: reached / not reached against the SPE as played, in JSON, Markdown and on the terminal."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from infobargain.cli import main
from infobargain.evaluation import evaluate_players
from infobargain.evaluation.report import learning_curve_references, write_evaluation
from infobargain.evaluation.verdict import format_verdict, verdict

PAPER_ALTERNATING = {
    "game": "pure_math",
    "protocol": "alternating",
    "max_rounds": 10,
    "break_off": 0.1,
    "offer_space": "frontier",
    "grid_size": 21,
}


def test_spe_players_reach_the_spe_in_both_orders() -> None:
    result = evaluate_players("spe", "spe", PAPER_ALTERNATING, episodes=2, both_first=True)
    summary = result["verdict"]
    assert summary["reached"] is True
    assert set(summary["by_first_proposer"]) == {"sender", "receiver"}
    for row in summary["by_first_proposer"].values():
        assert row["distance_to_spe_played"] == pytest.approx(0.0, abs=1e-9)
        assert row["nash_conv"] == pytest.approx(0.0, abs=1e-9)
        assert row["deal_rate"] == 1.0 and row["agreement_round"] == 0.0


def test_a_bp_sender_facing_an_obedient_receiver_misses_the_alternating_spe() -> None:
    # The BP sender offers (2/3, 0) and the obedient receiver accepts; the SPE with the sender first is
    # (11/30, 3/10) (docs/theory.md), so the distance is √(0.3² + 0.3²).
    kwargs = {**PAPER_ALTERNATING, "first_proposer": "sender"}
    result = evaluate_players("bp", "obedient", kwargs, episodes=2, exploitability="none")
    row = result["verdict"]["by_first_proposer"]["sender"]
    assert row["distance_to_spe_played"] == pytest.approx(math.hypot(2 / 3 - 11 / 30, 0.3), abs=1e-9)
    assert row["reached"] is False and result["verdict"]["reached"] is False
    assert row["nash_conv"] is None
    block = format_verdict(result["verdict"])
    assert "NOT reached" in block and "0.4243" in block and "NashConv —" in block


def test_the_tolerance_decides() -> None:
    kwargs = {**PAPER_ALTERNATING, "first_proposer": "sender"}
    result = evaluate_players("bp", "obedient", kwargs, episodes=1, exploitability="none")
    assert verdict(result, tolerance=0.5)["reached"] is True
    assert verdict(result, tolerance=0.4)["reached"] is False


def test_report_and_json_carry_the_verdict(tmp_path: Path) -> None:
    result = evaluate_players("spe", "spe", PAPER_ALTERNATING, episodes=1, both_first=True)
    write_evaluation(result, tmp_path, env_kwargs=PAPER_ALTERNATING, figures=False)
    report = (tmp_path / "report.md").read_text()
    assert report.index("## Verdict") < report.index("## Benchmarks")
    assert json.loads((tmp_path / "evaluation.json").read_text())["verdict"]["reached"] is True


def test_learning_curve_references_are_the_spe_as_played_and_nash() -> None:
    result = evaluate_players("spe", "spe", PAPER_ALTERNATING, episodes=1, both_first=True, exploitability="none")
    references = learning_curve_references(result)
    assert references["receiver_first/sender_payoff"]["SPE"] == pytest.approx(0.45)  # grid 21: x = 0.175
    assert references["sender_first/receiver_payoff"]["SPE"] == pytest.approx(0.3)
    assert references["sender_first/sender_payoff"]["Nash"] == pytest.approx(1 / 3)


def test_evaluate_prints_the_verdict_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flags = "--sender bp --receiver obedient --protocol alternating --break-off 0.1 --grid-size 21 --episodes 2"
    code = main(["evaluate", *flags.split(), "--no-figures", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Verdict: within 0.02")
    assert "sender first" in out[1] and "NOT reached" in out[1]


def test_a_verdict_without_deals_says_so() -> None:
    # The BP sender offers (2/3, 0); a receiver demanding 0.2 rejects the one ultimatum offer: disagreement.
    kwargs = {"game": "pure_math", "protocol": "ultimatum", "first_proposer": "sender", "grid_size": 11}
    result = evaluate_players("bp", "threshold:0.2", kwargs, episodes=2)
    row = result["verdict"]["by_first_proposer"]["sender"]
    assert row["deal_rate"] == 0.0 and row["agreement_round"] is None
    assert row["distance_to_spe_played"] == pytest.approx(
        math.hypot(2 / 3, 0.0), abs=1e-9
    )  # SPE (2/3, 0), outcome d = (0, 0)
    assert "deals 0.00" in format_verdict(result["verdict"]).splitlines()[1]


def test_suite_verdict_counts_the_rows_reached(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["suite", "--players", "spe", "--tasks", "sig_alternating_10,barg_ultimatum"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("Verdict: 10/10 rows within 0.02") and "MAE against the exact SPE" in last


def test_suite_verdict_names_the_rows_missed() -> None:
    from infobargain.evaluation.suite import run_suite
    from infobargain.evaluation.verdict import suite_verdict

    result = run_suite(("nash", "nash"), tasks=["sig_alternating_10"], episodes=1)
    summary = suite_verdict(result)
    distances = [row["players"]["distance_to_spe_played"] for row in result["rows"]]
    assert summary["rows"] == 6 and summary["reached"] == sum(d <= 0.02 for d in distances) < 6
    assert sorted(row["distance_to_spe_played"] for row in summary["missed"]) == sorted(
        d for d in distances if d > 0.02
    )
