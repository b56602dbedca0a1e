"""The ``infobargain`` command.

Every subcommand takes the game and protocol with the parameter names of DESIGN.md contract 2 (dashes for
underscores). Bad arguments or files end the command with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from infobargain.game.instance import Instance, InstanceError
from infobargain.game.protocol import FIRST_PROPOSERS, PROTOCOLS, Protocol
from infobargain.game.scenarios import Game, scenario, scenario_names
from infobargain.game.schemes import TIE_BREAKS
from infobargain.training.command import register as _register_train

EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with the user's input, reported as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def add_game_arguments(parser: argparse.ArgumentParser) -> None:
    """``--scenario``/``--instance`` and the bargaining-stage parameters."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--scenario", default=None, help=f"named game (default pure_math): {', '.join(scenario_names())}"
    )
    source.add_argument("--instance", default=None, metavar="FILE", help="instance JSON file (DESIGN.md contract 1)")
    group = parser.add_argument_group("protocol")
    defaults = Protocol()
    group.add_argument("--protocol", choices=PROTOCOLS, default=defaults.protocol)
    group.add_argument("--first-proposer", choices=FIRST_PROPOSERS, default=defaults.first_proposer)
    group.add_argument(
        "--max-rounds", type=int, default=defaults.max_rounds, help="offers allowed (ignored by ultimatum)"
    )
    group.add_argument(
        "--break-off", type=float, default=defaults.break_off, help="breakdown probability per rejection"
    )
    group.add_argument("--discount", type=float, default=defaults.discount, help="payoff discount per rejected round")
    group.add_argument("--tie-break", choices=TIE_BREAKS, default="sender")
    group.add_argument("--obedience-margin", type=float, default=0.0)


def game_from_args(args: argparse.Namespace) -> Game:
    if args.instance is not None:
        return Instance.load(args.instance)
    return scenario(args.scenario or "pure_math")


def protocol_from_args(args: argparse.Namespace) -> Protocol:
    return Protocol(args.protocol, args.first_proposer, args.max_rounds, args.break_off, args.discount)


def add_env_arguments(parser: argparse.ArgumentParser) -> None:
    """The environment-only parameters (DESIGN.md contract 2), for commands that build the env."""
    from infobargain.envs.information_bargaining_v0 import REALIZATIONS
    from infobargain.envs.offers import OFFER_SPACES, RECEIVER_OFFERS

    group = parser.add_argument_group("environment")
    group.add_argument("--offer-space", choices=OFFER_SPACES, default="frontier", help="how offers are encoded")
    group.add_argument(
        "--grid-size", type=int, default=11, help="levels per probability (grid) or points on the frontier"
    )
    group.add_argument("--receiver-offer", choices=RECEIVER_OFFERS, default="threshold")
    group.add_argument("--realization", choices=REALIZATIONS, default="expected")
    group.add_argument("--realization-rounds", type=int, default=10, help="rounds of the sampled realization stage")


def env_kwargs_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of ``information_bargaining_v0.env`` from the flags of ``add_game_arguments`` and
    ``add_env_arguments``: every contract-2 parameter (the game itself comes from ``game_from_args``)."""
    return {
        "protocol": args.protocol,
        "first_proposer": args.first_proposer,
        "max_rounds": args.max_rounds,
        "break_off": args.break_off,
        "discount": args.discount,
        "tie_break": args.tie_break,
        "obedience_margin": args.obedience_margin,
        "receiver_offer": args.receiver_offer,
        "realization": args.realization,
        "realization_rounds": args.realization_rounds,
        "offer_space": args.offer_space,
        "grid_size": args.grid_size,
    }


# solve


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
    for first in ("sender", "receiver"):
        outcome = spe.get(f"{first}_first")
        if outcome is not None:
            agreed = "no deal" if outcome["agreement_round"] is None else f"deal in round {outcome['agreement_round']}"
            lines.append(f"{first + ' first (' + agreed + ')':<36}{pair(outcome)}")
    if spe["first_proposer"] == "coin_flip":
        lines.append(f"{'coin flip (expected)':<36}{pair(spe['expected'])}")
    infinite = report["infinite_horizon"]
    lines += ["", f"infinite horizon, δ'={infinite['continuation_factor']:g}", "-" * 57]
    for first in ("sender", "receiver"):
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
    for first in ("sender", "receiver"):
        outcome = report["spe"].get(f"{first}_first")
        if outcome is not None:
            points[f"SPE, {first} first"] = (outcome["sender"], outcome["receiver"])
    save_figure(draw_bargaining_set(problem, points, title=f"{report['game']}: benchmarks"), path)


def command_solve(args: argparse.Namespace) -> int:
    from infobargain.theory.problem import bargaining_problem
    from infobargain.theory.solve import solve

    game = game_from_args(args)
    protocol = protocol_from_args(args)
    problem = bargaining_problem(game, args.tie_break, args.obedience_margin)
    report = solve(problem, protocol)
    print(json.dumps(report, indent=2) if args.json else _format_table(report))
    if args.plot:
        _plot_solve(report, problem, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


def _register_solve(commands: Any) -> None:
    parser = commands.add_parser("solve", help="exact benchmarks of a game and protocol")
    add_game_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object (DESIGN.md contract 3)")
    parser.add_argument("--plot", metavar="FILE.png", help="draw the bargaining set and every benchmark point")
    parser.set_defaults(handler=command_solve)


def _register_play(commands: Any) -> None:
    from infobargain.agents.play import register

    register(commands)


REGISTRARS: list[Callable[[Any], None]] = [_register_solve, _register_train, _register_play]


def _register_evaluate(commands: Any) -> None:
    from infobargain.evaluation.commands import register_evaluate

    register_evaluate(commands)


def _register_suite(commands: Any) -> None:
    from infobargain.evaluation.commands import register_suite

    register_suite(commands)


REGISTRARS += [_register_evaluate, _register_suite]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="infobargain", description=__doc__.splitlines()[0])
    from infobargain import __version__

    parser.add_argument("--version", action="version", version=f"infobargain {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for register in REGISTRARS:
        register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return int(args.handler(args))
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly, as shell tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except UsageError as error:
        print(f"infobargain: error: {error}", file=sys.stderr)
    except (InstanceError, ValueError, OSError, ImportError) as error:
        print(f"infobargain: error: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        print("infobargain: interrupted", file=sys.stderr)
        return 130
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
