"""Run configurations: a TOML file people can read and diff, with command-line overrides.

A config has a ``[run]`` table (name, seed, algorithm, budget, checkpointing), an ``[env]`` table whose
keys are the environment's parameters (docs/design.md contract 2, e.g. ``protocol = "alternating"``), and
the settings table of the algorithm it runs (``[qlearning]``, ``[mappo]``, ...: the algorithm's name, its fields
declared in :mod:`infobargain.training.settings` or by a plug-in). The sections come from the algorithm registry
(:mod:`infobargain.training.algorithms`), the one list of algorithms. Unknown keys, and settings of an algorithm
the run does not use, are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infobargain.game.limits import check_env_size, shown

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from infobargain.game.config import GAME_PARAMETERS, EnvConfig
from infobargain.training.registry import Algorithm, algorithms, get_algorithm, section_class
from infobargain.training.settings import SettingsError, check_settings, field_types, setting

INPUTS = "inputs"
"""The folder of a run directory that holds its copies of the instance files and folders it was trained on: a
run's ``config.toml`` loads with ``env.game`` pointing at the copy, so moving or changing the original changes
nothing for the run (resumed or evaluated)."""


def kept_copy(run_dir: str | Path, game: object) -> Path | None:
    """The run's copy (``RUN/inputs/NAME``) of the instance file or folder that ``game`` names, if it kept one."""
    if not isinstance(game, str):
        return None
    kept = Path(run_dir) / INPUTS / Path(game).name
    return kept if kept.exists() else None


RUN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")
"""A run name is one folder under ``runs/``: no separator, no ``..``, no hidden folder."""

TRAINING_ENV_OVERRIDES: dict[str, Any] = {"first_proposer": "coin_flip"}
"""Where a run config deliberately departs from the env's defaults (``infobargain.game.config``): players
learn both seats (coin-flip first proposer)."""

RUN_ENV_DEFAULTS: dict[str, Any] = {
    **{name: getattr(EnvConfig(), name) for name in GAME_PARAMETERS},
    **TRAINING_ENV_OVERRIDES,
}
"""The ``[env]`` table's defaults: the env's own, with :data:`TRAINING_ENV_OVERRIDES`."""
MIXTURE_KEY = "protocols"
"""The one ``[env]`` key that is not an env parameter: protocol variants to train on at once
(:func:`~infobargain.envs.mixture.protocol_variants`, e.g. ``"paper"``); absent or empty, the env's own protocol.
A run's ``[env]`` holds it only when set, so its other keys stay the env's arguments."""


@dataclass
class RunSection:
    name: str = "run"
    """The run's folder under ``runs/``: letters, digits, ``.``, ``_`` and ``-``, not starting with ``.`` (so it
    cannot name a path outside ``runs/``)."""
    seed: int = setting(0, low=0, high=2**63 - 1)
    algorithm: str = "mappo"
    """A registered algorithm (:func:`infobargain.training.algorithms.algorithms`)."""
    total_steps: int = setting(300_000, low=1, high=10**12)
    """Decisions (environment steps) to train for, summed over both players."""
    checkpoint_every: int = setting(10, low=1, high=10**9)
    """Checkpoint every this many updates (iterations)."""
    keep_checkpoints: int = setting(3, low=0, high=10**6)
    """Numbered checkpoints kept: the latest this many (0 keeps all), plus the best by ``best_metric``."""
    best_metric: str = "learner_payoff"
    """The metrics column whose highest value marks the best checkpoint (``-NAME``: the lowest; empty: none).
    Backends that do not log the column (self-play logs no single learner's payoff) keep only the latest."""
    eval_episodes: int = setting(200, low=1, high=10**7)
    threads: int = setting(1, low=1, high=1024)
    """Torch threads: 1 avoids the collapse of batched ops on a shared 2-core machine."""
    device: str = "cpu"
    """Where the networks of the library's PPO live: ``cpu``, ``cuda`` or ``auto`` (a GPU if torch sees one)."""


def split_mixture(env: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """A run's ``[env]`` as the env's arguments and the protocol variants of :data:`MIXTURE_KEY` (``""``: none)."""
    kwargs = dict(env)
    return kwargs, str(kwargs.pop(MIXTURE_KEY, ""))


class ConfigError(ValueError):
    """A run configuration is malformed; the message names the key."""


@dataclass
class RunConfig:
    run: RunSection = field(default_factory=RunSection)
    env: dict[str, Any] = field(default_factory=lambda: dict(RUN_ENV_DEFAULTS))
    sections: dict[str, Any] = field(default_factory=dict)
    """Settings by section name (an algorithm's name); a section is made with its defaults when first read."""
    assigned: set[str] = field(default_factory=set, repr=False, compare=False)
    """Sections given a value by :meth:`set` (a config file or ``--set``): each must be one the algorithm reads."""

    def section(self, name: str) -> Any:
        """The settings of section ``name`` (its defaults until set); ``ConfigError`` for an unknown section."""
        if name not in self.sections:
            try:
                kind = section_class(name)
            except ValueError as error:
                raise ConfigError(str(error)) from None
            self.sections[name] = kind() if kind is not None else None
        return self.sections[name]

    def __getattr__(self, name: str) -> Any:
        # ``config.qlearning`` reads a section; only called for names that are not fields.
        if name.startswith("_") or name in ("run", "env", "sections", "assigned"):
            raise AttributeError(name)
        try:
            return self.section(name)
        except ConfigError:
            raise AttributeError(f"RunConfig has no section {name!r}") from None

    @property
    def algorithm(self) -> Algorithm:
        """The registered algorithm the run trains."""
        try:
            return get_algorithm(self.run.algorithm)
        except ValueError as error:
            raise ConfigError(f"run.{error}") from None

    @property
    def settings(self) -> Any:
        """The run's algorithm's own settings section (``None`` for an algorithm without settings)."""
        algorithm = self.algorithm
        return self.section(algorithm.name) if algorithm.settings is not None else None

    # building

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        config = cls()
        for section, values in data.items():
            if not isinstance(values, Mapping):
                raise ConfigError(f"{section}: must be a table")
            for key, value in values.items():
                config.set(f"{section}.{key}", value)
        config.validate()
        return config

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        try:
            data = tomllib.loads(Path(path).read_text())
        except OSError as error:
            raise ConfigError(f"config: cannot read {path}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"config: {path} is not a text file (TOML is UTF-8 text)") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"config: {path} is not valid TOML ({error})") from None
        except RecursionError:
            raise ConfigError(f"config: {path} is nested too deeply to be a run config") from None
        env = data.get("env")
        game = env.get("game") if isinstance(env, dict) else None
        if (kept := kept_copy(Path(path).parent, game)) is not None:
            env["game"] = str(kept)  # a run's own config: its copy of the instance, wherever the original went
        return cls.from_dict(data)

    def set(self, dotted: str, value: Any) -> None:
        """Set ``section.key`` (values from the command line arrive as strings and are converted)."""
        section, _, key = dotted.partition(".")
        if not key:
            raise ConfigError(f"{dotted}: expected SECTION.KEY (sections: {', '.join(self.known_sections())})")
        if section == "env":
            if key == MIXTURE_KEY:
                self.env[key] = _convert(value, str, dotted)
                if not self.env[key]:
                    del self.env[key]
                return
            if key not in RUN_ENV_DEFAULTS:
                known = ", ".join([*RUN_ENV_DEFAULTS, MIXTURE_KEY])
                raise ConfigError(f"env.{key}: unknown environment parameter (known: {known})")
            self.env[key] = _convert(value, type(RUN_ENV_DEFAULTS[key]), dotted)
            return
        target = self.run if section == "run" else self.section(section)
        self.assigned.add(section)
        if target is None:
            raise ConfigError(f"{section}: algorithm {section!r} has no settings")
        types = field_types(target)
        if key not in types:
            raise ConfigError(f"{dotted}: unknown key (known: {', '.join(types)})")
        setattr(target, key, _convert(value, types[key], dotted))

    def override(self, assignments: Iterable[str]) -> None:
        """Apply ``SECTION.KEY=VALUE`` strings."""
        for assignment in assignments:
            dotted, sep, value = assignment.partition("=")
            if not sep:
                raise ConfigError(f"--set {shown(assignment)}: expected SECTION.KEY=VALUE")
            self.set(dotted.strip(), value.strip())
        self.validate()

    @staticmethod
    def known_sections() -> list[str]:
        return ["run", "env", *(name for name, entry in algorithms().items() if entry.settings is not None)]

    def validate(self) -> None:
        if not RUN_NAME.fullmatch(self.run.name):
            raise ConfigError(
                f"run.name: must be letters, digits, '.', '_' or '-' and not start with '.', got {shown(self.run.name)}"
            )
        algorithm = self.algorithm
        if not (self.run.device in ("cpu", "auto") or self.run.device.startswith("cuda")):
            raise ConfigError(f"run.device: must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {shown(self.run.device)}")
        unread = [name for name in sorted(self.assigned - {"run"}) if name not in algorithm.sections]
        if unread:
            reads = ", ".join(f"[{name}]" for name in algorithm.sections) or "no settings section"
            raise ConfigError(
                f"[{unread[0]}]: algorithm {algorithm.name!r} does not read these settings (it reads {reads}); "
                f"set run.algorithm = {unread[0]!r} to train with them"
            )
        try:
            check_settings("run", self.run)
            for name in algorithm.sections:
                check_settings(name, self.section(name))
        except SettingsError as error:
            raise ConfigError(str(error)) from None
        from infobargain.envs.information_bargaining_v1 import resolve_game
        from infobargain.envs.mixture import check_mixture, mixture_parts
        from infobargain.game.distributions import RandomSizes

        env, protocols = split_mixture(self.env)
        try:
            mixed = bool(protocols) or isinstance(resolve_game(env["game"]), RandomSizes)
            if mixed and algorithm.name != "qlearning":
                raise ValueError(
                    f"algorithm {algorithm.name!r} trains on one protocol and one size; a mixture (env.{MIXTURE_KEY} or "
                    "a mixed-size game) trains with run.algorithm = 'qlearning'"
                )
            for part in mixture_parts(env, protocols):
                check_env_size(resolve_game(part["game"]), part)  # before any env allocates anything
            check_mixture(env, protocols)  # each part's env is built: its arguments are checked
        except (ValueError, TypeError) as error:
            message = str(error)
            raise ConfigError(f"env: {message if len(message) <= 300 else message[:300] + '…'}") from None

    # writing

    def to_dict(self) -> dict[str, Any]:
        """``[run]``, ``[env]`` and the sections the run's algorithm reads."""
        data: dict[str, Any] = {"run": vars(self.run).copy(), "env": dict(self.env)}
        for name in self.algorithm.sections:
            data[name] = vars(self.section(name)).copy()
        return data

    def to_toml(self) -> str:
        return dump_toml(self.to_dict())

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_toml())


def _convert(value: Any, kind: type, name: str) -> Any:
    if not isinstance(value, str) or kind is str:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        wrong_bool = isinstance(value, bool) and kind is not bool  # True is an int to Python, not to a config
        if (
            wrong_bool
            or (kind is not str and not isinstance(value, kind))
            or (kind is str and not isinstance(value, str))
        ):
            raise ConfigError(f"{name}: expected {kind.__name__}, got {shown(value)}")
        return value
    try:
        if kind is bool:
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return value.lower() in ("true", "1", "yes")
        return kind(value)
    except ValueError:
        raise ConfigError(f"{name}: expected {kind.__name__}, got {shown(value)}") from None


def dump_toml(data: Mapping[str, Mapping[str, Any]]) -> str:
    """Tables of scalars (and lists of scalars) as TOML; enough for run configs, no dependency needed."""
    lines: list[str] = []
    for section, values in data.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ConfigError(f"config: cannot write {shown(value)} to TOML")
