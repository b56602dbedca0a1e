"""``infobargain evaluate``: score a training run or any pair of players against the exact theory."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from infobargain.cli.arguments import (
    UsageError,
    add_env_arguments,
    add_game_arguments,
    add_import_argument,
    add_progress_argument,
    check_output_folder,
    env_kwargs_from_args,
    given_game_flags,
    import_plugins,
    name_list,
    refuse_unused,
    show_progress,
    whole_number,
)
from infobargain.game.config import ENV_DEFAULTS

DISTRIBUTION_ONLY = {"--instances": "only for a distribution of games (zero-shot); this game is one fixed game"}
"""Flags a fixed game does not use."""
FIXED_GAME_ONLY = {
    flag: "only for one fixed game; a distribution of games is scored zero-shot on --instances held-out draws"
    for flag in (
        "--episodes",
        "--workers",
        "--both-first",
        "--exploitability",
        "--best-response-steps",
        "--cross-play",
        "--cross-play-episodes",
    )
}
"""Flags a distribution of games does not use."""


def command_evaluate(args: argparse.Namespace) -> int:
    from infobargain.training.rundir import output_folder

    import_plugins(args)
    if args.run is not None and (args.sender or args.receiver):
        raise UsageError("--run: give either --run DIR or --sender and --receiver, not both")
    if args.run is None and not (args.sender and args.receiver):
        raise UsageError("evaluate: give --run DIR, or both --sender and --receiver")
    if args.cross_play is None:
        refuse_unused(args, {"--cross-play-episodes": "only with --cross-play"})
    if args.exploitability != "rl":
        refuse_unused(args, {"--best-response-steps": "only with --exploitability rl"})
    out = Path(args.out) if args.out else Path("runs") / f"evaluate-{time.strftime('%Y%m%d-%H%M%S')}"
    check_output_folder(out, "--out")
    env_kwargs, overrides = _checked_game(args)
    if args.run is not None and out.resolve() == Path(args.run).resolve():  # the run's own report, rewritten
        return _evaluate(args, out, env_kwargs, overrides)
    with output_folder(out, "evaluate"):
        return _evaluate(args, out, env_kwargs, overrides)


def _checked_game(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """The game evaluated and (with ``--run``) the flags that replace the run's, with every player and flag
    checked against it before anything is written."""
    from infobargain.agents.registry import check_player_spec, check_reachable_threshold, make_policy
    from infobargain.envs.information_bargaining_v1 import raw_env
    from infobargain.evaluation.run_files import read_run
    from infobargain.evaluation.runs import played_env
    from infobargain.game.distributions import InstanceDistribution, resolve_game
    from infobargain.game.protocol import ROLES

    for name in name_list(args.cross_play):
        check_player_spec(name, "--cross-play")
    if args.run is not None:
        run = read_run(args.run)
        overrides = run_overrides(args, run.env_kwargs)
        env_kwargs = played_env(run.env_kwargs, overrides)[0]
        players = (str(run.sender), str(run.receiver))
    else:
        overrides = {}
        env_kwargs = {"game": args.instance or args.scenario or ENV_DEFAULTS.game, **env_kwargs_from_args(args)}
        players = (args.sender, args.receiver)
    distribution = isinstance(resolve_game(env_kwargs.get("game", ENV_DEFAULTS.game)), InstanceDistribution)
    refuse_unused(args, FIXED_GAME_ONLY if distribution else DISTRIBUTION_ONLY)
    if not distribution:  # each player is built once here: one of another encoding is refused before any output
        game = raw_env(**env_kwargs)
        game.reset(seed=0)  # players read the game from a ready env
        for role, spec in zip(ROLES, players, strict=True):
            if "threshold" in spec:  # a threshold no deal reaches is a typo for this game (threshold:2 for 0.2)
                check_reachable_threshold(spec, game, role)
            make_policy(spec, game, role)
    return env_kwargs, overrides


def run_overrides(args: argparse.Namespace, run_env: dict[str, Any]) -> dict[str, Any]:
    """The game, protocol and env flags given with ``--run``: the run's players play that game instead of their
    own, at the run's offer encoding (its players read it; a different one is refused, naming the run's)."""
    given = given_game_flags(args)
    for flag in ("--offer-space", "--grid-size"):
        name = flag[2:].replace("-", "_")
        trained = run_env.get(name, getattr(ENV_DEFAULTS, name))
        if flag in given and getattr(args, name) != trained:
            raise UsageError(
                f"{flag}: the run's players were trained with {flag} {trained} and read only that encoding; "
                "leave it out (evaluate --run plays the run's encoding)"
            )
    overrides = {
        flag[2:].replace("-", "_"): getattr(args, flag[2:].replace("-", "_"))
        for flag in given
        if flag not in ("--scenario", "--instance")
    }
    if args.instance or args.scenario:
        overrides["game"] = args.instance or args.scenario
    return overrides


def _evaluate(args: argparse.Namespace, target: Path, env_kwargs: dict[str, Any], overrides: dict[str, Any]) -> int:
    from infobargain.evaluation.crossplay import cross_play
    from infobargain.evaluation.evaluate import evaluate_players
    from infobargain.evaluation.report import write_evaluation
    from infobargain.evaluation.runs import evaluate_run, format_result
    from infobargain.game.distributions import InstanceDistribution, resolve_game

    progress = show_progress(args)
    options: dict[str, Any] = {
        "episodes": args.episodes,
        "seed": args.seed,
        "workers": args.workers,
        "both_first": args.both_first,
        "exploitability": args.exploitability,
        "best_response_steps": args.best_response_steps,
        "progress": progress,
    }
    extra_players = name_list(args.cross_play)
    if args.run is not None:
        _announce(progress, f"the players of {args.run}", env_kwargs, args)
        result = evaluate_run(
            Path(args.run),
            cross_play=extra_players or None,
            cross_play_episodes=args.cross_play_episodes,
            figures=not args.no_figures,
            out_dir=target,
            instances=args.instances,
            env_overrides=overrides,
            **options,
        )
    elif isinstance(resolve_game(env_kwargs["game"]), InstanceDistribution):
        return _evaluate_across(args, env_kwargs, target)
    else:
        _announce(progress, f"{args.sender} against {args.receiver}", env_kwargs, args)
        result = evaluate_players(args.sender, args.receiver, env_kwargs, **options)
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


def _announce(progress: bool, players: str, env_kwargs: dict[str, Any], args: argparse.Namespace) -> None:
    """Say on stderr what is evaluated, before the seconds of rollouts and exact best responses."""
    if progress:
        game = env_kwargs.get("game", ENV_DEFAULTS.game)
        protocol = env_kwargs.get("protocol", ENV_DEFAULTS.protocol)
        print(
            f"evaluating {players} on {game} ({protocol}, {env_kwargs.get('first_proposer', 'sender')} first): "
            f"{args.episodes} episodes, exploitability {args.exploitability}",
            file=sys.stderr,
            flush=True,
        )


def _evaluate_across(args: argparse.Namespace, env_kwargs: dict[str, Any], target: Path) -> int:
    """Zero-shot: the pair on held-out instances of a distribution (``--instances`` of them)."""
    from infobargain.evaluation.generalist import DEFAULT_INSTANCES, evaluate_across, format_summary, write_across

    result = evaluate_across(
        args.sender,
        args.receiver,
        env_kwargs,
        instances=args.instances or DEFAULT_INSTANCES,
        seed=args.seed,
        progress=show_progress(args),
    )
    write_across(result, target, figures=not args.no_figures)
    print(json.dumps(result, indent=2, default=str) if args.json else format_summary(result))
    print(f"wrote {target / 'evaluation.json'} and {target / 'report.md'}", file=sys.stderr)
    return 0


def register(commands: Any) -> None:
    from infobargain.evaluation.evaluate import EXPLOITABILITY_MODES
    from infobargain.evaluation.generalist import DEFAULT_INSTANCES
    from infobargain.evaluation.zero_shot import DEFAULT_PER_SIZE

    parser = commands.add_parser(
        "evaluate",
        help="score players against theory: outcomes, distances, exploitability, report and figures",
        description="Evaluate a training run (--run DIR, on its own game or on the game and protocol flags given) "
        "or any pair of players (--sender X --receiver Y plus game, protocol and env flags). Writes "
        "evaluation.json, report.md and PNG figures into --out.",
    )
    parser.add_argument(
        "--run",
        metavar="DIR",
        help="a training run directory (config.toml, players/, metrics.csv); with game or protocol flags its "
        "players play that game, at the run's offer encoding (default: none, give --sender and --receiver)",
    )
    parser.add_argument(
        "--sender",
        help="sender player: spe, bp, nash, obedient, ignore, threshold:T, random or a path (default: none)",
    )
    parser.add_argument("--receiver", help="receiver player (same names) (default: none)")
    add_game_arguments(parser)
    add_env_arguments(parser)
    group = parser.add_argument_group("evaluation")
    group.add_argument(
        "--episodes", type=whole_number(1), default=200, help="episodes (per first proposer with --both-first)"
    )
    group.add_argument("--seed", type=whole_number(0), default=0, help="rollout seed")
    group.add_argument(
        "--instances",
        type=whole_number(1),
        default=None,
        help=f"held-out instances when the game is a distribution (zero-shot evaluation; default: {DEFAULT_INSTANCES}, "
        f"for a generalist's run {DEFAULT_PER_SIZE} per protocol and size)",
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
    group.add_argument(
        "--cross-play", metavar="P1,P2,...", help="also play a cross-play matrix with these players (default: none)"
    )
    group.add_argument("--cross-play-episodes", type=whole_number(1), default=20, help="episodes per cross-play pair")
    group.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: runs/evaluate-<timestamp>; --out RUN rewrites the run's own report)",
    )
    group.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    add_progress_argument(group)
    group.add_argument("--json", action="store_true", help="print evaluation.json to stdout")
    add_import_argument(parser)
    parser.set_defaults(handler=command_evaluate)
