"""The ``evaluate`` and ``suite`` subcommands of ``infobargain`` (registered in :data:`infobargain.cli.REGISTRARS`).

Errors in arguments or files raise ``ValueError``/``OSError``/``ImportError``, which the ``infobargain`` entry
point reports as one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from infobargain.evaluation.evaluate import EXPLOITABILITY_MODES
from infobargain.evaluation.players import PlayerSpec


def _players(text: str) -> tuple[PlayerSpec, PlayerSpec]:
    names = [name.strip() for name in text.split(",")]
    if len(names) == 1 and names[0]:
        return names[0], names[0]
    if len(names) == 2 and all(names):
        return names[0], names[1]
    raise ValueError(f"--players: expected NAME or SENDER,RECEIVER, got {text!r}")


def _names(text: str | None) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()] if text else []


# evaluate


def command_evaluate(args: argparse.Namespace) -> int:
    from infobargain.cli import env_kwargs_from_args, game_from_args
    from infobargain.evaluation.crossplay import cross_play
    from infobargain.evaluation.evaluate import evaluate_players
    from infobargain.evaluation.report import write_evaluation
    from infobargain.evaluation.runs import evaluate_run

    options: dict[str, Any] = {
        "episodes": args.episodes,
        "seed": args.seed,
        "workers": args.workers,
        "both_first": args.both_first,
        "exploitability": args.exploitability,
        "progress": True if args.progress else None,
    }
    extra_players: list[PlayerSpec] = list(_names(args.cross_play))
    if args.run is not None:
        if args.sender or args.receiver:
            raise ValueError("evaluate: give either --run DIR or --sender and --receiver, not both")
        out = Path(args.out) if args.out else None
        result = evaluate_run(
            Path(args.run),
            cross_play=extra_players or None,
            cross_play_episodes=args.cross_play_episodes,
            figures=not args.no_figures,
            out_dir=out,
            **options,
        )
        target = out or Path(args.run)
    else:
        if not (args.sender and args.receiver):
            raise ValueError("evaluate: give --run DIR, or both --sender and --receiver")
        game_from_args(args)  # validates --scenario / --instance early, with the usual one-line error
        env_kwargs = {"game": args.instance or args.scenario or "pure_math", **env_kwargs_from_args(args)}
        result = evaluate_players(
            args.sender, args.receiver, env_kwargs, best_response_steps=args.best_response_steps, **options
        )
        target = Path(args.out or "evaluation")
        extra: dict[str, str] = {}
        if extra_players:
            matrix = cross_play(
                [args.sender, *extra_players],
                env_kwargs,
                receivers=[args.receiver, *extra_players],
                episodes=args.cross_play_episodes,
                seed=args.seed,
                workers=args.workers,
            )
            if any(path.suffix == ".png" for path in matrix.write(target, plot=not args.no_figures)):
                extra["cross-play payoffs"] = "cross_play.png"
            result["cross_play"] = matrix.to_json()
        write_evaluation(result, target, env_kwargs=env_kwargs, figures=not args.no_figures, extra_figures=extra)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        for first, group in result["by_first_proposer"].items():
            payoff = group["payoff"]
            print(
                f"{first} first: U_S {payoff['sender']['mean']:.4f}, U_R {payoff['receiver']['mean']:.4f}, "
                f"distance to SPE {group.get('distance', {}).get('spe', float('nan')):.6f}"
            )
        exploit = result.get("exploitability") or {}
        if "nash_conv" in exploit:
            print(f"NashConv {exploit['nash_conv']:.6f} ({exploit['method']})")
        print(f"wrote {target / 'evaluation.json'} and {target / 'report.md'}", file=sys.stderr)
    return 0


def register_evaluate(commands: Any) -> None:
    from infobargain.cli import add_env_arguments, add_game_arguments

    parser = commands.add_parser(
        "evaluate",
        help="score players against theory: outcomes, distances, exploitability, report and figures",
        description="Evaluate a training run (--run DIR) or any pair of players (--sender X --receiver Y plus "
        "game, protocol and env flags). Writes evaluation.json, report.md and PNG figures.",
    )
    parser.add_argument("--run", metavar="DIR", help="a training run directory (config.toml, players/, metrics.csv)")
    parser.add_argument(
        "--sender", help="sender player: spe, bp, nash, obedient, ignore, threshold:T, random or a path"
    )
    parser.add_argument("--receiver", help="receiver player (same names)")
    add_game_arguments(parser)
    add_env_arguments(parser)
    group = parser.add_argument_group("evaluation")
    group.add_argument("--episodes", type=int, default=200, help="episodes (per first proposer with --both-first)")
    group.add_argument("--seed", type=int, default=0)
    group.add_argument("--workers", type=int, default=None, help="rollout processes (default: automatic)")
    group.add_argument("--both-first", action="store_true", help="play the game once with each side proposing first")
    group.add_argument(
        "--exploitability",
        choices=EXPLOITABILITY_MODES,
        default="auto",
        help="auto: exact on discrete offer spaces; rl: an RL best response (a lower bound; training extra)",
    )
    group.add_argument("--best-response-steps", type=int, default=100_000, help="training steps of an RL best response")
    group.add_argument("--cross-play", metavar="P1,P2,...", help="also play a cross-play matrix with these players")
    group.add_argument("--cross-play-episodes", type=int, default=20)
    group.add_argument("--out", metavar="DIR", help="output directory (default: the run directory, else ./evaluation)")
    group.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    group.add_argument("--progress", action="store_true", help="always show a progress bar")
    group.add_argument("--json", action="store_true", help="print evaluation.json to stdout")
    parser.set_defaults(handler=command_evaluate)


# suite


def command_suite(args: argparse.Namespace) -> int:
    from infobargain.evaluation.suite import run_suite
    from infobargain.evaluation.suite_report import render_suite_markdown

    players = _players(args.players) if args.players else None
    out = Path(args.out) if args.out else None
    result = run_suite(
        players,
        tasks=_names(args.tasks) or None,
        episodes=args.episodes,
        seed=args.seed,
        offer_space=args.offer_space,
        grid_size=args.grid_size,
        total_steps=args.steps,
        exploitability=not args.no_exploitability,
        paper_results=args.paper_results,
        run_dir=None if out is None else out / "players",
        workers=args.workers,
    )
    markdown = render_suite_markdown(result)
    for note in result["notes"]:
        print(f"note: {note}", file=sys.stderr)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "suite.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        (out / "suite.md").write_text(markdown)
        print(f"wrote {out / 'suite.json'} and {out / 'suite.md'}", file=sys.stderr)
    print(json.dumps(result, indent=2, default=str) if args.json else markdown, end="" if not args.json else "\n")
    return 0


def register_suite(commands: Any) -> None:
    from infobargain.envs.offers import OFFER_SPACES
    from infobargain.evaluation.suite import TASK_NAMES

    parser = commands.add_parser(
        "suite",
        help="the paper's task grid: exact SPE, limits, your players and the paper's LLM results",
        description="Run the tasks of Lin et al. (arXiv 2506.05876) against exact theory. Without --players the "
        "library trains self-play agents per task (training extra; budget --steps).",
    )
    parser.add_argument(
        "--players", metavar="SENDER,RECEIVER", help="players (one NAME for both sides); default: trained"
    )
    parser.add_argument("--tasks", metavar="T1,T2", help=f"a subset of: {', '.join(TASK_NAMES)}")
    parser.add_argument("--episodes", type=int, default=8, help="episodes per row (expected mode)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=200_000, help="training steps per task and game (trained players)")
    parser.add_argument(
        "--offer-space", choices=OFFER_SPACES, default="frontier", help="signaling tasks (pies: frontier)"
    )
    parser.add_argument(
        "--grid-size",
        type=int,
        default=21,
        help="offers per frontier (21: discretised SPEs within ~0.01 of the continuous ones on the signaling tasks)",
    )
    parser.add_argument(
        "--paper-results", metavar="FILE", help="paper_llm_results.csv (default: <repo>/../shared/data/)"
    )
    parser.add_argument("--no-exploitability", action="store_true", help="skip the exact NashConv column")
    parser.add_argument("--workers", type=int, default=None, help="rollout processes (default: automatic)")
    parser.add_argument("--out", metavar="DIR", help="also write suite.json and suite.md here")
    parser.add_argument("--json", action="store_true", help="print the JSON document instead of Markdown")
    parser.set_defaults(handler=command_suite)
