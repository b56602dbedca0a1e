"""``infobargain train``: train players from a run config (flags override its fields), then evaluate them.

Training and evaluation are separate layers; this command composes them, so every run directory ends with
``evaluation.json`` and ``report.md`` (contract 5 in docs/design.md).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infobargain.cli.arguments import (
    add_import_argument,
    add_progress_argument,
    add_size_argument,
    check_output_folder,
    import_plugins,
    instance_file,
    show_progress,
)
from infobargain.game.protocol import FIRST_PROPOSERS, PROTOCOLS
from infobargain.game.schemes import TIE_BREAKS

if TYPE_CHECKING:
    from infobargain.training.config import RunConfig

# Flags that override [env] keys; absent flags leave the config alone.
ENV_FLAGS: dict[str, dict[str, Any]] = {
    "--scenario": {"dest": "env.game", "help": "named game (sets env.game)"},
    "--instance": {
        "dest": "env.game",
        "type": instance_file,
        "metavar": "FILE",
        "help": "instance JSON file (sets env.game)",
    },
    "--protocol": {"choices": PROTOCOLS},
    "--first-proposer": {"choices": FIRST_PROPOSERS},
    "--max-rounds": {"type": int},
    "--break-off": {"type": float},
    "--discount": {"type": float},
    "--tie-break": {"choices": TIE_BREAKS},
    "--obedience-margin": {"type": float},
    "--receiver-offer": {"choices": ("threshold", "exact")},
    "--realization": {"choices": ("expected", "sampled")},
    "--realization-rounds": {"type": int},
    "--offer-space": {"choices": ("scheme", "grid", "frontier")},
    "--grid-size": {"type": int},
}

# Flags that override [rllib_ppo] keys (cluster and resources).
RLLIB_FLAGS: dict[str, dict[str, Any]] = {
    "--address": {
        "metavar": "HOST:PORT",
        "help": "attach to this Ray cluster (default: $RAY_ADDRESS, else a local Ray)",
    },
    "--num-env-runners": {"type": int, "metavar": "N", "help": "sampling actors"},
    "--num-envs-per-env-runner": {"type": int, "metavar": "N"},
    "--num-cpus-per-env-runner": {"type": int, "metavar": "N"},
    "--num-learners": {"type": int, "metavar": "N", "help": "learner actors (0: learn in this process)"},
    "--num-gpus-per-learner": {"type": float, "metavar": "N"},
}


def register(commands: Any) -> None:
    from infobargain.training.config import RUN_ENV_DEFAULTS, RunSection
    from infobargain.training.registry import algorithms

    run_defaults = RunSection()

    parser = commands.add_parser(
        "train",
        help="train players with any registered algorithm and evaluate them against theory",
        description="Train the two players with a registered algorithm ("
        + ", ".join(algorithms())
        + "; `infobargain benchmark --list` describes each) into a run directory, then evaluate them against the "
        "exact SPE. The run config's [run] algorithm picks the algorithm; its own section, named like it, holds "
        "its settings.",
    )
    parser.add_argument(
        "--config", metavar="FILE", help="run config (TOML); defaults apply to what it omits (default: none)"
    )
    parser.add_argument(
        "--out", metavar="DIR", help="where to write the run (default: runs/NAME-ALGORITHM-YYYYmmdd-HHMMSS)"
    )
    parser.add_argument("--run-dir", dest="out", help=argparse.SUPPRESS)  # the older spelling of --out
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override any field; repeatable (default: none)",
    )
    parser.add_argument(
        "--algorithm",
        dest="run.algorithm",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="a registered algorithm (default: the config's, else mappo)",
    )
    add_import_argument(parser)
    for flag, key, kind in (("--seed", "seed", int), ("--total-steps", "total_steps", int), ("--name", "name", str)):
        parser.add_argument(
            flag,
            dest=f"run.{key}",
            type=kind,
            default=argparse.SUPPRESS,
            help=f"sets run.{key} (default: the config's, else {getattr(run_defaults, key)})",
        )
    add_progress_argument(parser)
    add_size_argument(parser)
    group = parser.add_argument_group("environment (override the config's [env] table)")
    for flag, spec in ENV_FLAGS.items():
        options = dict(spec)
        dest = options.pop("dest", "env." + flag[2:].replace("-", "_"))
        fallback = RUN_ENV_DEFAULTS[dest.removeprefix("env.")]
        what = options.pop("help", f"sets {dest}")
        options["help"] = f"{what} (default: the config's, else {fallback})"
        group.add_argument(flag, dest=dest, default=argparse.SUPPRESS, **options)
    resources = parser.add_argument_group("Ray RLlib (override the config's [rllib_ppo] table)")
    for flag, spec in RLLIB_FLAGS.items():
        options, dest = dict(spec), "rllib_ppo." + flag[2:].replace("-", "_")
        what = options.get("help", f"sets {dest}")
        options["help"] = what if "default" in what else f"{what} (default: the config's)"
        resources.add_argument(flag, dest=dest, default=argparse.SUPPRESS, **options)
    parser.set_defaults(handler=command_train)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    from infobargain.training.config import RunConfig

    import_plugins(args)
    saved = Path(args.out or "", "config.toml")
    if args.config:
        config = RunConfig.load(args.config)
    elif args.resume and args.out and saved.exists():  # flags then only extend or repeat the saved run
        config = RunConfig.load(saved)
    else:
        config = RunConfig()
    overrides = [f"{key}={value}" for key, value in vars(args).items() if "." in key]
    config.override([*overrides, *args.set])
    return config


def default_run_dir(name: str, algorithm: str) -> Path:
    """``runs/NAME-ALGORITHM-<timestamp>``: runs of different algorithms or times never share a directory."""
    return Path("runs") / f"{name}-{algorithm}-{time.strftime('%Y%m%d-%H%M%S')}"


def resume_command(run_dir: Path) -> str | None:
    """The command that continues the run in ``run_dir`` (None until its configuration is written)."""
    if not (run_dir / "config.toml").exists():
        return None
    return f"infobargain train --out {shlex.quote(str(run_dir))} --resume"


def command_train(args: argparse.Namespace) -> int:
    from infobargain.evaluation import evaluate_run
    from infobargain.evaluation.runs import format_result
    from infobargain.training.runner import run_training

    if args.resume and not args.out:
        raise ValueError("--resume: give the run to continue with --out DIR")
    check_output_folder(args.out, "--out")
    config = config_from_args(args)
    run_dir = Path(args.out) if args.out else default_run_dir(config.run.name, config.run.algorithm)
    args.resume_command = lambda: resume_command(run_dir)
    summary, _ = run_training(config, run_dir, resume=args.resume, show_progress=show_progress(args))
    budget, decisions = config.run.total_steps, summary["decisions"]
    if isinstance(decisions, int) and decisions > budget:
        print(
            f"note: trained {decisions:,} decisions for a budget of {budget:,} (--total-steps): the algorithm "
            f"trains in whole batches, so the last one ran {decisions - budget:,} past it",
            file=sys.stderr,
        )
    result = evaluate_run(Path(summary["run_dir"]), episodes=config.run.eval_episodes, seed=config.run.seed)
    print(format_result(result))
    print(f"full report: {Path(summary['run_dir']) / 'report.md'} (run written to {summary['run_dir']})")
    return 0
