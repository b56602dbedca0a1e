"""What every subcommand shares: the one-line usage error, the game and protocol flags, the env flags.

Flag names are the contract-2 parameter names with dashes for underscores (docs/design.md); the values they
build are passed unchanged to :func:`infobargain.envs.information_bargaining_v1.env`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from infobargain.game.config import ENV_DEFAULTS
from infobargain.game.distributions import GameSource, resolve_game
from infobargain.game.instance import Instance
from infobargain.game.limits import check_env_size
from infobargain.game.protocol import FIRST_PROPOSERS, PROTOCOLS, Protocol
from infobargain.game.scenarios import Game, scenario, scenario_names
from infobargain.game.schemes import TIE_BREAKS

EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with the user's input, reported as one line."""


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """``--help`` states every flag's default: ``(default: X)`` is added to a help text that does not say it,
    unless the flag is a switch (off unless given) or has no default value (its help says what happens then)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        switch = action.nargs == 0 or isinstance(action, argparse.BooleanOptionalAction)
        if "default" in text or switch or action.default in (None, argparse.SUPPRESS) or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)".strip()


class RawDefaultsHelpFormatter(DefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """:class:`DefaultsHelpFormatter` keeping the description and epilog as written (examples)."""


class Parser(argparse.ArgumentParser):
    """An argument parser that raises :class:`UsageError` instead of printing usage and exiting, and whose
    ``--help`` states each flag's default (:class:`DefaultsHelpFormatter`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def add_progress_argument(parser: argparse.ArgumentParser, *aliases: str) -> None:
    """``--progress/--no-progress``, the one spelling of every command's progress switch (default: on when
    stderr is a terminal, where the bar redraws in place; ``--progress`` into a file writes a line now and
    then). ``aliases``: older spellings of ``--no-progress`` (``--quiet``), accepted but not shown."""
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show what runs, with a progress bar and the time left (default: on when stderr is a terminal)",
    )
    for alias in aliases:
        parser.add_argument(alias, dest="progress", action="store_false", help=argparse.SUPPRESS)


def show_progress(args: argparse.Namespace) -> bool:
    """Whether ``--progress/--no-progress`` (or its default rule: stderr is a terminal) asks for progress."""
    return sys.stderr.isatty() if args.progress is None else bool(args.progress)


def _writable_ancestor(path: Path, option: str, named: Path) -> None:
    """Refuse ``path`` as an output when a part of it is a file, or its nearest existing folder cannot hold a new
    entry (tried for real with a temporary folder, removed at once: permissions, read-only or virtual file
    systems such as ``/proc`` all answer the same way). ``named``: the output as the user wrote it."""
    absolute = Path(os.path.abspath(path))
    for parent in [absolute, *absolute.parents]:
        if parent.is_symlink() and not parent.exists():
            raise UsageError(f"{option}: {named}: {parent} is a symbolic link to nothing; remove it or choose another")
        if not parent.exists():
            continue
        if not parent.is_dir():
            raise UsageError(f"{option}: {named}: {parent} is a file, not a folder; choose another {option}")
        try:
            shutil.rmtree(tempfile.mkdtemp(prefix=".infobargain-check-", dir=parent))
        except OSError as error:
            reason = error.strerror or str(error)
            raise UsageError(
                f"{option}: cannot create {named}: {parent} does not accept new files ({reason})"
            ) from None
        return


def check_output_folder(path: str | Path | None, option: str) -> None:
    """Check an output folder before any work starts: it is a folder or can be created (one line naming
    ``option`` otherwise, exit 2); nothing is created here."""
    if path is None:
        return
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{option}: {folder} is a file, not a folder; choose another {option}")
    _writable_ancestor(folder, option, folder)


def check_output_file(path: str | Path | None, option: str) -> None:
    """Check an output file before any work starts: not a folder, and its folder exists or can be created."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{option}: {target} is a folder; name a file")
    _writable_ancestor(target.parent, option, target)


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``minimum`` (argparse turns the ``ValueError`` into one line)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = f"whole number >= {minimum}"
    return parse


def instance_file(text: str) -> str:
    """An argparse type: an instance file, which the env recognises by its ``.json`` suffix, or a folder of them
    (a distribution of games, for the commands that play an env)."""
    if not (text.endswith(".json") or Path(text).is_dir()):
        raise argparse.ArgumentTypeError(f"an instance file must be a .json file (or a folder of them), got {text!r}")
    return text


def add_import_argument(parser: argparse.ArgumentParser) -> None:
    """``--import MODULE|FILE.py`` (repeatable): plug-ins that register algorithms or players, imported by
    :func:`import_plugins` before the command reads a name."""
    parser.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE|FILE.py",
        help="import a plug-in first (registers its algorithms or players); repeatable",
    )


def import_plugins(args: argparse.Namespace) -> None:
    """Import the command's ``--import`` plug-ins (a module beside the user, or a file)."""
    from infobargain.plugins import import_plugin

    for plugin in args.imports:
        import_plugin(plugin)


def add_size_argument(parser: argparse.ArgumentParser) -> None:
    """``--max-size N``: raise the size guards of :mod:`infobargain.game.limits`."""
    parser.add_argument(
        "--max-size",
        type=whole_number(1),
        metavar="N",
        help="allow games whose size estimates reach N (default limits refuse runs of more than about a minute)",
    )


GAME_FLAGS: tuple[str, ...] = (
    "protocol",
    "first_proposer",
    "max_rounds",
    "break_off",
    "discount",
    "tie_break",
    "obedience_margin",
)
"""The bargaining-stage parameters that :func:`add_game_arguments` adds as flags."""
ENV_FLAGS: tuple[str, ...] = ("offer_space", "grid_size", "receiver_offer", "realization", "realization_rounds")
"""The environment-only parameters that :func:`add_env_arguments` adds as flags."""


def add_game_arguments(parser: argparse.ArgumentParser) -> None:
    """``--scenario``/``--instance``, the bargaining-stage parameters and ``--max-size``."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--scenario",
        default=None,
        help=f"named game: {', '.join(scenario_names())}; for commands that play an env also a distribution: "
        f"random:SxA (a fresh instance every episode), family:paper, family:signaling (default: {ENV_DEFAULTS.game})",
    )
    source.add_argument(
        "--instance",
        type=instance_file,
        default=None,
        metavar="FILE",
        help="instance JSON file (see docs/design.md), or a folder of them (a distribution) where an env is played "
        "(default: none, the scenario)",
    )
    add_size_argument(parser)
    group = parser.add_argument_group("protocol")
    defaults = ENV_DEFAULTS
    group.add_argument("--protocol", choices=PROTOCOLS, default=defaults.protocol, help="bargaining protocol")
    group.add_argument(
        "--first-proposer", choices=FIRST_PROPOSERS, default=defaults.first_proposer, help="who offers first"
    )
    group.add_argument(
        "--max-rounds", type=int, default=defaults.max_rounds, help="offers allowed (ignored by ultimatum)"
    )
    group.add_argument(
        "--break-off", type=float, default=defaults.break_off, help="breakdown probability per rejection"
    )
    group.add_argument("--discount", type=float, default=defaults.discount, help="payoff discount per rejected round")
    group.add_argument(
        "--tie-break", choices=TIE_BREAKS, default=defaults.tie_break, help="how an indifferent receiver breaks ties"
    )
    group.add_argument(
        "--obedience-margin",
        type=float,
        default=defaults.obedience_margin,
        help="by how much an obedient scheme must beat every other action",
    )


def given_game_flags(args: argparse.Namespace) -> list[str]:
    """The game, protocol and env flags given on the command line (``--grid-size``), in the order of
    contract 2 (``args.given``: :func:`given_options`)."""
    names = ("scenario", "instance", *GAME_FLAGS, *ENV_FLAGS)
    return [f"--{name.replace('_', '-')}" for name in names if name in getattr(args, "given", ())]


def game_from_args(args: argparse.Namespace) -> Game:
    """The one game named by ``--scenario``/``--instance`` (commands that solve a game)."""
    if args.instance is not None:
        return Instance.load(args.instance)
    return scenario(args.scenario or str(ENV_DEFAULTS.game))


def env_game_from_args(args: argparse.Namespace) -> GameSource:
    """The game or distribution of games named by ``--scenario``/``--instance`` (commands that play an env)."""
    return resolve_game(args.instance or args.scenario or ENV_DEFAULTS.game)


def protocol_from_args(args: argparse.Namespace) -> Protocol:
    return Protocol(args.protocol, args.first_proposer, args.max_rounds, args.break_off, args.discount)


def add_env_arguments(parser: argparse.ArgumentParser) -> None:
    """The environment-only parameters (contract 2), for commands that build the env."""
    from infobargain.envs.information_bargaining_v1 import REALIZATIONS
    from infobargain.envs.offers import OFFER_SPACES, RECEIVER_OFFERS

    defaults = ENV_DEFAULTS
    group = parser.add_argument_group("environment")
    group.add_argument(
        "--offer-space", choices=OFFER_SPACES, default=defaults.offer_space, help="how offers are encoded"
    )
    group.add_argument(
        "--grid-size",
        type=int,
        default=defaults.grid_size,
        help="levels per probability (grid) or points on the frontier",
    )
    group.add_argument(
        "--receiver-offer",
        choices=RECEIVER_OFFERS,
        default=defaults.receiver_offer,
        help="what accepting a receiver's offer commits the sender to",
    )
    group.add_argument(
        "--realization", choices=REALIZATIONS, default=defaults.realization, help="expected payoffs, or sampled rounds"
    )
    group.add_argument(
        "--realization-rounds",
        type=int,
        default=defaults.realization_rounds,
        help="rounds of the sampled realization stage",
    )


def env_kwargs_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of ``information_bargaining_v1.env`` from the flags of ``add_game_arguments`` and
    ``add_env_arguments``: every contract-2 parameter (the game itself comes from ``env_game_from_args``). The sizes
    are checked here, before any env is built (:func:`infobargain.game.limits.check_env_size`)."""
    kwargs = {name: getattr(args, name) for name in (*GAME_FLAGS, *ENV_FLAGS)}
    check_env_size(env_game_from_args(args), kwargs)
    return kwargs


def given_options(parser: argparse.ArgumentParser, argv: Sequence[str]) -> set[str]:
    """The destinations of the options given in ``argv`` (not left at their defaults): ``argv`` parsed again by
    ``parser`` with every option's default suppressed. ``parser`` must be a fresh one (its defaults are changed)."""

    options: set[str] = set()

    def suppress(current: argparse.ArgumentParser) -> None:
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    suppress(sub)
            elif action.option_strings:
                action.default = argparse.SUPPRESS
                options.add(action.dest)
        current.set_defaults(**dict.fromkeys(current._defaults, argparse.SUPPRESS))

    suppress(parser)
    return set(vars(parser.parse_args(argv))) & options


def refuse_unused(args: argparse.Namespace, unused: dict[str, str]) -> None:
    """One line for the first given flag the command would not use: ``unused`` maps each flag (``--episodes``)
    that the command ignores in this combination to why."""
    for flag, why in unused.items():
        if flag.removeprefix("--").replace("-", "_") in getattr(args, "given", ()):
            raise UsageError(f"{flag}: {why}")


def player_pair(text: str, flag: str = "--players") -> tuple[str, str]:
    """``NAME`` (both sides) or ``SENDER,RECEIVER``."""
    names = [name.strip() for name in text.split(",")]
    if len(names) == 1 and names[0]:
        return names[0], names[0]
    if len(names) == 2 and all(names):
        return names[0], names[1]
    raise ValueError(f"{flag}: expected NAME or SENDER,RECEIVER, got {text!r}")


def name_list(text: str | None) -> list[str]:
    """A comma-separated list, blanks dropped."""
    return [name.strip() for name in text.split(",") if name.strip()] if text else []
