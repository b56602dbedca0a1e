"""The paper's task suite: task definitions, the paper's results, the table, and the default trained players."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from infobargain.evaluation import paper
from infobargain.evaluation.suite import TASKS, run_suite
from infobargain.evaluation.suite_report import render_suite_markdown

CSV = paper.default_path()


def test_every_task_family_is_in_the_csv_and_every_family_is_used() -> None:
    families = {row.family for row in paper.load(CSV)}
    used = {family for task in TASKS for names in task.families.values() for family in names}
    assert used <= families
    assert used == families  # the suite covers every family the paper published


def test_pooling_of_signaling_families() -> None:
    rows = paper.load(CSV)
    task = next(t for t in TASKS if t.name == "sig_ultimatum_coin")
    pooled = paper.pooled(rows, task.families["pure_math"], "receiver", signaling=True)["o3"]
    # o3: 17 receiver-first episodes at (1/3, 1/3) in one family, 24 in the other
    assert pooled["episodes"] == 17 + 24
    assert pooled["sender"] == pytest.approx(0.3333, abs=1e-4)
    reference, text = paper.authors_reference(rows, task.families["pure_math"])
    assert text == "2/3" and reference == pytest.approx(2 / 3)
    assert paper.source_commit(CSV) == "d5fa03c"


def test_suite_with_spe_players_has_zero_distance() -> None:
    result = run_suite(("spe", "spe"), episodes=2, paper_results=CSV)
    rows = result["rows"]
    assert len(rows) == 28
    assert {row["task"] for row in rows} == {task.name for task in TASKS}
    for row in rows:
        assert row["players"]["distance_to_spe_played"] <= 1e-9
        assert abs(row["nash_conv"]) <= 1e-9
    summary = result["mae_vs_spe_continuous"]
    assert summary["players_vs_spe_played"] <= 1e-9
    assert summary["players"] == pytest.approx(summary["spe_played"])
    by_key = {(r["task"], r["game"], r["first_proposer"]): r for r in rows}
    alternating = by_key[("sig_alternating_10", "pure_math", "receiver")]
    assert (alternating["spe_continuous"]["sender"], alternating["spe_continuous"]["receiver"]) == pytest.approx(
        (0.438133, 0.228534), abs=1e-6
    )
    bounded = by_key[("barg_alternating_10", "split_pie_bounded", "sender")]
    assert bounded["spe_continuous"]["proposer_payoff"] == pytest.approx(0.6)  # 0.9 × 2/3, docs/theory.md §5
    assert bounded["limit"] is None  # several equilibria in the infinite game
    markdown = render_suite_markdown(result)
    assert markdown.count("\n| sig_") >= 18 and "| players vs SPE as played | 0.0000 |" in markdown


def test_missing_paper_results_leave_the_column_empty(tmp_path: Path) -> None:
    result = run_suite(("nash", "nash"), tasks=["sig_ultimatum_sender"], episodes=1, paper_results=tmp_path / "x.csv")
    assert result["notes"] and "not found" in result["notes"][0]
    assert all(row["paper"]["models"] == {} for row in result["rows"])
    assert result["mae_vs_spe_continuous"]["paper_best_model"] is None
    assert "paper |" in render_suite_markdown(result)


def test_unknown_task() -> None:
    with pytest.raises(ValueError, match="unknown"):
        run_suite(("spe", "spe"), tasks=["nope"])


def test_default_players_come_from_the_training_layer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "infobargain.training.api", None)
    with pytest.raises(ImportError, match="training extra"):
        run_suite(tasks=["sig_ultimatum_sender"], episodes=1)

    calls: list[dict[str, Any]] = []

    def train_players(
        env_kwargs: dict,
        *,
        total_steps: int,
        seed: int,
        run_dir: Path | None = None,
        resume: bool = False,
        algorithm: str = "auto",
    ) -> dict:
        calls.append(
            {"env": env_kwargs, "steps": total_steps, "run_dir": run_dir, "resume": resume, "algorithm": algorithm}
        )
        folder = tmp_path / f"players{len(calls)}"
        folder.mkdir()
        for role in ("sender", "receiver"):
            (folder / f"{role}.json").write_text('{"policy": "spe"}\n')
        return {"sender": folder / "sender.json", "receiver": folder / "receiver.json"}

    fake = types.ModuleType("infobargain.training.api")
    fake.train_players = train_players  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "infobargain.training.api", fake)
    result = run_suite(tasks=["sig_alternating_10"], episodes=1, total_steps=123, run_dir=tmp_path / "runs", jobs=1)
    assert len(calls) == 3  # once per game, each first proposer played by the same trained pair
    assert calls[0]["steps"] == 123 and calls[0]["env"]["first_proposer"] == "coin_flip"
    assert calls[0]["run_dir"] == tmp_path / "runs" / "sig_alternating_10-pure_math" and calls[0]["resume"]
    assert calls[0]["algorithm"] == "auto"
    assert "123 steps" in result["players"]
    assert all(row["players"]["distance_to_spe_played"] <= 1e-9 for row in result["rows"])


@pytest.mark.slow
def test_parallel_trainings_give_the_players_of_a_serial_run(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")  # the training extra
    runs = {}
    for jobs in (1, 2):
        result = run_suite(
            tasks=["barg_ultimatum"],
            episodes=2,
            total_steps=3000,
            exploitability=False,
            run_dir=tmp_path / f"jobs{jobs}",
            jobs=jobs,
        )
        runs[jobs] = result
    assert runs[1]["rows"] == runs[2]["rows"]
    for game in ("split_pie", "split_pie_bounded"):
        for role in ("sender", "receiver"):
            serial, parallel = (
                torch.load(tmp_path / f"jobs{jobs}" / f"barg_ultimatum-{game}" / "players" / f"{role}.pt")
                for jobs in (1, 2)
            )
            weights = serial.pop("state_dict"), parallel.pop("state_dict")
            assert serial == parallel
            assert weights[0].keys() == weights[1].keys()
            assert all(torch.equal(weights[0][name], weights[1][name]) for name in weights[0])


def test_jobs_must_be_a_positive_integer() -> None:
    with pytest.raises(ValueError, match="jobs: must be an integer >= 1"):
        run_suite(tasks=["barg_ultimatum"], episodes=1, total_steps=10, jobs=0)
