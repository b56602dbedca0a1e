"""Zero-shot evaluation on held-out instances, and runs matched to the suite's tasks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from infobargain.cli import main
from infobargain.evaluation.generalist import evaluate_across, held_out_instances
from infobargain.evaluation.suite import plays_like, run_suite
from infobargain.game.distributions import resolve_game

ULTIMATUM = {"game": "random:2x2", "protocol": "ultimatum", "first_proposer": "coin_flip", "grid_size": 9}


def test_held_out_draws_are_reproducible_and_depend_on_the_seed() -> None:
    distribution = resolve_game("random:2x2")
    first, again, other = (held_out_instances(distribution, 3, seed) for seed in (0, 0, 1))  # type: ignore[arg-type]
    assert first == again
    assert all(a != b for a, b in zip(first, other, strict=True))


def test_the_exact_spe_players_are_at_distance_zero_on_every_held_out_instance() -> None:
    result = evaluate_across("spe", "spe", {**ULTIMATUM, "protocol": "alternating", "max_rounds": 3}, instances=6)
    assert len(result["rows"]) == 12  # both first proposers
    for row in result["rows"]:
        assert row["distance_to_spe_played"] == pytest.approx(0.0, abs=1e-9)
        assert row["nash_conv"] == pytest.approx(0.0, abs=1e-9)
    summary = result["summary"]
    assert list(summary) == ["sender", "receiver"]
    assert summary["sender"]["all"]["instances"] == 6 and result["held_out"]["unseen"]


def test_players_that_ignore_the_game_are_scored_as_far_off() -> None:
    result = evaluate_across("ignore", "ignore", ULTIMATUM, instances=12)
    hard = [row for row in result["rows"] if not row["trivial"]]
    assert hard and max(row["distance_to_spe_continuous"] for row in hard) > 0.05
    assert all(
        row["distance_to_spe_continuous"] == pytest.approx(0.0, abs=1e-9) for row in result["rows"] if row["trivial"]
    )


def test_one_game_is_not_a_distribution() -> None:
    with pytest.raises(ValueError, match="game: 'pure_math' is one game, not a distribution"):
        evaluate_across("spe", "spe", {"game": "pure_math"}, instances=2)


def test_the_cli_evaluates_a_pair_on_a_distribution(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command = ["evaluate", "--sender", "bp", "--receiver", "obedient", "--scenario", "random:2x2"]
    command += ["--protocol", "ultimatum", "--first-proposer", "sender", "--instances", "4", "--grid-size", "5"]
    assert main([*command, "--out", str(tmp_path), "--no-figures"]) == 0
    printed = capsys.readouterr().out
    assert "4 held-out instances" in printed and "sender first: mean distance" in printed
    saved = json.loads((tmp_path / "evaluation.json").read_text())
    assert len(saved["rows"]) == 4 and "Zero-shot evaluation" in (tmp_path / "report.md").read_text()


def test_which_runs_play_which_tasks() -> None:
    task = {"game": "pure_math", "protocol": "alternating", "first_proposer": "coin_flip", "max_rounds": 10}
    trained = {**task, "game": "random:2x2"}
    assert plays_like(trained, task)
    assert not plays_like({**trained, "first_proposer": "sender"}, task)  # never trained as the receiver first
    assert plays_like({**trained, "first_proposer": "coin_flip"}, {**task, "first_proposer": "sender"})
    assert not plays_like({**trained, "max_rounds": 5}, task)
    assert not plays_like({**trained, "grid_size": 9}, task)
    assert not plays_like(trained, {**task, "game": "split_pie"})  # a pie: other observations
    assert not plays_like({**trained, "game": "random:3x2"}, task)
    ultimatum = {**task, "protocol": "ultimatum", "max_rounds": 1, "break_off": 0.0}
    assert plays_like({**trained, "protocol": "ultimatum"}, ultimatum)  # rounds and break-off do not matter


@pytest.mark.slow
def test_the_suite_plays_a_trained_generalist_where_its_protocol_fits(tmp_path: Path) -> None:
    from infobargain.training.config import RunConfig
    from infobargain.training.runner import run_training

    config = RunConfig.from_dict(
        {
            "run": {"algorithm": "qlearning", "total_steps": 30_000, "seed": 0},
            "env": {**ULTIMATUM, "grid_size": 25, "max_rounds": 1},
        }
    )
    run_training(config, tmp_path / "run", show_progress=False)
    result = run_suite([tmp_path / "run"], tasks=["sig_ultimatum_coin", "sig_fixed_role_5"], exploitability=False)
    assert {row["task"] for row in result["rows"]} == {"sig_ultimatum_coin"}
    assert len(result["rows"]) == 6  # three games, both first proposers
    assert any(
        note.startswith("sig_fixed_role_5, ") and "no run given plays it" in note and "ultimatum" in note
        for note in result["notes"]
    )  # each game left out is named, with the difference that kept the run out
    assert all(np.isfinite(row["players"]["distance_to_spe_continuous"]) for row in result["rows"])
