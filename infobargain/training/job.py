"""What a training gets and gives back: the interface every algorithm of the registry implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from infobargain.training.config import RunConfig
from infobargain.training.rundir import RunDirectory

if TYPE_CHECKING:
    from infobargain.agents import Policy

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
        """Arguments of :class:`~infobargain.envs.information_bargaining_v1.raw_env` (the game to learn)."""
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
