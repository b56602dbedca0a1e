"""``infobargain solve``: every exact benchmark of a game and protocol, as a table, JSON or a plot."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from infobargain.cli.arguments import (
    add_game_arguments,
    check_output_file,
    game_from_args,
    protocol_from_args,
)
from infobargain.game.protocol import ROLES


def _format_table(report: dict[str, Any]) -> str:
    def pair(point: dict[str, Any] | None) -> str:
        return "—" if point is None else f"{point['sender']:>10.6f} {point['receiver']:>10.6f}"

    spe = report["spe"]
    lines = [
        f"{report['game']} ({report['kind']}), tie_break={report['tie_break']}, obedience_margin={report['obedience_margin']:g}",
        "",
        f"{'benchmark':<36}{'sender':>10} {'receiver':>10}",
        "-" * 57,
    ]
    for key in (
        "disagreement",
        "bp_optimum",
        "receiver_optimum",
        "full_disclosure",
        "nash",
        "kalai_smorodinsky",
        "egalitarian",
        "utilitarian",
        "ideal",
    ):
        lines.append(f"{key:<36}{pair(report[key])}")
    title = f"SPE {spe['protocol']}, T={spe['max_rounds']}, p={spe['break_off']:g}, δ={spe['discount']:g}"
    lines += ["", title, "-" * 57]
    for first in ROLES:
        outcome = spe.get(f"{first}_first")
        if outcome is not None:
            agreed = "no deal" if outcome["agreement_round"] is None else f"deal in round {outcome['agreement_round']}"
            lines.append(f"{first + ' first (' + agreed + ')':<36}{pair(outcome)}")
    if spe["first_proposer"] == "coin_flip":
        lines.append(f"{'coin flip (expected)':<36}{pair(spe['expected'])}")
    infinite = report["infinite_horizon"]
    lines += ["", f"infinite horizon, δ'={infinite['continuation_factor']:g}", "-" * 57]
    for first in ROLES:
        lines.append(f"{first + ' first':<36}{pair(infinite[first + '_first'])}")
    if "note" in infinite:
        lines.append(f"  ({infinite['note']})")
    advantages = report["advantages"]
    lines += [
        "",
        f"advantages: informational {advantages['informational']:.6f}, first-proposer {advantages['first_proposer']:.6f}",
        "feasible set: " + ", ".join(f"({p['sender']:.4f}, {p['receiver']:.4f})" for p in report["feasible_set"]),
        "Pareto frontier: " + ", ".join(f"({p['sender']:.4f}, {p['receiver']:.4f})" for p in report["pareto_frontier"]),
    ]
    return "\n".join(lines)


def _plot_solve(report: dict[str, Any], problem: Any, path: str) -> None:
    from infobargain.theory.plot import BENCHMARK_MARKERS, draw_bargaining_set, save_figure

    points = {key: (report[key]["sender"], report[key]["receiver"]) for key in BENCHMARK_MARKERS if report.get(key)}
    for first in ROLES:
        outcome = report["spe"].get(f"{first}_first")
        if outcome is not None:
            points[f"SPE, {first} first"] = (outcome["sender"], outcome["receiver"])
    save_figure(draw_bargaining_set(problem, points, title=f"{report['game']}: benchmarks"), path)


def _plot_target(plot: str | None) -> Path | None:
    """The file ``--plot`` writes: matplotlib adds ``.png`` to a name without a suffix, so it is said here."""
    if not plot:
        return None
    target = Path(plot)
    return target if target.suffix else target.with_name(target.name + ".png")


def command_solve(args: argparse.Namespace) -> int:
    from infobargain.theory.problem import bargaining_problem
    from infobargain.theory.solve import solve

    target = _plot_target(args.plot)
    check_output_file(target, "--plot")
    game = game_from_args(args)
    protocol = protocol_from_args(args)
    problem = bargaining_problem(game, args.tie_break, args.obedience_margin)
    report = solve(problem, protocol)
    print(json.dumps(report, indent=2) if args.json else _format_table(report))
    if target is not None:
        _plot_solve(report, problem, str(target))
        print(f"plot written to {target}", file=sys.stderr)
    return 0


def register(commands: Any) -> None:
    parser = commands.add_parser("solve", help="exact benchmarks of a game and protocol")
    add_game_arguments(parser)
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object (docs/design.md, contract 3) instead of the table"
    )
    parser.add_argument(
        "--plot", metavar="FILE.png", help="draw the bargaining set and every benchmark point (default: no plot)"
    )
    parser.set_defaults(handler=command_solve)
