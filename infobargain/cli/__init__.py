"""The ``infobargain`` command.

Every subcommand takes the game and protocol with the parameter names of contract 2 in docs/design.md (dashes
for underscores). Bad arguments or files end the command with one line on stderr and exit code 2. SIGTERM
stops a command as Ctrl-C does (what it kept is kept, its workers stop, exit code 130). Each
subcommand lives in its own module and imports its heavy dependencies only when it runs, so ``--help`` stays
fast.
"""

from __future__ import annotations

import os
import shlex
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from infobargain.cli import benchmark, evaluate, play, solve, suite, train
from infobargain.cli.arguments import (
    EXIT_USAGE,
    Parser,
    UsageError,
    add_env_arguments,
    add_game_arguments,
    env_kwargs_from_args,
    game_from_args,
    protocol_from_args,
)
from infobargain.game.instance import InstanceError
from infobargain.game.limits import SIZE_VARIABLE
from infobargain.processes import sigterm_as_interrupt

__all__ = [
    "add_env_arguments",
    "add_game_arguments",
    "build_parser",
    "env_kwargs_from_args",
    "game_from_args",
    "main",
    "protocol_from_args",
]

COMMANDS = (solve, train, play, evaluate, suite, benchmark)
MESSAGE_CHARS = 1_000
"""The longest error message printed: a bad value of millions of characters is never echoed in full."""


def build_parser() -> Parser:
    from infobargain import __version__

    parser = Parser(prog="infobargain", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"infobargain {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.register(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "max_size", None) is not None:  # read by the size guards, here and in worker processes
            os.environ[SIZE_VARIABLE] = str(args.max_size)
        with warnings.catch_warnings(), sigterm_as_interrupt():
            warnings.simplefilter("default")
            return int(args.handler(args))
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly, as shell tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (UsageError, InstanceError, ValueError, OSError, ImportError) as error:
        message = " ".join(str(error).split())  # one line, whatever the error carried
        if len(message) > MESSAGE_CHARS:
            message = f"{message[:MESSAGE_CHARS]}… (message cut at {MESSAGE_CHARS} of {len(message):,} characters)"
        print(f"infobargain: error: {message}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"infobargain: interrupted; {continue_hint(args, argv)}", file=sys.stderr)
        return 130
    return EXIT_USAGE


def continue_hint(args: Any, argv: Sequence[str] | None) -> str:
    """What to run after an interrupt: the command's own resume command when it kept its work (a handler sets
    ``args.resume_command``, a callable returning the command or None, or ``args.resumes_itself`` when the same
    command continues), else the same command again."""
    resume = getattr(args, "resume_command", None)
    command = resume() if callable(resume) else None
    if command:
        return f"to continue, run: {command}"
    words = sys.argv[1:] if argv is None else list(argv)
    if getattr(args, "resumes_itself", False):
        return f"to continue, run: infobargain {shlex.join(words)}"
    return f"nothing was kept; to start again, run: infobargain {shlex.join(words)}"
