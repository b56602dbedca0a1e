"""The few lines a user reads first: did the players reach the equilibrium, per first proposer, and by how much.

The verdict compares the mean outcome with the exact SPE of the game *as played* (the env's own offer space, so
a discrete grid is judged against the SPE of that discretised game) and says "reached" when the Euclidean
distance is at most ``tolerance``. The distance to the continuous game's SPE and the exact NashConv (where the
offer space allows it) stand beside it, so a user sees both how close the play is and how exploitable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from infobargain.evaluation.metrics import REACHED
from infobargain.game.protocol import ROLES

DEFAULT_TOLERANCE = REACHED


def verdict(result: Mapping[str, Any], tolerance: float = DEFAULT_TOLERANCE) -> dict[str, Any]:
    """The verdict of an :func:`~infobargain.evaluation.evaluate_players` result, as a JSON-ready dict."""
    exploitability = result.get("exploitability") or {}
    nash_conv_by_first = exploitability.get("by_first_proposer", {})
    rows: dict[str, Any] = {}
    for first, group in result["by_first_proposer"].items():
        distance = group["distance"]["spe_played"]
        nash_conv = nash_conv_by_first.get(first, {}).get("nash_conv")
        rows[first] = {
            "outcome": dict(group["mean_outcome"]),
            "spe_played": {role: group["spe_played"][role] for role in ROLES},
            "distance_to_spe_played": distance,
            "distance_to_spe_continuous": group["distance"].get("spe_continuous"),
            "deal_rate": group["deal_rate"]["mean"],
            "agreement_round": group["agreement_round"]["mean"],
            "spe_agreement_round": group["spe_played"].get("agreement_round"),
            "nash_conv": nash_conv,
            "reached": not missing(distance) and distance <= tolerance,
        }
    return {
        "tolerance": tolerance,
        "reached": bool(rows) and all(row["reached"] for row in rows.values()),
        "by_first_proposer": rows,
    }


def missing(value: float | None) -> bool:
    """An estimate that could not be formed: ``None`` in JSON (no episodes of that kind), NaN in memory."""
    return value is None or math.isnan(value)


def number(value: float | None) -> str:
    """Four decimals, or a dash for an estimate that could not be formed."""
    return "—" if missing(value) else f"{value:.4f}"


def pair(point: Mapping[str, float]) -> str:
    return f"({number(point['sender'])}, {number(point['receiver'])})"


def format_verdict(summary: Mapping[str, Any]) -> str:
    """A short block for the terminal (the full report stays in ``report.md``)."""
    lines = [f"Verdict: within {summary['tolerance']:g} of the exact SPE of the game as played?"]
    for first, row in summary["by_first_proposer"].items():
        state = "reached" if row["reached"] else "NOT reached"
        agreement = "" if missing(row["agreement_round"]) else f" in round {row['agreement_round']:.2f}"
        lines.append(
            f"  {first + ' first':<15} {state:<12} outcome {pair(row['outcome'])}  SPE {pair(row['spe_played'])}  "
            f"distance {number(row['distance_to_spe_played'])}  NashConv {number(row['nash_conv'])}  "
            f"deals {row['deal_rate']:.2f}{agreement}"
        )
    return "\n".join(lines)


def suite_verdict(result: Mapping[str, Any], tolerance: float = DEFAULT_TOLERANCE) -> dict[str, Any]:
    """The verdict of a :func:`~infobargain.evaluation.suite.run_suite` result: which rows the players reached
    (distance of their mean outcome to the SPE of the game as played at most ``tolerance``)."""
    missed = [
        {
            "task": row["task"],
            "game": row["game"],
            "first_proposer": row["first_proposer"],
            "distance_to_spe_played": row["players"]["distance_to_spe_played"],
        }
        for row in result["rows"]
        if missing(row["players"]["distance_to_spe_played"]) or row["players"]["distance_to_spe_played"] > tolerance
    ]
    mae = result["mae_vs_spe_continuous"]
    return {
        "tolerance": tolerance,
        "rows": len(result["rows"]),
        "reached": len(result["rows"]) - len(missed),
        "missed": missed,
        "mae_vs_spe_continuous": mae.get("players"),
        "paper_best": {"model": mae.get("paper_best_model"), "mae_vs_spe_continuous": mae.get("paper_best")},
    }


def format_suite_verdict(summary: Mapping[str, Any]) -> str:
    """A few lines for the terminal after the suite's table."""
    best = summary["paper_best"]
    lines = [
        f"Verdict: {summary['reached']}/{summary['rows']} rows within {summary['tolerance']:g} of the exact SPE of "
        f"the game as played; MAE against the exact SPE of the continuous game "
        f"{number(summary['mae_vs_spe_continuous'])}"
        + (
            ""
            if best["model"] is None
            else f" (best LLM of the paper, {best['model']}: {number(best['mae_vs_spe_continuous'])})"
        )
    ]
    lines += [
        f"  not reached: {row['task']} {row['game']}, {row['first_proposer']} first, distance {number(row['distance_to_spe_played'])}"
        for row in summary["missed"]
    ]
    return "\n".join(lines)
