"""``infobargain evaluate``: score a training run or any pair of players against the exact theory."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from infobargain.cli.arguments import (
    add_env_arguments,
    add_game_arguments,
    add_import_argument,
    env_kwargs_from_args,
    import_plugins,
    name_list,
    whole_number,
)


def command_evaluate(args: argparse.Namespace) -> int:
    from infobargain.training.rundir import output_folder

    import_plugins(args)
    run_itself = args.run is not None and args.out is not None and Path(args.out).resolve() == Path(args.run).resolve()
    if args.out is None or run_itself:  # a fresh dated folder, or the run's own evaluation
        return _evaluate(args)
    with output_folder(Path(args.out), "evaluate"):
        return _evaluate(args)


def _evaluate(args: argparse.Namespace) -> int:
    from infobargain.agents.registry import check_player_spec, check_reachable_threshold
    from infobargain.envs.information_bargaining_v1 import raw_env
    from infobargain.evaluation.crossplay import cross_play
    from infobargain.evaluation.evaluate import evaluate_players
    from infobargain.evaluation.report import write_evaluation
    from infobargain.evaluation.runs import evaluate_run, format_result
    from infobargain.game.distributions import InstanceDistribution, resolve_game
    from infobargain.game.protocol import ROLES

    options: dict[str, Any] = {
        "episodes": args.episodes,
        "seed": args.seed,
        "workers": args.workers,
        "both_first": args.both_first,
        "exploitability": args.exploitability,
        "progress": True if args.progress else None,
    }
    extra_players: list[str] = list(name_list(args.cross_play))
    for name in extra_players:
        check_player_spec(name, "--cross-play")
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
            instances=args.instances,
            **options,
        )
        target = out or Path(args.run)
    else:
        if not (args.sender and args.receiver):
            raise ValueError("evaluate: give --run DIR, or both --sender and --receiver")
        env_kwargs = {"game": args.instance or args.scenario or "pure_math", **env_kwargs_from_args(args)}
        if isinstance(resolve_game(env_kwargs["game"]), InstanceDistribution):
            return _evaluate_across(args, env_kwargs)
        thresholds = [
            (role, spec) for role, spec in zip(ROLES, (args.sender, args.receiver), strict=True) if "threshold" in spec
        ]
        if thresholds:  # a threshold no deal reaches is a typo for this game (threshold:2 for 0.2)
            game = raw_env(**env_kwargs)
            for role, spec in thresholds:
                check_reachable_threshold(spec, game, role)
        result = evaluate_players(
            args.sender, args.receiver, env_kwargs, best_response_steps=args.best_response_steps, **options
        )
        target = Path(args.out) if args.out else Path("runs") / f"evaluate-{time.strftime('%Y%m%d-%H%M%S')}"
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
        print(format_result(result))
        print(f"wrote {target / 'evaluation.json'} and {target / 'report.md'}", file=sys.stderr)
    return 0


def _evaluate_across(args: argparse.Namespace, env_kwargs: dict[str, Any]) -> int:
    """Zero-shot: the pair on held-out instances of a distribution (``--instances`` of them)."""
    from infobargain.evaluation.generalist import evaluate_across, format_summary, write_across

    if args.cross_play:
        raise ValueError("--cross-play: needs one fixed game, not a distribution of games")
    result = evaluate_across(
        args.sender,
        args.receiver,
        env_kwargs,
        instances=args.instances,
        seed=args.seed,
        progress=True if args.progress else None,
    )
    target = Path(args.out) if args.out else Path("runs") / f"evaluate-{time.strftime('%Y%m%d-%H%M%S')}"
    write_across(result, target, figures=not args.no_figures)
    print(json.dumps(result, indent=2, default=str) if args.json else format_summary(result))
    print(f"wrote {target / 'evaluation.json'} and {target / 'report.md'}", file=sys.stderr)
    return 0


def register(commands: Any) -> None:
    from infobargain.evaluation.evaluate import EXPLOITABILITY_MODES
    from infobargain.evaluation.generalist import DEFAULT_INSTANCES

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
    group.add_argument(
        "--episodes", type=whole_number(1), default=200, help="episodes (per first proposer with --both-first)"
    )
    group.add_argument("--seed", type=whole_number(0), default=0)
    group.add_argument(
        "--instances",
        type=whole_number(1),
        default=DEFAULT_INSTANCES,
        help=f"held-out instances when the game is a distribution (default {DEFAULT_INSTANCES}; zero-shot evaluation)",
    )
    group.add_argument("--workers", type=whole_number(1), default=None, help="rollout processes (default: automatic)")
    group.add_argument("--both-first", action="store_true", help="play the game once with each side proposing first")
    group.add_argument(
        "--exploitability",
        choices=EXPLOITABILITY_MODES,
        default="auto",
        help="auto: exact on discrete offer spaces; rl: an RL best response (a lower bound; training extra)",
    )
    group.add_argument(
        "--best-response-steps", type=whole_number(1), default=100_000, help="training steps of an RL best response"
    )
    group.add_argument("--cross-play", metavar="P1,P2,...", help="also play a cross-play matrix with these players")
    group.add_argument("--cross-play-episodes", type=whole_number(1), default=20)
    group.add_argument(
        "--out", metavar="DIR", help="output directory (default: the run directory, else runs/evaluate-<timestamp>)"
    )
    group.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    group.add_argument("--progress", action="store_true", help="always show a progress bar")
    group.add_argument("--json", action="store_true", help="print evaluation.json to stdout")
    add_import_argument(parser)
    parser.set_defaults(handler=command_evaluate)
