"""The task suite as one Markdown table (plus the paper's per-model figures), from :func:`run_suite`'s document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infobargain.game.protocol import ROLES


def _pair(point: Mapping[str, Any] | None) -> str:
    if point is None or point.get("sender") is None:
        return "—"
    return f"({point['sender']:.4f}, {point['receiver']:.4f})"


def _number(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "—"
    if abs(value) < 0.5 * 10**-digits:
        value = 0.0
    return f"{value:.{digits}f}"


def _players(players: Mapping[str, Any]) -> str:
    outcome = players.get("mean_outcome")
    if outcome is None:
        return "—"
    widths = [players[k]["ci95"] for k in ROLES]
    width = "?" if any(w is None for w in widths) else f"{max(widths):.4f}"
    return f"{_pair(outcome)} ±{width}"


def _paper_cell(entry: Mapping[str, Any] | None) -> str:
    if entry is None:
        return "—"
    if "proposer_payoff" in entry:
        return f"prop. {entry['proposer_payoff']:.4f}"
    return _pair(entry)


def _training_budget(steps: Mapping[str, int] | int | None) -> str:
    if not steps:
        return ""
    if isinstance(steps, Mapping):
        return "; training decisions per game: " + ", ".join(f"{task} {n:,}" for task, n in steps.items())
    return f", {steps} training steps per task and game"


def render_suite_markdown(result: Mapping[str, Any]) -> str:
    """The suite's table, the mean absolute errors against the exact SPE and the paper's per-model figures."""
    summary = result["mae_vs_spe_continuous"]
    best = summary.get("paper_best_model")
    budget = result["budget"]
    paper = result["paper"]
    lines = [
        "# Task suite: the paper's grid against exact theory",
        "",
        f"Players: {result['players']}. Budget: {budget['episodes_per_row']} episodes per row, "
        f"{budget['realization']} mode"
        + _training_budget(budget["training_steps_per_task"])
        + f"; offers: {budget['offer_space']}, grid size {budget['grid_size']}. "
        f"Ran in {result['elapsed_s']:.1f} s ({result['cpu_cores']} CPU cores).",
        "",
        "Columns: exact SPE of the continuous game (U_S, U_R) and its accepted proposer's payoff; the SPE of the "
        "offer space played; the T → ∞ limit (Rubinstein for alternating offers, the ultimatum point otherwise); "
        "the Nash point; the authors' reference value (a proposer payoff); the players' mean outcome ± the larger "
        "95 % CI half-width and its distance to the SPE as played; the players' exact NashConv (discrete offers); "
        f"the paper's LLM result{f' for {best}, the model closest to the exact SPE' if best else ''} "
        "((U_S, U_R) with this first proposer for signaling tasks; 'prop.' = accepted proposer's payoff, pooled "
        "over first proposers, for the symmetric pies).",
        "",
    ]
    header = [
        "task",
        "game",
        "first",
        "exact SPE",
        "SPE prop.",
        "SPE as played",
        "limit T→∞",
        "Nash",
        "authors' ref.",
        "players",
        "Δ SPE played",
        "NashConv",
        f"paper ({best})" if best else "paper",
    ]
    lines += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in result["rows"]:
        reference = row["authors_reference"]
        cells = [
            row["task"],
            row["game"],
            row["first_proposer"],
            _pair(row["spe_continuous"]),
            _number(row["spe_continuous"]["proposer_payoff"]),
            _pair(row["spe_played"]),
            _pair(row["limit"]),
            _pair(row["nash"]),
            reference["text"] or "—",
            _players(row["players"]),
            _number(row["players"]["distance_to_spe_played"], 6),
            _number(row["nash_conv"], 6),
            _paper_cell(row["paper"]["models"].get(best) if best else None),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Mean absolute error against the exact SPE (both coordinates of pairs; the proposer payoff for the authors' "
        "reference and the pies' paper figures):",
        "",
        "| column | MAE |",
        "|---|---|",
    ]
    for label, key in (
        ("SPE as played", "spe_played"),
        ("limit T→∞", "limit"),
        ("Nash", "nash"),
        ("authors' reference", "authors_reference"),
        ("players", "players"),
        ("players vs SPE as played", "players_vs_spe_played"),
    ):
        lines.append(f"| {label} | {_number(summary[key])} |")
    if best:
        lines.append(f"| paper ({best}) | {_number(summary['paper_best'])} |")
    models = summary.get("paper_models") or {}
    if models:
        names = list(models)
        lines += ["", "Paper LLM results per model:", ""]
        lines += [
            "| task | game | first | " + " | ".join(names) + " |",
            "|" + "|".join("---" for _ in range(3 + len(names))) + "|",
        ]
        for row in result["rows"]:
            entries = row["paper"]["models"]
            lines.append(
                f"| {row['task']} | {row['game']} | {row['first_proposer']} | "
                + " | ".join(_paper_cell(entries.get(name)) for name in names)
                + " |"
            )
        lines.append("| **MAE vs exact SPE** | | | " + " | ".join(_number(models[name]) for name in names) + " |")
    if paper.get("source"):
        commit = f", source commit {paper['source_commit']}" if paper.get("source_commit") else ""
        lines += [
            "",
            f"Paper results: {paper['citation']}; {paper['note']}, from {paper['source']}{commit}. Families that differ "
            "only in the prompt are pooled (see the JSON for the families behind each row).",
        ]
    lines += ["", *[f"_{note}_" for note in result.get("notes", [])]] if result.get("notes") else []
    return "\n".join(lines) + "\n"
