"""The algorithm registry: every learning algorithm, built in or a user's, is one :class:`Algorithm` here.

``infobargain train``, ``benchmark``, ``suite``, the run config (``[run] algorithm`` and the algorithm's own
settings section) and ``--help`` all read this one registry, so a name means the same everywhere. Plug-ins write
against :mod:`infobargain.training.algorithms`, which documents the interface.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infobargain.game.limits import shown
from infobargain.plugins import ALGORITHM_GROUP, PluginError, entry_points
from infobargain.training import settings as builtin_settings

Trainer = Callable[[Any], Any]
"""A training function: :class:`~infobargain.training.job.TrainingJob` in, ``TrainedPlayers`` out."""
CheckpointPlayers = Callable[[Path, Path], tuple[Any, Any]]
"""``(run folder, numbered checkpoint) -> (sender, receiver)``: the players a run had at that checkpoint."""


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
    library: str | None = None
    """The outside library whose implementation it runs (``"OpenSpiel"``, ``"BenchMARL"``): a baseline of the field,
    named with ``--algorithms``; the default leaderboard runs the library's own algorithms."""
    reach: Callable[[Mapping[str, Any]], str | None] | str | None = None
    """Says, from a game's env arguments, why it cannot train on that game (one line), or ``None`` when it can
    (or ``"module:function"``); ``None``: every game is in reach."""
    leaderboard_budget: int | None = None
    """The most decisions a leaderboard cell trains it for (an algorithm slow per decision, so that the default
    leaderboard fits an hour on two cores; the table states it); ``None``: the leaderboard's budget."""
    cpus: float = 1.0
    """CPU cores one of its trainings uses (what a leaderboard cell asks a Ray cluster for)."""
    checkpoint_players: CheckpointPlayers | str | None = None
    """Rebuilds the players of one numbered checkpoint of a finished run (or ``"module:function"``), so that the
    leaderboard can score its sample-efficiency curve (``benchmark --curves``); ``None``: no curve."""

    def train(self, job: Any) -> Any:
        """Run the trainer on a :class:`~infobargain.training.job.TrainingJob`; returns its ``TrainedPlayers``."""
        return _resolve(self.trainer)(job)

    def fits(self, env_kwargs: Mapping[str, Any]) -> str | None:
        """Why this algorithm cannot train on the game of ``env_kwargs`` (one line, e.g. a game tree over its
        limit), or ``None`` when it can: asked before training, so an out-of-reach cell is refused up front."""
        return None if self.reach is None else _resolve(self.reach)(env_kwargs)  # type: ignore[no-any-return]

    def players_at(self, run_dir: Path, checkpoint: Path) -> tuple[Any, Any] | None:
        """The (sender, receiver) of ``checkpoint`` of the finished run in ``run_dir``, or ``None`` when the
        algorithm does not say how (:attr:`checkpoint_players`)."""
        if self.checkpoint_players is None:
            return None
        return _resolve(self.checkpoint_players)(run_dir, checkpoint)  # type: ignore[no-any-return]

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


# Built-in algorithms: their trainers are imported when they train, so the registry needs no extra. The leaderboard
# budgets keep the default leaderboard (6 algorithms x 18 games x 3 seeds) within an hour of a 2-core machine
# (docs/leaderboard.md states them with the measured cost per cell).
for _builtin in (
    Algorithm(
        "qlearning",
        "infobargain.training.builtin:train_qlearning",
        "self-play Q-learning with subgame starts (the main job's algorithm), on the vector env",
        builtin_settings.QLearningSection,
        extra="train",
        requires=("torch",),
        leaderboard_budget=50_000,
        checkpoint_players="infobargain.training.checkpoint_players:qlearning_players",
    ),
    Algorithm(
        "mappo",
        "infobargain.training.builtin:train_ppo",
        "the library's multi-agent PPO (centralised critic), self-play on the vector env",
        builtin_settings.PPOSection,
        extra="train",
        requires=("torch",),
        leaderboard_budget=30_000,
        checkpoint_players="infobargain.training.checkpoint_players:ppo_players",
    ),
    Algorithm(
        "ippo",
        "infobargain.training.builtin:train_ppo",
        "independent PPO: the library's PPO, each player's critic on its own observation",
        builtin_settings.PPOSection,
        extra="train",
        requires=("torch",),
        leaderboard_budget=30_000,
        checkpoint_players="infobargain.training.checkpoint_players:ppo_players",
    ),
    Algorithm(
        "regret",
        "infobargain.training.builtin:train_regret_matching",
        "regret matching+ self-play, tabular, values from sampled play with subgame starts",
        "infobargain.training.regret:RegretSettings",
        leaderboard_budget=100_000,
        checkpoint_players="infobargain.training.checkpoint_players:regret_players",
    ),
    Algorithm(
        "sb3_ibr",
        "infobargain.training.builtin:train_sb3_ibr",
        "Stable-Baselines3 iterated best response (MaskablePPO, each side in turn against the other)",
        builtin_settings.IBRSection,
        reads=("sb3",),
        extra="train",
        requires=("stable_baselines3", "sb3_contrib"),
        leaderboard_budget=10_000,
        checkpoint_players="infobargain.training.checkpoint_players:sb3_ibr_players",
    ),
    Algorithm(
        "rllib_ppo",
        "infobargain.training.builtin:train_rllib_ppo",
        "Ray RLlib PPO, one policy per player, on the AEC env",
        builtin_settings.RLlibSection,
        extra="rllib",
        requires=("ray",),
        leaderboard_budget=10_000,
        checkpoint_players="infobargain.training.checkpoint_players:rllib_players",
    ),
    Algorithm(
        "openspiel_cfr_plus",
        "infobargain.training.openspiel_cfr:train",
        "OpenSpiel's CFR+ on the library's OpenSpiel game, its average policy as players (small game trees only)",
        extra="clients",
        requires=("pyspiel",),
        library="OpenSpiel",
        reach="infobargain.training.openspiel_cfr:fits",
        checkpoint_players="infobargain.training.checkpoint_players:openspiel_cfr_players",
    ),
    *(
        Algorithm(
            f"benchmarl_{name}",
            "infobargain.training.benchmarl_marl:train",
            f"BenchMARL's {title} (its default hyperparameters), one group per role on the game's Parallel form",
            builtin_settings.BenchMARLSection,
            extra="benchmarl",
            requires=("benchmarl",),
            library="BenchMARL",
            checkpoint_players="infobargain.training.benchmarl_marl:checkpoint_players",
        )
        for name, title in (
            *(("mappo", "MAPPO"), ("ippo", "IPPO"), ("iql", "IQL"), ("qmix", "QMIX"), ("vdn", "VDN")),
            *(("masac", "MASAC"), ("isac", "ISAC")),
        )
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
