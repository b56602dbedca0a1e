"""Players by name: one registry of player kinds that every command and library call reads.

Built in: ``spe``, ``bp``, ``nash``, ``obedient``, ``ignore``, ``threshold:0.2``, ``random``, ``human`` (the
terminal), ``llm:MODEL`` (a chat model, configured by environment variables). Also: a path to a saved player (an
analytic player's ``.json``, or a trained model), a user's ``MODULE:Class`` or ``path/to/file.py:Class`` (called
as ``Class(env, role)``), and the players that :func:`register_player` or an installed package's entry point
(group ``infobargain.players``) adds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infobargain.agents.analytic import ANALYTIC_PLAYERS, threshold_level
from infobargain.agents.base import Policy
from infobargain.game.protocol import ROLE_INDEX, Role
from infobargain.plugins import PLAYER_GROUP, PluginError, entry_points, load_object

PlayerSpec = str | Path | Policy | Sequence["PlayerSpec"]
"""A player: a name :func:`make_policy` knows, a saved player's path, a ``Policy`` object, or a list of those, a
pool that plays one member per episode. The one definition: evaluation and training use it."""


def check_reachable_threshold(spec: str, env: Any, role: Role) -> None:
    """For a user choosing a player for one game: ``threshold:T`` above every payoff a deal can give ``role``
    never accepts anything, which is almost surely a typo (``threshold:2`` for 0.2). :func:`make_policy` allows
    it (a fixed threshold may play many games); the command line calls this first."""
    if not spec.startswith("threshold"):
        return
    level = threshold_level(spec)
    best = float(env.unwrapped.problem.feasible.vertices[:, ROLE_INDEX[role]].max())
    if level > best + 1e-9:
        raise ValueError(
            f"policy: {spec!r}: no deal gives the {role} that much in this game (at most {best:.4g}); "
            "such a player never accepts ('ignore' is that player)"
        )


PlayerFactory = Callable[[Any, Role, str], Policy]
"""Builds a player for ``(env, role, argument)``; ``argument`` is what follows ``NAME:`` (empty if nothing)."""


@dataclass(frozen=True)
class PlayerKind:
    """A player name and how to build it."""

    name: str
    build: PlayerFactory
    description: str = ""
    argument: str | None = None
    """The argument's placeholder (``T`` in ``threshold:T``) for players that need one; ``None``: a bare name."""

    @property
    def usage(self) -> str:
        return f"{self.name}:{self.argument}" if self.argument else self.name


_PLAYERS: dict[str, PlayerKind] = {}
_entry_points_loaded = False


def register_player(name: str, build: PlayerFactory, description: str = "", argument: str | None = None) -> None:
    """Make ``name`` (``name:ARGUMENT`` when ``argument`` names a placeholder) a player every command knows."""
    if not name.isidentifier():
        raise ValueError(f"player name: must be a Python identifier, got {name!r}")
    _PLAYERS[name] = PlayerKind(name, build, description, argument)


def players() -> dict[str, PlayerKind]:
    """Every player name, installed packages' entry points included (group ``infobargain.players``: a module
    that registers players, or a factory or ``Policy`` class registered under the entry point's name)."""
    global _entry_points_loaded
    if not _entry_points_loaded:
        _entry_points_loaded = True
        for name, loaded in entry_points(PLAYER_GROUP):
            if callable(loaded) and name not in _PLAYERS:
                register_player(name, _plugin_factory(loaded, name), getattr(loaded, "__doc__", "") or "")
    return _PLAYERS


def _plugin_factory(target: Any, label: str) -> PlayerFactory:
    """A factory for a user's ``Policy`` class or function ``target(env, role)``; checks what it returns."""

    def build(env: Any, role: Role, argument: str) -> Policy:
        try:
            player = target(env, role)
        except Exception as error:
            raise PluginError(f"player {label!r}: building it raised {type(error).__name__}: {error}") from None
        if not callable(getattr(player, "act", None)):
            raise PluginError(f"player {label!r}: built {type(player).__name__}, which has no act(observation)")
        return player  # type: ignore[no-any-return]

    return build


def known_players() -> str:
    """The player names a user may give, for error messages and ``--help``."""
    return ", ".join([*(kind.usage for kind in players().values()), "MODULE:Class", "PATH"])


POLICY_NAMES = ("spe", "bp", "nash", "obedient", "ignore", "threshold:T", "random", "human", "llm:MODEL", "PATH")
"""The built-in player names (``MODULE:Class`` and registered plug-ins add to them)."""


def _resolve(spec: str, flag: str) -> tuple[PlayerKind | None, str]:
    """The kind ``spec`` names and its argument; ``(None, "")`` for a saved player's path. ``ValueError`` naming
    ``flag`` for anything else. A ``MODULE:Class`` spec is imported here."""
    name, colon, argument = spec.partition(":")
    known = players()
    if name in known and bool(colon) == (known[name].argument is not None):
        return known[name], argument
    if Path(spec).exists():
        return None, ""
    if name in known:
        usage = known[name].usage
        raise ValueError(f"{flag}: {spec!r} is not of the form {usage}")
    if colon and argument.isidentifier() and ("." in name or name.isidentifier() or name.endswith(".py")):
        target = load_object(spec, flag)
        return PlayerKind(spec, _plugin_factory(target, spec)), ""
    raise ValueError(f"{flag}: unknown player {spec!r} (known: {known_players()})")


def check_player_spec(spec: str, flag: str = "policy") -> None:
    """Raise ``ValueError`` (naming ``flag``) unless ``spec`` is a known player name, a plug-in ``MODULE:Class``
    or an existing path: a cheap check before any work starts, without building the player."""
    _resolve(spec, flag)


def make_policy(spec: str, env: Any, role: Role) -> Policy:
    """Build the player named ``spec`` for ``role`` in ``env``."""
    kind, argument = _resolve(spec, "policy")
    if kind is None:
        return load_policy(Path(spec), env, role)
    return kind.build(env, role, argument)


def _human(env: Any, role: Role, argument: str) -> Policy:
    from infobargain.agents.human import HumanPolicy

    return HumanPolicy(env, role)


def _llm(env: Any, role: Role, argument: str) -> Policy:
    from infobargain.agents.llm import LLMPolicy

    return LLMPolicy.from_spec(f"llm:{argument}", env, role)


for _name, (_build, _description, _argument) in ANALYTIC_PLAYERS.items():
    register_player(_name, _build, _description, _argument)
register_player("human", _human, "you, at the terminal")
register_player("llm", _llm, "a chat model (configured by environment variables)", "MODEL")


def load_policy(path: str | Path, env: Any, role: Role) -> Policy:
    """Rebuild a saved player: an analytic player's JSON, or a trained model through its adapter."""
    path = Path(path)
    if path.suffix == ".json":
        try:
            saved = json.loads(path.read_text())
            spec = saved["policy"]
            if not isinstance(spec, str) or spec.endswith(".json"):  # no chains of saved players, hence no cycles
                raise TypeError
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            raise ValueError(f'policy: {path} is not a saved player (expected {{"policy": NAME}})') from None
        return make_policy(spec, env, role)
    from infobargain.agents.loading import load_learned

    return load_learned(path, env, role)


def bind_policy(spec: PlayerSpec, env: Any, role: Role) -> Policy:
    """The player ``spec`` (a name, a saved player's path, a ``Policy``, or a list of those: a pool that plays one
    member per episode) playing ``role`` in ``env``.

    A ``Policy`` object is used as it is, whichever env it was built for: players that read the game get the
    env's public view at every decision (:func:`~infobargain.envs.view.act`).
    """
    if isinstance(spec, Path):
        return load_policy(spec, env, role)
    if isinstance(spec, str):
        return make_policy(spec, env, role)
    if isinstance(spec, Sequence):
        from infobargain.agents.pool import PolicyPool

        if not spec:
            raise ValueError("player: an empty list of players")
        return PolicyPool([bind_policy(member, env, role) for member in spec], role)  # type: ignore[return-value]
    if getattr(spec, "role", role) != role:
        raise ValueError(f"player: {spec!r} plays the {spec.role}, not the {role}")
    if callable(getattr(spec, "act", None)):
        return spec
    raise ValueError(f"player: expected a name, a path or a Policy, got {spec!r}")


def player_label(spec: PlayerSpec) -> str:
    """A short label for configs and reports (``run/sender.pt`` for a run's saved player)."""
    if isinstance(spec, Path):
        return f"{spec.parent.parent.name}/{spec.name}" if spec.parent.name == "players" else str(spec)
    if isinstance(spec, str):
        return spec
    if isinstance(spec, Sequence):
        return "pool[" + ", ".join(player_label(member) for member in spec) + "]"
    return str(getattr(spec, "spec", "") or type(spec).__name__)
