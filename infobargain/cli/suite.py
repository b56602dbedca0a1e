"""``infobargain suite``: the paper's task grid against the exact SPE, with trained or named players."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from infobargain.cli.arguments import (
    UsageError,
    add_import_argument,
    add_progress_argument,
    check_output_folder,
    import_plugins,
    name_list,
    player_pair,
    refuse_unused,
    show_progress,
)


def command_suite(args: argparse.Namespace) -> int:
    from infobargain.training.rundir import output_folder

    import_plugins(args)
    if args.players:
        trains = "trains the suite's own players; leave it out with --players"
        refuse_unused(args, {"--algorithm": trains, "--steps": trains, "--jobs": trains})
    elif args.algorithm != "auto":
        from infobargain.training.api import self_play_algorithm

        self_play_algorithm({}, args.algorithm)  # an unknown or non-self-play name stops here, before any work
    check_output_folder(args.out, "--out")
    players = suite_players(args.players) if args.players else None
    if isinstance(players, list):
        _encoding_of_runs(args, players)
    out = Path(args.out) if args.out else None
    with contextlib.ExitStack() as held:
        if out is not None:
            held.enter_context(output_folder(out, "suite"))
            args.resumes_itself = True  # its trainings are kept in OUT/players and resumed
        return _run(args, players, out)


def _run(args: argparse.Namespace, players: tuple[str, str] | list[Path] | None, out: Path | None) -> int:
    from infobargain.cli.benchmark import ray_address
    from infobargain.evaluation.suite import run_suite
    from infobargain.evaluation.suite_report import render_suite_markdown
    from infobargain.evaluation.verdict import format_suite_verdict, suite_verdict
    from infobargain.files import atomic_write

    result = run_suite(
        players,
        tasks=name_list(args.tasks) or None,
        episodes=args.episodes,
        seed=args.seed,
        offer_space=args.offer_space,
        grid_size=args.grid_size,
        total_steps=args.steps,
        exploitability=not args.no_exploitability,
        paper_results=args.paper_results,
        run_dir=None if out is None else out / "players",
        workers=args.workers,
        jobs=args.jobs,
        ray=ray_address(args),
        algorithm=args.algorithm,
        plugins=args.imports,
        progress=show_progress(args),
    )
    result["verdict"] = suite_verdict(result)
    markdown = render_suite_markdown(result)
    for note in result["notes"]:
        print(f"note: {note}", file=sys.stderr)
    if out is not None:
        atomic_write(out / "suite.json", (json.dumps(result, indent=2, default=str) + "\n").encode())
        atomic_write(out / "suite.md", markdown.encode())
        print(f"wrote {out / 'suite.json'} and {out / 'suite.md'}", file=sys.stderr)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(markdown, end="")
        print(format_suite_verdict(result["verdict"]))
    return 0


def _encoding_of_runs(args: argparse.Namespace, runs: list[Path]) -> None:
    """Training runs as players: the suite plays their offer encoding (their players read no other), unless
    ``--offer-space``/``--grid-size`` say otherwise; runs of different encodings need the flag."""
    from infobargain.evaluation.run_files import read_run
    from infobargain.game.config import ENV_DEFAULTS

    envs = [read_run(run).env_kwargs for run in runs]
    for name in ("offer_space", "grid_size"):
        flag = f"--{name.replace('_', '-')}"
        if name in args.given:
            continue
        values = sorted({str(env.get(name, getattr(ENV_DEFAULTS, name))) for env in envs})
        if len(values) > 1:
            raise UsageError(f"{flag}: the runs were trained with {flag} {' and '.join(values)}; choose one")
        setattr(args, name, type(getattr(args, name))(values[0]))


def suite_players(text: str) -> tuple[str, str] | list[Path]:
    """``--players``: training-run directories (``RUN[,RUN...]``, each played where its protocol fits), else
    ``NAME`` or ``SENDER,RECEIVER``."""
    paths = [Path(name) for name in name_list(text)]
    if paths and all((path / "config.toml").is_file() for path in paths):
        return paths
    return player_pair(text)


def register(commands: Any) -> None:
    from infobargain.cli.benchmark import add_runner_arguments
    from infobargain.envs.offers import OFFER_SPACES
    from infobargain.evaluation.suite import DEFAULT_GRID, TASK_NAMES

    parser = commands.add_parser(
        "suite",
        help="the paper's task grid: exact SPE, limits, your players and the paper's LLM results",
        description="Run the tasks of Lin et al. (arXiv 2506.05876) against exact theory. Without --players the "
        "library trains self-play agents per task (training extra; budget --steps).",
    )
    parser.add_argument(
        "--players",
        metavar="SENDER,RECEIVER",
        help="players (one NAME for both sides), or training runs RUN[,RUN...] (each task is played by the run "
        "trained on its protocol and offers, e.g. generalists meeting the paper's games zero-shot); default: trained",
    )
    parser.add_argument(
        "--algorithm",
        default="auto",
        metavar="NAME",
        help="the self-play algorithm that trains the default players: a registered one (`infobargain benchmark "
        "--list`) or auto (qlearning; mappo for scheme offers) (default: %(default)s)",
    )
    add_import_argument(parser)
    parser.add_argument("--tasks", metavar="T1,T2", help=f"a subset of: {', '.join(TASK_NAMES)} (default: all of them)")
    parser.add_argument("--episodes", type=int, default=8, help="episodes per row (expected mode)")
    parser.add_argument("--seed", type=int, default=0, help="training and rollout seed")
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="training decisions per task and game (trained players; default: 100,000 per round of the protocol)",
    )
    parser.add_argument(
        "--offer-space",
        choices=OFFER_SPACES,
        default="frontier",
        help="signaling tasks (pies: frontier) (default: %(default)s; with --players RUN: the runs')",
    )
    parser.add_argument(
        "--grid-size",
        type=int,
        default=DEFAULT_GRID,
        help="offers per frontier: every task's discretised SPE within 0.014 of the continuous one at 25 "
        "(default: %(default)s, the env's; with --players RUN: the runs')",
    )
    parser.add_argument(
        "--paper-results", metavar="FILE", help="paper_llm_results.csv (default: the copy shipped with the package)"
    )
    parser.add_argument("--no-exploitability", action="store_true", help="skip the exact NashConv column")
    parser.add_argument("--workers", type=int, default=None, help="rollout processes (default: automatic)")
    add_progress_argument(parser)
    add_runner_arguments(parser, "trainings")
    parser.add_argument(
        "--out", metavar="DIR", help="also write suite.json and suite.md here (default: print only, keep nothing)"
    )
    parser.add_argument("--json", action="store_true", help="print the JSON document instead of Markdown")
    parser.set_defaults(handler=command_suite)
