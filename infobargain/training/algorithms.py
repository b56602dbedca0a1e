"""Learning algorithms, built in or a user's: the interface a plug-in implements and the registry it joins.

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
my_algo`` puts it on the leaderboard. An algorithm that can rebuild the players of one of its numbered
checkpoints registers ``Algorithm(..., checkpoint_players=...)`` (``(run folder, checkpoint) -> (sender,
receiver)``, see :mod:`infobargain.training.checkpoint_players`), and ``benchmark --curves K`` scores its
sample-efficiency curve. Plug-ins load by module, by file or by entry point
(:mod:`infobargain.plugins`). Training must learn from play: no exact solver, no exact best responses, no
shaping from theory values (evaluation does that, afterwards).

Built in: ``mappo`` (the library's PPO with a centralised critic), ``ippo`` (the same PPO, independent
critics), ``qlearning`` (self-play Q-learning with subgame starts, the main job's), ``regret`` (regret
matching+ self-play), ``sb3_ibr`` (Stable-Baselines3 iterated best response), ``rllib_ppo`` (Ray RLlib PPO), and
``sb3`` (one Stable-Baselines3 learner against a fixed opponent: a best response, not self-play, so it is not
on the leaderboard).
"""

from infobargain.training.job import Player, TrainedPlayers, TrainingJob
from infobargain.training.registry import (
    RENAMED,
    Algorithm,
    Trainer,
    add_algorithm,
    algorithms,
    get_algorithm,
    register_algorithm,
    section_class,
    unregister_algorithm,
)

__all__ = [
    "RENAMED",
    "Algorithm",
    "Player",
    "TrainedPlayers",
    "Trainer",
    "TrainingJob",
    "add_algorithm",
    "algorithms",
    "get_algorithm",
    "register_algorithm",
    "section_class",
    "unregister_algorithm",
]
