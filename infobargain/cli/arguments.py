"""What every subcommand shares: the one-line usage error, the game and protocol flags, the env flags.

Flag names are the contract-2 parameter names with dashes for underscores (docs/design.md); the values they
build are passed unchanged to :func:`infobargain.envs.information_bargaining_v1.env`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
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


class Parser(argparse.ArgumentParser):
    """An argument parser that raises :class:`UsageError` instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


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


def add_game_arguments(parser: argparse.ArgumentParser) -> None:
    """``--scenario``/``--instance``, the bargaining-stage parameters and ``--max-size``."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--scenario",
        default=None,
        help=f"named game (default {ENV_DEFAULTS.game}): {', '.join(scenario_names())}; for commands that play an "
        "env also a distribution: random:SxA (a fresh instance every episode), family:paper, family:signaling",
    )
    source.add_argument(
        "--instance",
        type=instance_file,
        default=None,
        metavar="FILE",
        help="instance JSON file (see docs/design.md), or a folder of them (a distribution) where an env is played",
    )
    add_size_argument(parser)
    group = parser.add_argument_group("protocol")
    defaults = ENV_DEFAULTS
    group.add_argument("--protocol", choices=PROTOCOLS, default=defaults.protocol)
    group.add_argument("--first-proposer", choices=FIRST_PROPOSERS, default=defaults.first_proposer)
    group.add_argument(
        "--max-rounds", type=int, default=defaults.max_rounds, help="offers allowed (ignored by ultimatum)"
    )
    group.add_argument(
        "--break-off", type=float, default=defaults.break_off, help="breakdown probability per rejection"
    )
    group.add_argument("--discount", type=float, default=defaults.discount, help="payoff discount per rejected round")
    group.add_argument("--tie-break", choices=TIE_BREAKS, default=defaults.tie_break)
    group.add_argument("--obedience-margin", type=float, default=defaults.obedience_margin)


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
    group.add_argument("--receiver-offer", choices=RECEIVER_OFFERS, default=defaults.receiver_offer)
    group.add_argument("--realization", choices=REALIZATIONS, default=defaults.realization)
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
    kwargs = {
        "protocol": args.protocol,
        "first_proposer": args.first_proposer,
        "max_rounds": args.max_rounds,
        "break_off": args.break_off,
        "discount": args.discount,
        "tie_break": args.tie_break,
        "obedience_margin": args.obedience_margin,
        "receiver_offer": args.receiver_offer,
        "realization": args.realization,
        "realization_rounds": args.realization_rounds,
        "offer_space": args.offer_space,
        "grid_size": args.grid_size,
    }
    check_env_size(env_game_from_args(args), kwargs)
    return kwargs


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
