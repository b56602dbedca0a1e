"""``infobargain benchmark``: a leaderboard of learning algorithms against the exact SPE."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from infobargain.cli.arguments import (
    UsageError,
    add_import_argument,
    add_progress_argument,
    add_size_argument,
    check_output_folder,
    import_plugins,
    name_list,
    show_progress,
    whole_number,
)
from infobargain.game.limits import shown

MAX_SEEDS = 1_000
"""The most seeds one leaderboard trains (each is a full training per algorithm and game)."""
SEED_LIMIT = 2**32
"""Seeds are below this (what every engine, Torch and NumPy included, accepts)."""
MAX_EPISODES = 1_000_000
"""The most rollout episodes per row."""
MAX_BUDGET = 10**12
"""The largest training budget in decisions."""
MAX_CURVE_POINTS = 100
"""The most points of a sample-efficiency curve (``--curves``): each is an exact scoring of a checkpoint."""


def _seeds(text: str) -> list[int]:
    """``3`` → seeds 0, 1, 2; ``0,5,7`` → those seeds (distinct, in [0, 2**32)); at most :data:`MAX_SEEDS`."""
    parts = name_list(text)
    try:
        values = [int(part) for part in parts]
    except ValueError:
        values = []
    if not values:
        raise UsageError(f"--seeds: expected a count or a list of whole numbers, got {shown(text)}")
    if "," not in text:
        if not 1 <= values[0] <= MAX_SEEDS:
            raise UsageError(f"--seeds: a count must be between 1 and {MAX_SEEDS}, got {shown(values[0])}")
        return list(range(values[0]))
    if len(values) > MAX_SEEDS:
        raise UsageError(f"--seeds: at most {MAX_SEEDS} seeds, got {len(values)}")
    for value in values:
        if not 0 <= value < SEED_LIMIT:
            raise UsageError(f"--seeds: each seed must be in [0, 2**32), got {shown(value)}")
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise UsageError(f"--seeds: seed {repeated[0]} is listed twice (each seed counts once in the spread)")
    return values


def _checked(args: argparse.Namespace) -> tuple[list[int], list[str] | None]:
    """The seeds and task patterns, every input checked before anything is trained or written."""
    from infobargain.envs.information_bargaining_v1 import raw_env
    from infobargain.evaluation.leaderboard import select_games
    from infobargain.game.distributions import resolve_game
    from infobargain.game.limits import check_env_size

    seeds = _seeds(args.seeds)
    if not 1 <= args.episodes <= MAX_EPISODES:
        raise UsageError(f"--episodes: must be between 1 and {MAX_EPISODES:,}, got {args.episodes}")
    if not 1 <= args.budget <= MAX_BUDGET:
        raise UsageError(f"--budget: must be between 1 and {MAX_BUDGET:,} decisions, got {args.budget}")
    if args.curves is not None and args.curves > MAX_CURVE_POINTS:
        raise UsageError(f"--curves: at most {MAX_CURVE_POINTS} points, got {args.curves}")
    if args.curves is not None and args.train_on is not None:
        raise UsageError("--curves: the leaderboard's sample-efficiency curves; leave it out with --train-on")
    tasks = name_list(args.tasks) if args.tasks is not None else None
    if tasks == []:
        raise UsageError(f"--tasks: name at least one task, got {shown(args.tasks)}")
    for pair in select_games(tasks):
        env_kwargs = pair.task.env_kwargs(pair.game, args.offer_space, args.grid_size)
        check_env_size(resolve_game(env_kwargs["game"]), env_kwargs)
        raw_env(**env_kwargs)  # the env's own checks (a grid too small, ...), before any training
    return seeds, tasks


def command_benchmark(args: argparse.Namespace) -> int:
    from infobargain.training.registry import algorithms
    from infobargain.training.rundir import output_folder

    import_plugins(args)
    if args.list:
        others = sorted(args.given - {"list", "imports", "debug"})
        if others:
            raise UsageError(f"--list: lists the algorithms and exits; leave out --{others[0].replace('_', '-')}")
        for name, algorithm in algorithms().items():
            missing = algorithm.missing()
            role = "" if algorithm.self_play else "  [train only: not self-play]"
            cap = f"  [leaderboard budget {algorithm.leaderboard_budget:,}]" if algorithm.leaderboard_budget else ""
            print(f"{name:12s} {algorithm.description}{role}{cap}" + (f"  [unavailable: {missing}]" if missing else ""))
        return 0
    check_output_folder(args.out, "--out")
    seeds, tasks = _checked(args)
    with output_folder(args.out, "benchmark"):
        if args.train_on is not None:
            return _generalisation(args, seeds, tasks)
        return _benchmark(args, seeds, tasks)


def _generalisation(args: argparse.Namespace, seeds: list[int], tasks: list[str] | None) -> int:
    """``--train-on DIST``: the generalisation track instead of the leaderboard."""
    from infobargain.evaluation.generalisation import render_generalisation_markdown, run_generalisation
    from infobargain.evaluation.leaderboard import DEFAULT_ALGORITHMS
    from infobargain.files import atomic_write

    named = name_list(args.algorithms) if args.algorithms is not None else []
    document = run_generalisation(
        named or DEFAULT_ALGORITHMS,
        args.train_on,
        tasks=tasks,
        budget=args.budget,
        seeds=seeds,
        out=args.out,
        offer_space=args.offer_space,
        grid_size=args.grid_size,
        episodes=args.episodes,
        held_out=args.held_out,
        show_progress=show_progress(args),
        skip_unavailable=not named,
        runner=cell_runner(args),
        plugins=args.imports,
    )
    markdown = render_generalisation_markdown(document)
    atomic_write(Path(args.out) / "generalisation.md", markdown.encode())
    print(markdown, end="")
    print(f"wrote {Path(args.out) / 'generalisation.json'} and generalisation.md", file=sys.stderr)
    return 1 if document["cells"]["failed"] else 0


def _benchmark(args: argparse.Namespace, seeds: list[int], tasks: list[str] | None) -> int:
    from infobargain.evaluation.leaderboard import DEFAULT_ALGORITHMS, run_leaderboard
    from infobargain.evaluation.leaderboard_report import render_leaderboard_markdown, write_leaderboard

    named = name_list(args.algorithms) if args.algorithms is not None else []
    if args.baselines == "retrain":
        named += [name for name in DEFAULT_ALGORITHMS if name not in named]
    baselines = _baselines(args, seeds, tasks) if named and args.baselines != "retrain" else None
    document = run_leaderboard(
        named or DEFAULT_ALGORITHMS,
        tasks=tasks,
        budget=args.budget,
        seeds=seeds,
        out=args.out,
        offer_space=args.offer_space,
        grid_size=args.grid_size,
        episodes=args.episodes,
        baselines=baselines,
        curves=args.curves,
        show_progress=show_progress(args),
        skip_unavailable=not named or args.baselines == "retrain",
        runner=cell_runner(args),
        plugins=args.imports,
    )
    for note in document["notes"]:
        print(f"note: {note}", file=sys.stderr)
    written = write_leaderboard(document, args.out)
    print(render_leaderboard_markdown(document), end="")
    print(f"wrote {', '.join(str(path) for path in written.values())}", file=sys.stderr)
    failed = document["cells"]["failed"]
    if failed:
        print(
            f"benchmark: {failed} cell(s) failed (listed in the table); a re-run computes them again", file=sys.stderr
        )
    return 1 if failed else 0


def _baselines(args: argparse.Namespace, seeds: list[int], tasks: list[str] | None) -> dict[str, Any] | None:
    """The published leaderboard whose cells join the named algorithms' (``--baselines``): ``auto`` takes the
    shipped one when it exists and was run with this run's settings (else a note says why not); ``shipped`` and
    ``FILE`` must be comparable, or the run is refused in one line."""
    from infobargain.evaluation.leaderboard import select_games
    from infobargain.evaluation.leaderboard_baselines import mismatch, read_baseline, shipped_path

    if args.baselines == "none":
        return None
    path = shipped_path() if args.baselines in ("auto", "shipped") else Path(args.baselines)
    if not path.exists():
        if args.baselines == "auto":
            return None
        raise UsageError(f"--baselines: {path} does not exist")
    document = read_baseline(path)
    if args.baselines == "auto":
        settings = {
            "budget": args.budget,
            "offer_space": args.offer_space,
            "grid_size": args.grid_size,
            "episodes": args.episodes,
            "seeds": seeds,
        }
        reason = mismatch(document, settings, [pair.name for pair in select_games(tasks)])
        if reason is not None:
            print(f"note: not compared with the shipped baselines: {reason}", file=sys.stderr)
            return None
    return document


def ray_address(args: argparse.Namespace) -> str | None:
    """``--ray``'s address, checked: Ray installed and the address reachable (else one line, exit 2, before any
    work); None without ``--ray``."""
    from infobargain.evaluation.cell_runner import check_ray_address

    if args.ray is None:
        return None
    try:
        import ray  # noqa: F401
    except ImportError:
        raise UsageError("--ray: needs Ray (pip install 'infobargain[rllib]')") from None
    try:
        check_ray_address(args.ray)
    except ConnectionError as error:
        raise UsageError(str(error)) from None
    return str(args.ray)


def cell_runner(args: argparse.Namespace) -> Any:
    """How the cells run: ``--ray [ADDRESS]`` as Ray tasks, else ``--jobs`` worker processes (one: in this
    process)."""
    from infobargain.evaluation.cell_runner import process_runner, ray_runner

    jobs = args.jobs or os.cpu_count() or 1
    address = ray_address(args)
    return process_runner(jobs) if address is None else ray_runner(address, jobs)


def add_runner_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """``--jobs N`` and ``--ray [ADDRESS]``: where the ``what`` run (the same results either way)."""
    parser.add_argument(
        "--jobs",
        type=whole_number(1),
        default=None,
        help=f"{what} run at once, one worker process each (default: all cores; the same results for any N)",
    )
    parser.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        default=None,
        metavar="ADDRESS",
        help=f"run the {what} as Ray tasks on the cluster at ADDRESS (HOST:PORT, ray://HOST:PORT; auto: the one "
        "`ray start` runs here; local: a Ray instance of --jobs cores started for this run; default: no Ray)",
    )


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
        "--grid-size", type=int, default=DEFAULT_GRID, help="offers per frontier (default: the env's, %(default)s)"
    )
    parser.add_argument("--episodes", type=int, default=20, help="rollout episodes per row (default: %(default)s)")
    parser.add_argument(
        "--baselines",
        default="auto",
        metavar="auto|shipped|FILE|retrain|none",
        help="with --algorithms: the algorithms compared with them. auto (default): the shipped full run of the "
        "default leaderboard, read back, when this run has its settings; shipped or a leaderboard.json FILE: that "
        "run, refusing other settings; retrain: train the default algorithms too; none: only the named ones",
    )
    parser.add_argument(
        "--train-on",
        metavar="DIST",
        help="the generalisation track: train on this distribution of games (random:2x2, a folder, ...) with each "
        "fitting task's protocol and score zero-shot on held-out instances and the paper's games (default: the "
        "leaderboard, no generalisation track)",
    )
    parser.add_argument(
        "--held-out",
        type=whole_number(1),
        default=50,
        help="with --train-on: held-out instances per cell, each scored exactly (default: %(default)s)",
    )
    parser.add_argument(
        "--curves",
        type=whole_number(2),
        default=None,
        metavar="K",
        help="sample-efficiency curves: keep every checkpoint of each training and score exactly the ones nearest "
        "K evenly spaced budgets (distance to the SPE as played, NashConv), for the algorithms that can rebuild "
        "a checkpoint's players; writes OUT/leaderboard_curves.png (default: no curves, the final players only)",
    )
    add_runner_arguments(parser, "cells")
    add_import_argument(parser)
    add_size_argument(parser)
    parser.add_argument("--list", action="store_true", help="list the registered algorithms and exit")
    add_progress_argument(parser, "--quiet")
    parser.set_defaults(handler=command_benchmark)
