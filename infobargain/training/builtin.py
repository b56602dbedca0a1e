"""The built-in algorithms' training functions: each runs one of the library's backends on a :class:`TrainingJob`.

The registry (:mod:`infobargain.training.algorithms`) names them by string, so a backend and its extra are
imported only when its algorithm trains.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from infobargain.game.protocol import ROLES
from infobargain.training.job import TrainedPlayers, TrainingJob


def _decisions(job: TrainingJob) -> int:
    """The decisions the run's newest checkpoint counts (what a backend actually used)."""
    return max(job.run.numbered_checkpoints(), default=0)


def train_ppo(job: TrainingJob) -> TrainedPlayers:
    """``mappo`` (centralised critic) or ``ippo`` (independent critics): the backend reads the algorithm's name."""
    from infobargain.training import mappo

    players = mappo.train(job.config, job.run, show_progress=job.show_progress)
    settings = job.settings
    options = {"accept_bonus": settings.accept_bonus, "subgame_starts": settings.subgame_starts}
    options["critic"] = "centralised" if job.config.run.algorithm == "mappo" else "independent"
    return TrainedPlayers(players["sender"], players["receiver"], _decisions(job), options)


def train_qlearning(job: TrainingJob) -> TrainedPlayers:
    from infobargain.training import qlearning

    players = qlearning.train(job.config, job.run, show_progress=job.show_progress)
    settings = job.settings
    options = {
        "accept_bonus": settings.accept_bonus,
        "subgame_starts": settings.subgame_starts,
        "dueling": settings.dueling,
        "lookahead": settings.lookahead,
    }
    return TrainedPlayers(players["sender"], players["receiver"], _decisions(job), options)


def train_sb3(job: TrainingJob) -> TrainedPlayers:
    from infobargain.training import sb3

    players = sb3.train(job.config, job.run, show_progress=job.show_progress)
    options = {"learner": job.settings.learner, "opponent": job.settings.opponent}
    return TrainedPlayers(players["sender"], players["receiver"], _decisions(job), options)


def train_sb3_ibr(job: TrainingJob) -> TrainedPlayers:
    from infobargain.training import selfplay

    players = selfplay.train(job.config, job.run, show_progress=job.show_progress)
    options = {"rounds": job.settings.rounds, "pool": job.settings.pool, "decisions_counted": "learner's only"}
    return TrainedPlayers(players["sender"], players["receiver"], _decisions(job), options)


def train_rllib_ppo(job: TrainingJob) -> TrainedPlayers:
    from infobargain.training import rllib

    players = rllib.train(job.config, job.run, show_progress=job.show_progress)
    options = {"train_batch_size": job.settings.train_batch_size}
    return TrainedPlayers(players["sender"], players["receiver"], _decisions(job), options)


def train_regret_matching(job: TrainingJob) -> TrainedPlayers:
    """Regret matching+ in iterations of ``games`` games, checkpointed every ``run.checkpoint_every`` iterations
    (the tables and the random generator's state), so a resumed run continues exactly where it stopped. Each
    checkpoint also logs the greedy players' exact outcome (``greedy/<first>_first/<role>_payoff``): what the
    learning curves show, rather than the exploring play that trains them."""
    import torch

    from infobargain.agents.tabular import TabularPolicy
    from infobargain.envs.information_bargaining_v1 import raw_env
    from infobargain.progress import Progress
    from infobargain.training.players import OutcomeProbe
    from infobargain.training.regret import RegretLearner

    config, run, settings = job.config, job.run, job.settings
    env = raw_env(**{key: value for key, value in job.env_kwargs.items() if key != "render_mode"})

    def players(strategy: np.ndarray) -> dict[str, TabularPolicy]:
        return {role: TabularPolicy(strategy, env, role, spec=f"regret {role}") for role in ROLES}

    learner = RegretLearner(job.env_kwargs, settings, job.seed)
    tables = ("strategy", "regret", "values", "counts")
    used, iterations, elapsed = 0, 0, 0.0
    saved = run.load_checkpoint()
    if saved is not None:
        for name in tables:
            setattr(learner, name, saved[name].numpy().copy())
        learner.rng.bit_generator.state = json.loads(saved["rng"])
        used, iterations, elapsed = int(saved["step"]), int(saved["iterations"]), float(saved["wall_time"])
    started = time.perf_counter() - elapsed
    with Progress(job.budget, "regret matching+", job.show_progress, initial=used, unit="step") as bar:
        while True:
            games = min(settings.games, (job.budget - used) // learner.max_decisions)
            if games < 1:
                break
            played = learner.iterate(games)
            used, iterations = used + played, iterations + 1
            bar.update(played)
            if iterations % config.run.checkpoint_every and (job.budget - used) // learner.max_decisions >= 1:
                continue
            wall = time.perf_counter() - started
            metrics: dict[str, float] = {"iterations": iterations, "wall_time": wall}
            greedy = players(learner.strategy)
            for first, outcome in OutcomeProbe(job.env_kwargs, greedy["sender"], greedy["receiver"])().items():
                for role, payoff in zip(ROLES, outcome, strict=True):
                    metrics[f"greedy/{first}_first/{role}_payoff"] = float(payoff)
            run.log(used, metrics)
            state: dict[str, Any] = {
                name: torch.from_numpy(np.ascontiguousarray(getattr(learner, name))) for name in tables
            }
            state.update(rng=json.dumps(learner.rng.bit_generator.state), step=used, iterations=iterations)
            run.save_checkpoint({**state, "wall_time": wall}, used)
    paths = {}
    for side, player in players(learner.strategy).items():
        paths[side] = run.players / f"{side}.npz"
        player.save(paths[side])
    options = {"accept_ties": settings.accept_ties, "games": settings.games, "value_step": settings.value_step}
    return TrainedPlayers(paths["sender"], paths["receiver"], used, options)
