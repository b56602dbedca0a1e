"""``infobargain benchmark``: a leaderboard of learning algorithms against the exact SPE."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

from infobargain.cli.arguments import UsageError, name_list


def _seeds(text: str) -> list[int]:
    """``3`` → seeds 0, 1, 2; ``0,5,7`` → those seeds."""
    try:
        values = [int(part) for part in name_list(text)]
    except ValueError:
        raise UsageError(f"--seeds: expected a count or a list of integers, got {text!r}") from None
    if "," not in text:
        if values[0] < 1:
            raise UsageError(f"--seeds: a count must be >= 1, got {values[0]}")
        return list(range(values[0]))
    return values


def command_benchmark(args: argparse.Namespace) -> int:
    from infobargain.training.algorithms import ALGORITHMS
    from infobargain.training.rundir import output_folder

    for module in args.imports or ():
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise UsageError(f"--import: cannot import {module!r} ({error})") from None
    if args.list:
        for name, algorithm in ALGORITHMS.items():
            missing = algorithm.missing()
            print(f"{name:12s} {algorithm.description}" + (f"  [unavailable: {missing}]" if missing else ""))
        return 0
    with output_folder(args.out, "benchmark"):
        return _benchmark(args)


def _benchmark(args: argparse.Namespace) -> int:
    from infobargain.evaluation.leaderboard import DEFAULT_ALGORITHMS, run_leaderboard
    from infobargain.evaluation.leaderboard_report import render_leaderboard_markdown, write_leaderboard

    named = args.algorithms is not None
    document = run_leaderboard(
        name_list(args.algorithms) if named else DEFAULT_ALGORITHMS,
        tasks=name_list(args.tasks) or None,
        budget=args.budget,
        seeds=_seeds(args.seeds),
        out=args.out,
        offer_space=args.offer_space,
        grid_size=args.grid_size,
        episodes=args.episodes,
        show_progress=not args.quiet,
        skip_unavailable=not named,
    )
    for note in document["notes"]:
        print(f"note: {note}", file=sys.stderr)
    written = write_leaderboard(document, args.out)
    print(render_leaderboard_markdown(document), end="")
    print(f"wrote {', '.join(str(path) for path in written.values())}", file=sys.stderr)
    return 0


def register(commands: Any) -> None:
    from infobargain.evaluation.leaderboard import DEFAULT_ALGORITHMS
    from infobargain.evaluation.suite import DEFAULT_GRID

    parser = commands.add_parser(
        "benchmark",
        help="a leaderboard: train learning algorithms on the paper's tasks and score them against the exact SPE",
        description="Train each algorithm on each selected task and game with the same budget in decisions and the "
        "same seeds, then score it against the exact SPE (distance, NashConv, exploitability, deal rate, agreement "
        "round, wall time). Writes OUT/leaderboard.md, .json and .png; finished cells are kept in OUT/cells and "
        "read back by a re-run with the same settings.",
    )
    parser.add_argument(
        "--algorithms",
        metavar="A1,A2",
        help=f"registered algorithms (--list shows them); default: {','.join(DEFAULT_ALGORITHMS)}, leaving out any "
        "whose extra is not installed (a named one that cannot run is an error)",
    )
    parser.add_argument(
        "--tasks", metavar="PATTERN,...", help="TASK, GAME or TASK:GAME, globs allowed (default: the whole grid)"
    )
    parser.add_argument("--budget", type=int, default=200_000, help="decisions per training (default: %(default)s)")
    parser.add_argument("--seeds", default="3", help="a count (seeds 0..N-1) or a list (default: %(default)s)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs", "benchmark"),
        help="output folder; a re-run with the same one resumes it (default: %(default)s)",
    )
    parser.add_argument("--offer-space", choices=("frontier", "grid"), default="frontier", help="signaling tasks")
    parser.add_argument(
        "--grid-size", type=int, default=DEFAULT_GRID, help="offers per frontier (default: the suite's, %(default)s)"
    )
    parser.add_argument("--episodes", type=int, default=20, help="rollout episodes per row (default: %(default)s)")
    parser.add_argument(
        "--import",
        dest="imports",
        action="append",
        metavar="MODULE",
        help="import MODULE first (to register your own algorithms); repeatable",
    )
    parser.add_argument("--list", action="store_true", help="list the registered algorithms and exit")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=command_benchmark)
