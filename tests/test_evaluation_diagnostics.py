"""The round-by-round comparison with the SPE: silent for SPE players, precise about a deviating responder."""

from __future__ import annotations

import numpy as np

from infobargain.evaluation import evaluate_players
from infobargain.evaluation.benchmarks import benchmarks
from infobargain.evaluation.diagnostics import render_rounds, round_diagnostics
from infobargain.evaluation.report import render_markdown

ALTERNATING = {"protocol": "alternating", "max_rounds": 4, "break_off": 0.1, "grid_size": 11}


def test_spe_players_match_the_spe_in_every_round_on_and_off_the_path() -> None:
    bench = benchmarks(ALTERNATING)
    result = round_diagnostics("spe", "spe", ALTERNATING, bench, ("sender", "receiver"))
    for first, compared in result["by_first_proposer"].items():
        assert compared["last_differing_round"] is None
        assert compared["agreement_round"] == compared["spe_agreement_round"] == bench.spe_played[first].agreement_round
        for entry in compared["rounds"]:
            assert entry["same_offer"] and entry["disagreements"] == 0
            assert entry["lowest_accepted"] >= entry["spe_rejection_value"] - 1e-12


def test_a_threshold_receiver_is_located_round_by_round() -> None:
    """``threshold:0.2`` accepts exactly the offers worth at least 0.2 to it, in every round: against the SPE
    (which accepts whatever beats its rejection value) it differs where that value is not 0.2's neighbour."""
    bench = benchmarks(ALTERNATING)
    compared = round_diagnostics("spe", "threshold:0.2", ALTERNATING, bench, ("sender",))["by_first_proposer"]["sender"]
    sender_offers = bench.played.offers[0].vertices  # what each of the sender's offers gives (U_S, U_R)
    for entry in compared["rounds"]:
        if entry["proposer"] != "sender":
            continue
        accepted_by_threshold = sender_offers[:, 1] >= 0.2 - 1e-9
        accepted_by_spe = sender_offers[:, 1] >= entry["spe_rejection_value"] - 1e-9
        assert entry["lowest_accepted"] == min(sender_offers[accepted_by_threshold, 1])
        assert entry["disagreements"] == int((accepted_by_threshold != accepted_by_spe).sum())
    assert compared["last_differing_round"] is not None
    assert compared["rounds"][0]["on_path"] and compared["rounds"][0]["on_spe_path"]


def test_the_evaluation_document_and_report_carry_the_comparison() -> None:
    result = evaluate_players("spe", "threshold:0.2", ALTERNATING, episodes=2, workers=1)
    assert set(result["rounds"]["by_first_proposer"]) == {"sender"}
    markdown = render_markdown(result)
    assert "## Round by round against the SPE" in markdown
    assert markdown.count("| 3 |") + markdown.count("| 3 * |") == 1  # one row per round, four rounds
    assert render_rounds(None) == []
    scheme = evaluate_players("spe", "spe", {**ALTERNATING, "offer_space": "scheme"}, episodes=1, workers=1)
    assert "rounds" not in scheme
    assert np.isfinite(result["rounds"]["by_first_proposer"]["sender"]["rounds"][0]["spe_rejection_value"])
