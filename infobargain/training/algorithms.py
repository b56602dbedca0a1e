"""Learning algorithms by name, behind one interface: what the leaderboard (``infobargain benchmark``) trains.

**The interface.** An algorithm is a function (or any callable object) taking a :class:`TrainingJob` and
returning :class:`TrainedPlayers`::

    from infobargain.training.algorithms import TrainedPlayers, TrainingJob, register_algorithm

    @register_algorithm("always_spe", description="plays the exact SPE (a sanity row)")
    def always_spe(job: TrainingJob) -> TrainedPlayers:
        return TrainedPlayers(sender="spe", receiver="spe", decisions=0)

Registered, it is trained and scored like the built-in ones: ``run_leaderboard(["always_spe", "mappo"])``
(:mod:`infobargain.evaluation.leaderboard`), or ``infobargain benchmark --algorithms always_spe,mappo`` once the
module that registers it is imported (``--import MODULE``). A job gives the game (``env_kwargs``, the env's
arguments), the **budget in decisions** (environment steps of either player; use at most that many), the
seed and a folder of the algorithm's own (``run_dir``: checkpoints, saved players). The result names the two
players (a player name, a saved player's path or a :class:`~infobargain.agents.Policy`), the decisions
actually used, and ``options``: every setting that biases outcomes (e.g. a training-only acceptance nudge),
reported in the leaderboard row. Training must learn from play: no exact solver, no exact best responses,
no shaping from theory values (evaluation does that, afterwards).

Built in: ``mappo`` (the library's multi-agent PPO), ``ippo`` (the same PPO with independent critics),
``qlearning`` (self-play Q-learning with subgame starts, :mod:`infobargain.training.qlearning`), ``sb3_ibr`` (Stable-Baselines3 iterated best response), ``rllib_ppo`` (Ray RLlib PPO; needs the ``rllib``
extra) and ``regret`` (regret matching+ self-play, :mod:`infobargain.training.regret`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from infobargain.agents import Policy
from infobargain.game.protocol import ROLES

Player = str | Path | Policy
"""A player name (:func:`~infobargain.agents.make_policy`), a saved player's path, or a ``Policy``."""


@dataclass(frozen=True)
class TrainingJob:
    """One training: a game, a budget, a seed and a folder."""

    env_kwargs: Mapping[str, Any]
    """Arguments of :class:`~infobargain.envs.information_bargaining_v0.raw_env` (the game to learn)."""
    budget: int
    """Decisions (environment steps of either player) to train for; use at most about this many."""
    seed: int
    run_dir: Path
    """A folder of the algorithm's own (created; empty on a fresh run)."""
    show_progress: bool = False
    keep_history: bool = False
    """Keep every intermediate checkpoint (learning-speed benchmarks replay them); off: the backend's default."""


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


@dataclass(frozen=True)
class Algorithm:
    """A registered algorithm."""

    name: str
    train: Trainer
    description: str = ""
    extra: str | None = None
    """The pip extra it needs (``pip install 'infobargain[EXTRA]'``), if any."""
    requires: tuple[str, ...] = ()
    """Modules that must be importable (checked before any training starts)."""

    def missing(self) -> str | None:
        """Why it cannot run here (a missing module), or ``None``."""
        absent = [module for module in self.requires if importlib.util.find_spec(module) is None]
        if not absent:
            return None
        install = f"pip install 'infobargain[{self.extra}]'" if self.extra else f"install {', '.join(absent)}"
        return f"algorithm {self.name!r} needs {', '.join(absent)}, which is not installed ({install})"


ALGORITHMS: dict[str, Algorithm] = {}


def register_algorithm(
    name: str, *, description: str = "", extra: str | None = None, requires: tuple[str, ...] = ()
) -> Callable[[Trainer], Trainer]:
    """Decorator registering ``train`` under ``name`` (a name already taken is replaced)."""
    if not name or any(c.isspace() or c == "," for c in name):
        raise ValueError(f"algorithm name: must be non-empty without spaces or commas, got {name!r}")

    def decorate(train: Trainer) -> Trainer:
        ALGORITHMS[name] = Algorithm(name, train, description, extra, requires)
        return train

    return decorate


def get_algorithm(name: str) -> Algorithm:
    """The algorithm registered as ``name``; ``ValueError`` naming the known ones otherwise."""
    if name not in ALGORITHMS:
        raise ValueError(f"algorithm: unknown {name!r} (known: {', '.join(ALGORITHMS)})")
    return ALGORITHMS[name]


# Built-in algorithms. Each imports its backend when it runs, so the registry itself needs no extra.


def _run_config(job: TrainingJob, algorithm: str) -> Any:
    from infobargain.training.api import recorded_env
    from infobargain.training.config import RunConfig

    config = RunConfig()
    config.run.name, config.run.algorithm = f"leaderboard-{algorithm}", algorithm
    config.run.total_steps, config.run.seed = job.budget, job.seed
    config.env.update(recorded_env(job.env_kwargs, job.run_dir))
    if job.keep_history:
        config.run.keep_checkpoints = 0  # 0 keeps all
    return config


def _train_backend(job: TrainingJob, config: Any, train: Callable[..., dict[str, Path]]) -> tuple[dict[str, Path], int]:
    """Run a library backend in ``job.run_dir``; returns its players and the decisions its last checkpoint counts."""
    from infobargain.training.rundir import RunDirectory

    run = RunDirectory(job.run_dir, config)
    try:
        players = train(config, run, show_progress=job.show_progress)
        steps = list(run.numbered_checkpoints())
    finally:
        run.close()
    return players, max(steps, default=0)


def _critic_option(config: Any, critic: str) -> str | None:
    """Set ``[mappo] critic`` where the PPO has that option; returns a note when it does not."""
    if "critic" in {f.name for f in fields(config.mappo)}:
        config.mappo.critic = critic
        return None
    return (
        f"this version of the library's PPO has no [mappo] critic option: ran with its per-player critics "
        f"(each on its own, complete observation) instead of the {critic!r} critic"
    )


def _ppo(job: TrainingJob, critic: str) -> TrainedPlayers:
    from infobargain.training import mappo

    config = _run_config(job, "mappo")
    note = _critic_option(config, critic)
    players, used = _train_backend(job, config, mappo.train)
    options = {"accept_bonus": config.mappo.accept_bonus, "subgame_starts": config.mappo.subgame_starts}
    options["critic"] = getattr(config.mappo, "critic", "per-player")
    return TrainedPlayers(players["sender"], players["receiver"], used, options, [note] if note else [])


@register_algorithm(
    "mappo",
    description="the library's multi-agent PPO (centralised critic), self-play on the vector env",
    extra="train",
    requires=("torch",),
)
def train_mappo(job: TrainingJob) -> TrainedPlayers:
    return _ppo(job, "centralised")


@register_algorithm(
    "ippo",
    description="independent PPO: the library's PPO, each player's critic on its own observation",
    extra="train",
    requires=("torch",),
)
def train_ippo(job: TrainingJob) -> TrainedPlayers:
    return _ppo(job, "independent")


@register_algorithm(
    "qlearning",
    description="self-play Q-learning with subgame starts (the main job's algorithm), on the vector env",
    extra="train",
    requires=("torch",),
)
def train_qlearning(job: TrainingJob) -> TrainedPlayers:
    from infobargain.training import qlearning

    config = _run_config(job, "qlearning")
    players, used = _train_backend(job, config, qlearning.train)
    options = {"accept_bonus": config.qlearning.accept_bonus, "subgame_starts": config.qlearning.subgame_starts}
    return TrainedPlayers(players["sender"], players["receiver"], used, options)


@register_algorithm(
    "sb3_ibr",
    description="Stable-Baselines3 iterated best response (MaskablePPO, each side in turn against the other)",
    extra="train",
    requires=("stable_baselines3", "sb3_contrib"),
)
def train_sb3_ibr(job: TrainingJob) -> TrainedPlayers:
    from infobargain.training import selfplay

    config = _run_config(job, "ibr")
    players, used = _train_backend(job, config, selfplay.train)
    options = {"ibr_rounds": config.ibr.rounds, "pool": config.ibr.pool, "decisions_counted": "learner's only"}
    return TrainedPlayers(players["sender"], players["receiver"], used, options)


@register_algorithm(
    "rllib_ppo",
    description="Ray RLlib PPO, one policy per player, on the AEC env (local Ray, no env runners)",
    extra="rllib",
    requires=("ray",),
)
def train_rllib_ppo(job: TrainingJob) -> TrainedPlayers:
    from infobargain.training import rllib

    config = _run_config(job, "rllib")
    config.rllib.num_env_runners = 0  # sample in the driver: worker processes only contend for a few cores
    players, used = _train_backend(job, config, rllib.train)
    options = {"train_batch_size": config.rllib.train_batch_size}
    return TrainedPlayers(players["sender"], players["receiver"], used, options)


@register_algorithm(
    "regret",
    description="regret matching+ self-play, tabular, values from sampled play with subgame starts",
)
def train_regret_matching(job: TrainingJob) -> TrainedPlayers:
    from infobargain.agents.tabular import TabularPolicy
    from infobargain.envs.information_bargaining_v0 import raw_env
    from infobargain.progress import Progress
    from infobargain.training.regret import RegretSettings, train_regret

    settings = RegretSettings()
    with Progress(job.budget, "regret matching+", job.show_progress, unit="step") as bar:
        result = train_regret(
            job.env_kwargs, budget=job.budget, seed=job.seed, settings=settings, on_progress=bar.update
        )
    env = raw_env(**{key: value for key, value in job.env_kwargs.items() if key != "render_mode"})
    paths = {}
    for role in ROLES:
        paths[role] = job.run_dir / f"{role}.npz"
        TabularPolicy(result.probabilities, env, role, spec=f"regret {role}").save(paths[role])
    options = {"accept_ties": settings.accept_ties, "games": settings.games, "value_step": settings.value_step}
    return TrainedPlayers(paths["sender"], paths["receiver"], result.decisions, options)
