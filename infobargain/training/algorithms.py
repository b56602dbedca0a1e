"""The algorithm registry: every learning algorithm, built in or a user's, is one :class:`Algorithm` here.

``infobargain train``, ``benchmark``, ``suite``, the run config (``[run] algorithm`` and the algorithm's own
settings section) and ``--help`` all read this one registry, so a name means the same everywhere.

**Writing one.** An algorithm is a function taking a :class:`TrainingJob` and returning
:class:`TrainedPlayers`::

    from dataclasses import dataclass
    from infobargain.training.algorithms import TrainedPlayers, TrainingJob, register_algorithm
    from infobargain.training.settings import setting

    @dataclass
    class MySettings:
        step: float = setting(0.1, low=0, high=1)

    @register_algorithm("my_algo", settings=MySettings, description="...")
    def my_algo(job: TrainingJob) -> TrainedPlayers:
        ...  # learn job.env_kwargs for at most job.budget decisions, seeded by job.seed, in job.run_dir
        return TrainedPlayers(sender=path_or_name, receiver=path_or_name, decisions=used)

Then ``infobargain train --import my_algo --algorithm my_algo --set my_algo.step=0.2`` trains it into a run
directory (checkpoints are the algorithm's own business in ``job.run_dir``: ``job.run`` offers the library's
helpers, ``job.resume`` says whether to continue), and ``infobargain benchmark --import my_algo --algorithms
my_algo`` puts it on the leaderboard. Plug-ins load by module, by file or by entry point
(:mod:`infobargain.plugins`). Training must learn from play: no exact solver, no exact best responses, no
shaping from theory values (evaluation does that, afterwards).

Built in: ``mappo`` (the library's PPO with a centralised critic), ``ippo`` (the same PPO, independent
critics), ``qlearning`` (self-play Q-learning with subgame starts, the main job's), ``regret`` (regret
matching+ self-play), ``sb3_ibr`` (Stable-Baselines3 iterated best response), ``rllib_ppo`` (Ray RLlib PPO), and
``sb3`` (one Stable-Baselines3 learner against a fixed opponent: a best response, not self-play, so it is not
on the leaderboard).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from infobargain.game.limits import shown
from infobargain.plugins import ALGORITHM_GROUP, PluginError, entry_points
from infobargain.training import settings as builtin_settings

if TYPE_CHECKING:
    from infobargain.agents import Policy
    from infobargain.training.config import RunConfig
    from infobargain.training.rundir import RunDirectory

Player = Union[str, Path, "Policy"]
"""A player name (:func:`~infobargain.agents.make_policy`), a saved player's path, or a ``Policy``."""


@dataclass(frozen=True)
class TrainingJob:
    """One training: a run config (game, budget, seed, the algorithm's settings) and its run directory."""

    config: RunConfig
    run: RunDirectory
    show_progress: bool = False

    @property
    def env_kwargs(self) -> dict[str, Any]:
        """Arguments of :class:`~infobargain.envs.information_bargaining_v0.raw_env` (the game to learn)."""
        return dict(self.config.env)

    @property
    def budget(self) -> int:
        """Decisions (environment steps of either player) to train for; use at most about this many."""
        return self.config.run.total_steps

    @property
    def seed(self) -> int:
        return self.config.run.seed

    @property
    def run_dir(self) -> Path:
        """The run's folder: the algorithm's own files go here (players under ``players/``)."""
        return self.run.path

    @property
    def settings(self) -> Any:
        """The algorithm's own settings section (``None`` for an algorithm without settings)."""
        return self.config.settings

    @property
    def resume(self) -> bool:
        """Whether this continues an earlier run in ``run_dir`` (the algorithm restores its own checkpoint)."""
        return self.run.resumed


@dataclass
class TrainedPlayers:
    """What a training returns."""

    sender: Player
    receiver: Player
    decisions: int
    """Decisions actually used (the leaderboard reports it beside the budget)."""
    options: dict[str, Any] = field(default_factory=dict)
    """Settings that bias outcomes or matter for comparison (reported in the leaderboard row)."""
    notes: list[str] = field(default_factory=list)


Trainer = Callable[[TrainingJob], TrainedPlayers]


def _resolve(target: Any) -> Any:
    """A ``"module:name"`` string as the object it names; anything else as it is."""
    if not isinstance(target, str):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Algorithm:
    """A registered algorithm."""

    name: str
    trainer: Trainer | str
    """The training function, or ``"module:function"`` (imported when it first trains)."""
    description: str = ""
    settings: type | str | None = None
    """The dataclass of its ``[NAME]`` settings section (or ``"module:Class"``); ``None``: no settings."""
    reads: tuple[str, ...] = ()
    """Other algorithms' settings sections it also reads (``sb3_ibr`` trains with ``[sb3]``'s learner)."""
    extra: str | None = None
    """The pip extra it needs (``pip install 'infobargain[EXTRA]'``), if any."""
    requires: tuple[str, ...] = ()
    """Modules that must be importable (checked before any training starts)."""
    self_play: bool = True
    """Trains both players from play alone, so it belongs on the leaderboard."""

    def train(self, job: TrainingJob) -> TrainedPlayers:
        return _resolve(self.trainer)(job)  # type: ignore[no-any-return]

    def settings_class(self) -> type | None:
        return _resolve(self.settings)  # type: ignore[no-any-return]

    @property
    def sections(self) -> tuple[str, ...]:
        """The run-config sections it reads: its own (when it has settings), then :attr:`reads`."""
        return ((self.name,) if self.settings is not None else ()) + self.reads

    def missing(self) -> str | None:
        """Why it cannot run here (a missing module), or ``None``."""
        absent = [module for module in self.requires if importlib.util.find_spec(module) is None]
        if not absent:
            return None
        install = f"pip install 'infobargain[{self.extra}]'" if self.extra else f"install {', '.join(absent)}"
        return f"algorithm {self.name!r} needs {', '.join(absent)}, which is not installed ({install})"


_REGISTRY: dict[str, Algorithm] = {}
_entry_points_loaded = False

RENAMED = {"ibr": "sb3_ibr", "rllib": "rllib_ppo"}
"""Names of earlier versions, for an error that says what to write instead."""


def add_algorithm(algorithm: Algorithm) -> Algorithm:
    """Register ``algorithm`` (a name already taken is replaced)."""
    name = algorithm.name
    if not name.isidentifier() or name in ("run", "env"):
        raise ValueError(f"algorithm name: must be a Python identifier other than run and env, got {name!r}")
    _REGISTRY[name] = algorithm
    return algorithm


def unregister_algorithm(name: str) -> None:
    """Remove ``name`` from the registry (a plug-in's tests clean up with it); unknown names are ignored."""
    _REGISTRY.pop(name, None)


def register_algorithm(
    name: str,
    *,
    settings: type | str | None = None,
    description: str = "",
    extra: str | None = None,
    requires: tuple[str, ...] = (),
    reads: tuple[str, ...] = (),
    self_play: bool = True,
) -> Callable[[Trainer], Trainer]:
    """Decorator registering ``train`` under ``name`` (see the module docstring)."""

    def decorate(train: Trainer) -> Trainer:
        add_algorithm(Algorithm(name, train, description, settings, reads, extra, requires, self_play))
        return train

    return decorate


def algorithms() -> dict[str, Algorithm]:
    """Every registered algorithm, installed packages' entry points included, by name."""
    global _entry_points_loaded
    if not _entry_points_loaded:
        _entry_points_loaded = True
        for name, loaded in entry_points(ALGORITHM_GROUP):
            if isinstance(loaded, Algorithm):
                add_algorithm(loaded)
            elif callable(loaded) and name not in _REGISTRY:
                add_algorithm(Algorithm(name, loaded, getattr(loaded, "__doc__", "") or ""))
            elif name not in _REGISTRY:
                raise PluginError(
                    f"entry point {name!r} in group {ALGORITHM_GROUP!r}: expected an algorithm, a training "
                    "function or a module that registers one"
                )
    return _REGISTRY


def get_algorithm(name: str) -> Algorithm:
    """The algorithm registered as ``name``; ``ValueError`` naming the known ones otherwise."""
    known = algorithms()
    if name in known:
        return known[name]
    hint = f"; it is now called {RENAMED[name]!r}" if name in RENAMED else ""
    raise ValueError(f"algorithm: unknown {shown(name)}{hint} (known: {', '.join(known)})")


def section_class(section: str) -> type | None:
    """The settings dataclass of the run-config section ``section`` (an algorithm's name); ``ValueError`` if none."""
    known = algorithms()
    if section in known and known[section].settings is not None:
        return known[section].settings_class()
    if section in RENAMED:
        raise ValueError(f"[{section}]: this section is now [{RENAMED[section]}]")
    sections = ", ".join(["run", "env", *(name for name, entry in known.items() if entry.settings is not None)])
    raise ValueError(f"{section}: unknown section (known: {sections})")


def describe_all() -> Mapping[str, str]:
    """One line per algorithm, for ``--help`` and ``benchmark --list``."""
    return {name: entry.description for name, entry in algorithms().items()}


# Built-in algorithms: their trainers are imported when they train, so the registry needs no extra.
for _builtin in (
    Algorithm(
        "qlearning",
        "infobargain.training.builtin:train_qlearning",
        "self-play Q-learning with subgame starts (the main job's algorithm), on the vector env",
        builtin_settings.QLearningSection,
        extra="train",
        requires=("torch",),
    ),
    Algorithm(
        "mappo",
        "infobargain.training.builtin:train_ppo",
        "the library's multi-agent PPO (centralised critic), self-play on the vector env",
        builtin_settings.PPOSection,
        extra="train",
        requires=("torch",),
    ),
    Algorithm(
        "ippo",
        "infobargain.training.builtin:train_ppo",
        "independent PPO: the library's PPO, each player's critic on its own observation",
        builtin_settings.PPOSection,
        extra="train",
        requires=("torch",),
    ),
    Algorithm(
        "regret",
        "infobargain.training.builtin:train_regret_matching",
        "regret matching+ self-play, tabular, values from sampled play with subgame starts",
        "infobargain.training.regret:RegretSettings",
    ),
    Algorithm(
        "sb3_ibr",
        "infobargain.training.builtin:train_sb3_ibr",
        "Stable-Baselines3 iterated best response (MaskablePPO, each side in turn against the other)",
        builtin_settings.IBRSection,
        reads=("sb3",),
        extra="train",
        requires=("stable_baselines3", "sb3_contrib"),
    ),
    Algorithm(
        "rllib_ppo",
        "infobargain.training.builtin:train_rllib_ppo",
        "Ray RLlib PPO, one policy per player, on the AEC env",
        builtin_settings.RLlibSection,
        extra="rllib",
        requires=("ray",),
    ),
    Algorithm(
        "sb3",
        "infobargain.training.builtin:train_sb3",
        "one Stable-Baselines3 learner ([sb3] learner) against a fixed opponent ([sb3] opponent): a best response",
        builtin_settings.SB3Section,
        extra="train",
        requires=("stable_baselines3", "sb3_contrib"),
        self_play=False,
    ),
):
    add_algorithm(_builtin)
