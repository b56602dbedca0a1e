"""A plug-in algorithm: regret matching+ self-play with its own settings section, written against the public API.

Load it with ``--import examples/plugins/my_algo.py`` (or ``--import my_algo`` from this folder):

    infobargain train --import examples/plugins/my_algo.py --algorithm small_batch_regret \
        --set small_batch_regret.games=128 --protocol ultimatum --total-steps 20000
    infobargain benchmark --import examples/plugins/my_algo.py --algorithms small_batch_regret,regret

It learns from play only (no exact solver), spends at most ``job.budget`` decisions, and saves its two players
in the run directory, which is all the registry asks of an algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass

from infobargain.agents.tabular import TabularPolicy
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.training.algorithms import TrainedPlayers, TrainingJob, register_algorithm
from infobargain.training.regret import RegretSettings, train_regret
from infobargain.training.settings import setting


@dataclass
class SmallBatchSettings:
    """The ``[small_batch_regret]`` section of a run config; each field's range is checked when it is set."""

    games: int = setting(64, low=1, high=100_000)
    """Games per iteration: fewer than the built-in learner's, so its strategies change after fewer decisions."""


@register_algorithm(
    "small_batch_regret",
    settings=SmallBatchSettings,
    description="regret matching+ self-play in small batches (an example plug-in)",
)
def train(job: TrainingJob) -> TrainedPlayers:
    result = train_regret(
        job.env_kwargs, budget=job.budget, seed=job.seed, settings=RegretSettings(games=job.settings.games)
    )
    env = raw_env(**job.env_kwargs)
    paths = {}
    for role in ("sender", "receiver"):
        paths[role] = job.run_dir / "players" / f"{role}.npz"
        TabularPolicy(result.probabilities, env, role, spec=f"small-batch regret {role}").save(paths[role])
    return TrainedPlayers(paths["sender"], paths["receiver"], result.decisions, {"games": job.settings.games})
