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
        assert row["distance"] == pytest.approx(0.0, abs=1e-9)
        assert row["nash_conv"] == pytest.approx(0.0, abs=1e-9)
        assert row["deal_rate"] == 1.0 and row["agreement_round"] == 0.0


def test_a_bp_sender_facing_an_obedient_receiver_misses_the_alternating_spe() -> None:
    # The BP sender offers (2/3, 0) and the obedient receiver accepts; the SPE with the sender first is
    # (11/30, 3/10) (docs/theory.md), so the distance is √(0.3² + 0.3²).
    kwargs = {**PAPER_ALTERNATING, "first_proposer": "sender"}
    result = evaluate_players("bp", "obedient", kwargs, episodes=2, exploitability="none")
    row = result["verdict"]["by_first_proposer"]["sender"]
    assert row["distance"] == pytest.approx(math.hypot(2 / 3 - 11 / 30, 0.3), abs=1e-9)
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
