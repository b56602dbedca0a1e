"""Writing an evaluation: ``evaluation.json``, ``report.md`` and the PNG figures.

The Markdown report is a readable rendering of the JSON document, nothing more: every figure in it is in
``evaluation.json`` with full precision.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infobargain.evaluation.benchmarks import benchmarks
from infobargain.evaluation.diagnostics import render_rounds
from infobargain.game.protocol import ROLES


def _number(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if abs(value) < 0.5 * 10**-digits:  # no "-0.0000" from rounding noise
        value = 0.0
    return f"{value:.{digits}f}"


def _estimate(value: Mapping[str, Any] | None) -> str:
    if not value or value.get("mean") is None:
        return "—"
    width = value.get("ci95")
    return f"{value['mean']:.4f} ± {'?' if width is None else f'{width:.4f}'}"


def _pair(point: Mapping[str, Any] | None) -> str:
    if point is None:
        return "—"
    return f"({point['sender']:.4f}, {point['receiver']:.4f})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(result: Mapping[str, Any], figures: Mapping[str, str] | None = None) -> str:
    """The report of :func:`~infobargain.evaluation.evaluate.evaluate_players` as Markdown."""
    lines = _title(result)
    if "verdict" in result:
        lines += _verdict_section(result["verdict"])
    lines += _benchmarks_section(result["benchmarks"])
    lines += _outcomes_section(result["by_first_proposer"])
    lines += _advantages_section(result["advantages"])
    lines += _exploitability_section(result.get("exploitability"))
    lines += render_rounds(result.get("rounds"))
    if figures:
        lines += ["", "## Figures", ""]
        lines += [f"![{label}]({name})" for label, name in figures.items()]
    return "\n".join(lines) + "\n"


def _title(result: Mapping[str, Any]) -> list[str]:
    players, env, bench = result["players"], result["env"], result["benchmarks"]
    return [
        f"# Evaluation: {players['sender']} (sender) vs {players['receiver']} (receiver)",
        "",
        f"Game `{bench['game']}`; {result['episodes']} episodes, seed {result['seed']}, realization "
        f"`{result['realization']}`; offers {bench['offers']}.",
        "",
        "Environment: " + ", ".join(f"`{k}={v}`" for k, v in env.items() if not isinstance(v, dict)),
        "",
        f"_{result['interval_note']}_",
    ]


def _verdict_section(summary: Mapping[str, Any]) -> list[str]:
    rows = [
        [
            f"{first} first",
            _pair(row["outcome"]),
            _pair(row["spe_played"]),
            _number(row["distance_to_spe_played"], 6),
            _number(row["nash_conv"], 6),
            _number(row["deal_rate"], 2),
            _number(row["agreement_round"], 2),
            "reached" if row["reached"] else "**not reached**",
        ]
        for first, row in summary["by_first_proposer"].items()
    ]
    header = ["", "outcome", "SPE as played", "distance", "NashConv", "deal rate", "agreement round", "verdict"]
    return [
        "",
        "## Verdict",
        "",
        f"Reached: the mean outcome lies within {summary['tolerance']:g} (Euclidean) of the exact SPE of the game "
        "as played.",
        "",
        *_table(header, rows),
    ]


def _benchmarks_section(bench: Mapping[str, Any]) -> list[str]:
    rows = [
        [name, _pair(bench[key])]
        for name, key in (
            ("disagreement d", "disagreement"),
            ("BP optimum", "bp_optimum"),
            ("receiver optimum", "receiver_optimum"),
            ("Nash", "nash"),
            ("Kalai–Smorodinsky", "kalai_smorodinsky"),
        )
    ]
    for first in ROLES:
        spe, continuous = bench["spe_played"][f"{first}_first"], bench["spe_continuous"][f"{first}_first"]
        rows.append([f"SPE as played, {first} first (deal round {spe['agreement_round']})", _pair(spe)])
        rows.append([f"SPE continuous game, {first} first", _pair(continuous)])
        limit = bench["infinite_horizon"].get(f"{first}_first")
        rows.append([f"alternating offers, T → ∞ (Rubinstein), {first} first", _pair(limit)])
    lines = ["", "## Benchmarks", "", *_table(["benchmark", "(U_S, U_R)"], rows)]
    if bench["infinite_horizon"].get("note"):
        lines += ["", f"Alternating offers, T → ∞: {bench['infinite_horizon']['note']}."]
    return lines


def _outcomes_section(groups: Mapping[str, Any]) -> list[str]:
    firsts = [first for first in ROLES if first in groups]

    def row(label: str, get: Any) -> list[str]:
        return [label] + [get(groups[first]) for first in firsts]

    stat_rows = [
        row("episodes", lambda g: str(g["episodes"])),
        row("deal rate", lambda g: _estimate(g["deal_rate"])),
        row("round of agreement", lambda g: _estimate(g["agreement_round"])),
        row("sender payoff U_S", lambda g: _estimate(g["payoff"]["sender"])),
        row("receiver payoff U_R", lambda g: _estimate(g["payoff"]["receiver"])),
        row("accepted proposer's payoff", lambda g: _estimate(g["proposer_payoff"])),
        row("SPE as played (U_S, U_R)", lambda g: _pair(g["spe_played"])),
        row("distance to SPE as played", lambda g: _number(g.get("distance", {}).get("spe_played"), 6)),
        row("distance to SPE (continuous)", lambda g: _number(g.get("distance", {}).get("spe_continuous"), 6)),
        row("distance to Nash", lambda g: _number(g.get("distance", {}).get("nash"))),
        row("distance to Kalai–Smorodinsky", lambda g: _number(g.get("distance", {}).get("kalai_smorodinsky"))),
        row("distance to BP optimum", lambda g: _number(g.get("distance", {}).get("bp_optimum"))),
        row("distance to Pareto frontier", lambda g: _number(g.get("frontier_distance"), 6)),
        row("receiver shortfall at U_S", lambda g: _number(g.get("receiver_shortfall"), 6)),
        row("sender's share of the surplus", lambda g: _number(g.get("fairness", {}).get("sender_surplus_share"))),
        row("(SPE's sender share)", lambda g: _number(g.get("fairness", {}).get("spe_sender_surplus_share"))),
        row("Nash product / maximum", lambda g: _number(g.get("fairness", {}).get("nash_product_ratio"))),
    ]
    return [
        "",
        "## Outcomes by first proposer",
        "",
        "Statistics are never pooled across first proposers.",
        "",
        *_table(["statistic"] + [f"{first} first" for first in firsts], stat_rows),
        "",
        "Distances are Euclidean, from the mean outcome. The frontier distance is to the Pareto-frontier polyline; "
        "the receiver shortfall is the most the receiver could get without lowering the sender below its mean "
        "payoff, minus what it got.",
    ]


def _advantages_section(advantages: Mapping[str, Any]) -> list[str]:
    rows = [
        [label, _number(split["informational"]), _number(split["first_proposer"])]
        for label, split in (
            ("realized (these players)", advantages["realized"]),
            ("SPE of this protocol", advantages["spe_played"]),
            ("ultimatum (paper's definition)", advantages["ultimatum"]),
        )
        if split is not None
    ]
    lines = ["", "## The sender's advantage", "", *_table(["", "informational", "first-proposer"], rows)]
    if advantages["realized"] is None:
        lines += ["", "The realized split needs episodes with each side first (coin flip, or `both_first`)."]
    return lines


def _exploitability_section(exploit: Mapping[str, Any] | None) -> list[str]:
    lines = ["", "## Exploitability", ""]
    if exploit is None:
        return [*lines, "Not computed."]
    if "by_first_proposer" not in exploit:
        return [*lines, f"{exploit.get('method', '')}: {exploit.get('note', '')}"]
    if exploit.get("method", "").startswith("exact"):
        rows = [
            [
                f"{first} first",
                _number(f["gain"]["sender"], 6),
                _number(f["gain"]["receiver"], 6),
                _number(f["nash_conv"], 6),
            ]
            for first, f in exploit["by_first_proposer"].items()
        ]
        lines += _table(["", "sender's gain", "receiver's gain", "NashConv"], rows)
        lines += ["", f"{exploit['method']}; {exploit['covers']}."]
        return lines + [f"- {note}" for note in exploit.get("notes", [])]
    rows = [
        [f"{first} first", role, _number(entry["gain_lower_bound"]), _number(entry["ci95"])]
        for first, by_role in exploit["by_first_proposer"].items()
        for role, entry in by_role.items()
    ]
    lines += _table(["", "best responder", "gain (lower bound)", "± 95 % CI"], rows)
    return [*lines, "", f"{exploit['method']}, {exploit['total_steps']} training steps: {exploit['covers']}."]


def learning_curve_references(result: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Reference lines for the payoff curves of ``metrics.csv`` (columns ``<first>_first/<role>_payoff``, and the
    greedy players' ``greedy/<first>_first/<role>_payoff``): the SPE as played for that first proposer and the
    Nash bargaining point."""
    nash = result["benchmarks"]["nash"]
    return {
        f"{prefix}{first}_first/{role}_payoff": {"SPE": group["spe_played"][role], "Nash": nash[role]}
        for first, group in result["by_first_proposer"].items()
        for role in ROLES
        for prefix in ("", "greedy/")
    }


def player_title(spec: Any) -> str:
    """A player as a figure title names it: a saved player's file (``runs/x/players/sender.pt``) as ``trained
    sender``, since a path says where the player is, not what it is; a name as it is."""
    text = str(spec)
    if "/" in text or "\\" in text or Path(text).suffix in (".pt", ".npz", ".zip", ".json"):
        return f"trained {Path(text).stem}"
    return text


def write_evaluation(
    result: Mapping[str, Any],
    directory: str | Path,
    *,
    env_kwargs: Mapping[str, Any],
    metrics_csv: str | Path | None = None,
    figures: bool = True,
    extra_figures: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write ``evaluation.json``, ``report.md`` and (``figures``, needs matplotlib) the PNGs into ``directory``.

    Returns the files written by label. Without matplotlib the figures are skipped and the report says so.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    shown: dict[str, str] = dict(extra_figures or {})
    notes: list[str] = []
    if figures:
        try:
            from infobargain.evaluation.plots import plot_learning_curves, plot_outcomes

            game, players = result["benchmarks"]["game"], result["players"]
            title = f"{game}: {player_title(players['sender'])} vs {player_title(players['receiver'])}"
            plot_outcomes(benchmarks(env_kwargs), result["by_first_proposer"], out / "bargaining_set.png", title)
            shown["bargaining set, benchmarks and outcomes"] = "bargaining_set.png"
            curves = metrics_csv is not None and Path(metrics_csv).exists()
            references = learning_curve_references(result)
            if curves and plot_learning_curves(
                metrics_csv,  # type: ignore[arg-type]
                out / "learning_curves.png",
                title=f"{game}: learning curves",
                references=references,
            ):
                shown["learning curves"] = "learning_curves.png"
        except ImportError as error:
            notes.append(f"figures skipped: {error}")
    for name in shown.values():
        written[name] = out / name
    document = dict(result)
    if notes:
        document["notes"] = [*document.get("notes", []), *notes]
    written["evaluation.json"] = out / "evaluation.json"
    written["evaluation.json"].write_text(json.dumps(document, indent=2, default=_json_default) + "\n")
    markdown = render_markdown(document, shown)
    if notes:
        markdown += "\n" + "\n".join(f"_{note}_" for note in notes) + "\n"
    written["report.md"] = out / "report.md"
    written["report.md"].write_text(markdown)
    return written


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
