"""The ``infobargain`` command.

Every subcommand takes the game and protocol with the parameter names of contract 2 in docs/design.md (dashes
for underscores). Bad arguments or files end the command with one line on stderr and exit code 2; anything
unexpected (a bug, here or in a plug-in) with one line saying so and exit code 1, and ``--debug`` (or
``INFOBARGAIN_DEBUG=1``) shows its traceback. SIGTERM stops a command as Ctrl-C does (what it kept is kept, its
workers stop, exit code 130). Each
subcommand lives in its own module and imports its heavy dependencies only when it runs, so ``--help`` stays
fast.
"""

from __future__ import annotations

import os
import shlex
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
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
    given_options,
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
EXIT_BUG = 1
DEBUG_VARIABLE = "INFOBARGAIN_DEBUG"
PACKAGE = Path(__file__).resolve().parents[1]
MESSAGE_CHARS = 1_000
"""The longest error message printed: a bad value of millions of characters is never echoed in full."""


def build_parser() -> Parser:
    from infobargain import __version__

    parser = Parser(prog="infobargain", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"infobargain {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help=f"show the traceback of an unexpected error (or set {DEBUG_VARIABLE}=1)"
    )
    subcommands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.register(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        args.given = given_options(build_parser(), sys.argv[1:] if argv is None else argv)
        if getattr(args, "max_size", None) is not None:  # read by the size guards, here and in worker processes
            os.environ[SIZE_VARIABLE] = str(args.max_size)
        with warnings.catch_warnings(), sigterm_as_interrupt():
            warnings.simplefilter("default")
            return int(args.handler(args))
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly, as shell tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"infobargain: interrupted; {continue_hint(args, argv)}", file=sys.stderr)
        return 130
    except Exception as error:
        if is_input_error(error):
            print(f"infobargain: error: {one_line(error)}", file=sys.stderr)
            return EXIT_USAGE
        if getattr(args, "debug", False) or os.environ.get(DEBUG_VARIABLE):
            traceback.print_exc()
        print(f"infobargain: {describe_bug(error)}", file=sys.stderr)
        return EXIT_BUG


def one_line(error: BaseException) -> str:
    """The error's message on one line, cut at :data:`MESSAGE_CHARS`."""
    message = " ".join(str(error).split())
    if len(message) > MESSAGE_CHARS:
        message = f"{message[:MESSAGE_CHARS]}… (message cut at {MESSAGE_CHARS} of {len(message):,} characters)"
    return message


def _origin(error: BaseException) -> Path:
    """The file of the innermost frame of ``error``'s traceback: where it was raised."""
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return Path(frame.tb_frame.f_code.co_filename).resolve() if frame is not None else PACKAGE


def is_input_error(error: BaseException) -> bool:
    """An error that says what is wrong with the user's input: the library's own (a ``ValueError`` it raised on
    purpose, a file it could not read, a missing optional dependency), not a bug surfacing as one."""
    if isinstance(error, (UsageError, InstanceError, OSError, ImportError)):
        return True
    return isinstance(error, ValueError) and _origin(error).is_relative_to(PACKAGE)


def describe_bug(error: BaseException) -> str:
    """One line for an unexpected error: what it was, where it came from, how to see more."""
    origin = _origin(error)
    where = "in infobargain" if origin.is_relative_to(PACKAGE) else f"in {origin.name} (not infobargain's code)"
    message = one_line(error)[:300]
    return (
        f"unexpected error {where}: {type(error).__name__}: {message}; this is a bug: rerun with --debug "
        f"(or {DEBUG_VARIABLE}=1) for the traceback"
    )


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
