"""Stable-Baselines3: one side learns against a fixed opponent, through the Gymnasium views.

Read top to bottom:

1. :class:`TrainingView` is ``infobargain/Sender-v1`` or ``infobargain/Receiver-v1`` with the opponent bound to
   the view's own game and reset at every episode; :func:`make_vec_env` puts ``n_envs`` of them in SB3's
   ``DummyVecEnv`` (or ``SubprocVecEnv``).
2. :func:`build_model` picks the algorithm: MaskablePPO for the discrete offer spaces (``frontier``, ``grid``),
   PPO for ``scheme`` (SAC on request).
3. :class:`RunCallback` writes the run directory while SB3 trains: one metrics row per rollout (the learner's
   episode payoffs per first proposer, deal rates, the greedy pair's exact outcome, SB3's losses), a
   checkpoint every ``run.checkpoint_every`` rows, and the progress bar.
4. :func:`train` (the ``sb3`` backend of :mod:`infobargain.training.runner`) ties them together and saves
   ``players/LEARNER.zip`` and the opponent (``players/OPPONENT.json`` for a named player).

**Resume.** A checkpoint holds the model zip (weights, optimizer state, ``num_timesteps``) taken right after a
policy update, so an interrupted run continues from its last checkpoint with ``reset_num_timesteps=False``:
the step count and the learning-rate schedule continue, metrics rows after the checkpoint are dropped and
written again, and the run ends with the same number of steps. It does **not** reproduce the uninterrupted
run bit for bit: SB3 does not checkpoint the environments' random state, the partly collected rollout or
(SAC) the replay buffer, so the resumed run reseeds its environments from ``(seed, step)`` and starts a
fresh rollout.

Budgets are in learner decisions (SB3 timesteps); PPO finishes its last rollout, so a run may exceed
``run.total_steps`` by less than one rollout (``n_steps · n_envs``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecEnv

from infobargain.agents import PlayerSpec, bind_policy
from infobargain.agents.base import Observation
from infobargain.agents.sb3 import SB3Policy, algorithm_class, load_sb3_model, model_bytes, save_sb3_player
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.envs.registration import RECEIVER_ID, SENDER_ID, register_envs
from infobargain.envs.single_agent import SingleAgentView
from infobargain.game.protocol import ROLES, Role, other
from infobargain.progress import Progress
from infobargain.training.config import RunConfig
from infobargain.training.players import OutcomeProbe, first_proposers
from infobargain.training.rundir import RunDirectory
from infobargain.training.settings import SB3Section

VIEW_IDS: dict[Role, str] = {"sender": SENDER_ID, "receiver": RECEIVER_ID}
TRAINED_ALGORITHMS = ("MaskablePPO", "PPO", "SAC")
VEC_ENVS = ("dummy", "subproc")
TRAIN_STATS: dict[str, tuple[str, ...]] = {
    "MaskablePPO": ("policy_gradient_loss", "value_loss", "entropy_loss", "approx_kl", "clip_fraction"),
    "PPO": ("policy_gradient_loss", "value_loss", "entropy_loss", "approx_kl", "clip_fraction"),
    "SAC": ("actor_loss", "critic_loss", "ent_coef"),
}
"""SB3's own training statistics copied into each metrics row (NaN before the first update)."""


def check_role(role: str, name: str) -> Role:
    if role not in ROLES:
        raise ValueError(f"{name}: must be 'sender' or 'receiver', got {role!r}")
    return role  # type: ignore[return-value]


def seed_for(*parts: int) -> int:
    """A 32-bit seed drawn from ``parts`` (SB3 seeds numpy's global generator, which takes 32 bits)."""
    return int(np.random.SeedSequence([abs(int(p)) for p in parts]).generate_state(1)[0])


# 1. environments


def _not_bound(observation: Observation) -> Any:
    raise RuntimeError("opponent: not bound yet")


class TrainingView(gymnasium.Wrapper):
    """A Gymnasium view whose opponent is bound to the view's own game and reset at every episode.

    The view itself resets its opponent only when reset with a seed; this wrapper also resets it on the
    unseeded resets of SB3's auto-reset, with seeds drawn from a generator seeded by the last seeded reset,
    so a :class:`~infobargain.agents.pool.PolicyPool` draws a new member every episode, reproducibly.
    """

    def __init__(self, role: Role, opponent: PlayerSpec, env_kwargs: Mapping[str, Any]) -> None:
        register_envs()
        view = gymnasium.make(VIEW_IDS[role], opponent=_not_bound, **env_kwargs)
        super().__init__(view)
        core: SingleAgentView = view.unwrapped  # type: ignore[assignment]
        self.opponent = bind_policy(opponent, core.game, other(role))
        core.opponent, core.opponent_policy = self.opponent.act, self.opponent
        self._seeds = np.random.default_rng()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        if seed is not None:
            self._seeds = np.random.default_rng(seed)  # the view resets the opponent with seed + 1 itself
        else:
            self.opponent.reset(int(self._seeds.integers(2**63)))
        return self.env.reset(seed=seed, options=options)  # type: ignore[no-any-return]

    def action_masks(self) -> np.ndarray:
        return self.env.unwrapped.action_masks()  # type: ignore[attr-defined, no-any-return]


def make_vec_env(
    env_kwargs: Mapping[str, Any], role: Role, opponent: PlayerSpec, n_envs: int, kind: str = "dummy"
) -> VecEnv:
    """``n_envs`` training views of ``role`` against ``opponent`` as an SB3 VecEnv (seeded by the model)."""
    if kind not in VEC_ENVS:
        raise ValueError(f"sb3.vec_env: must be one of {VEC_ENVS}, got {kind!r}")
    if n_envs < 1:
        raise ValueError(f"sb3.n_envs: must be >= 1, got {n_envs}")
    kwargs = dict(env_kwargs)
    factories: list[Callable[[], gymnasium.Env]] = [lambda: TrainingView(role, opponent, kwargs)] * n_envs
    return SubprocVecEnv(factories) if kind == "subproc" else DummyVecEnv(factories)


# 2. models


def resolve_algorithm(name: str, discrete: bool) -> str:
    """``auto`` → MaskablePPO for discrete offers, PPO for ``scheme``; explicit names are checked."""
    if name == "auto":
        return "MaskablePPO" if discrete else "PPO"
    if name not in TRAINED_ALGORITHMS:
        raise ValueError(f"sb3.algorithm: must be 'auto' or one of {TRAINED_ALGORITHMS}, got {name!r}")
    if discrete and name == "SAC":
        raise ValueError("sb3.algorithm: SAC needs continuous actions (env.offer_space = 'scheme')")
    if not discrete and name == "MaskablePPO":
        raise ValueError("sb3.algorithm: MaskablePPO needs discrete offers (env.offer_space = 'frontier' or 'grid')")
    return name


def silent_logger() -> Any:
    """An SB3 logger that keeps values for our callback but writes nothing: SB3's default makes a directory
    under the system's temporary folder on every ``learn`` call (metrics go to the run directory instead)."""
    from stable_baselines3.common.logger import Logger

    return Logger(folder=None, output_formats=[])


def build_model(name: str, env: VecEnv, settings: SB3Section, seed: int) -> Any:
    """A fresh SB3 model of algorithm ``name`` with the run's hyper-parameters, on the CPU."""
    policy_kwargs = {"net_arch": [settings.hidden_size, settings.hidden_size]}
    common = {"learning_rate": settings.learning_rate, "gamma": settings.gamma, "seed": seed, "device": "cpu"}
    if name == "SAC":
        return algorithm_class(name)(
            "MlpPolicy",
            env,
            batch_size=settings.batch_size,
            ent_coef=settings.ent_coef,
            buffer_size=100_000,
            learning_starts=settings.n_steps,
            policy_kwargs=policy_kwargs,
            **common,
        )
    return algorithm_class(name)(
        "MlpPolicy",
        env,
        n_steps=settings.n_steps,
        batch_size=settings.batch_size,
        n_epochs=settings.n_epochs,
        gae_lambda=settings.gae_lambda,
        ent_coef=settings.ent_coef,
        policy_kwargs=policy_kwargs,
        **common,
    )


def live_player(model: Any, env_kwargs: Mapping[str, Any], role: Role) -> SB3Policy:
    """The model being trained as a greedy player (it shares the weights, so it always plays the latest)."""
    kwargs = {key: value for key, value in env_kwargs.items() if key != "render_mode"}
    return SB3Policy(model, raw_env(**kwargs), role, spec=f"{type(model).__name__} (training)")


# 3. the run directory while SB3 trains


class RunCallback(BaseCallback):
    """Metrics rows, checkpoints and the progress bar of one SB3 ``learn`` call.

    A row is written at the start of each rollout (so right after the policy update that ended the previous
    one, with that update's losses) once ``log_every`` steps have passed, and at the end of training. A
    checkpoint follows every ``checkpoint_every`` rows and the end of training: it is taken after an update
    and after the row for those steps, so a resumed run neither loses nor repeats rows.

    ``step_offset`` maps the model's ``num_timesteps`` to the run's step (iterated best response trains two
    models in turn); ``columns`` are constant columns of every row; ``probe`` returns the greedy pair's
    outcome per first proposer; ``save_checkpoint(step, wall_time)`` writes the trainer's checkpoint.
    """

    def __init__(
        self,
        run: RunDirectory,
        bar: Progress,
        *,
        learner: Role,
        firsts: tuple[Role, ...],
        algorithm: str,
        save_checkpoint: Callable[[int, float], None],
        log_every: int,
        checkpoint_every: int,
        step_offset: int = 0,
        wall_offset: float = 0.0,
        probe: Callable[[], Mapping[Role, np.ndarray]] | None = None,
        columns: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__()
        self.run, self.bar = run, bar
        self.learner, self.firsts, self.algorithm = learner, firsts, algorithm
        self.save_checkpoint = save_checkpoint
        self.log_every, self.checkpoint_every = log_every, checkpoint_every
        self.step_offset, self.wall_offset = step_offset, wall_offset
        self.probe = probe
        self.columns = dict(columns or {})
        self.episodes: list[tuple[Role, np.ndarray, bool, int, bool]] = []
        self.rows_since_checkpoint = 0

    @property
    def step(self) -> int:
        """The run's step now."""
        return self.step_offset + self.num_timesteps

    @property
    def wall_time(self) -> float:
        """Seconds of training in this run so far (across resumes)."""
        return self.wall_offset + time.perf_counter() - self.started

    def _on_training_start(self) -> None:
        self.started = time.perf_counter()
        self.last_row_step = self.last_bar_step = self.step
        self.last_row_time = self.wall_time

    def _on_step(self) -> bool:
        for done, info in zip(self.locals["dones"], self.locals["infos"], strict=True):
            outcome = info.get("outcome") if done else None
            if outcome is not None and outcome.get("payoffs") is not None:
                self.episodes.append(
                    (
                        info["first_proposer"],
                        np.asarray(outcome["payoffs"], dtype=np.float64),
                        bool(outcome["deal"]),
                        int(outcome["end_round"]),
                        bool(info.get("illegal_action", False)),
                    )
                )
        return True

    def _on_rollout_start(self) -> None:
        if self.step - self.last_row_step >= self.log_every:
            self._row()

    def _on_rollout_end(self) -> None:
        self._advance_bar()

    def _on_training_end(self) -> None:
        self._advance_bar()
        if self.step > self.last_row_step:
            self._row(checkpoint=False)
        self.save_checkpoint(self.step, self.wall_time)
        self.rows_since_checkpoint = 0

    def _advance_bar(self) -> None:
        me = 0 if self.learner == "sender" else 1
        payoffs = [payoffs[me] for _, payoffs, *_ in self.episodes[-200:]]
        postfix = {f"{self.learner}_payoff": float(np.mean(payoffs))} if payoffs else {}
        self.bar.update(self.step - self.last_bar_step, **postfix)
        self.last_bar_step = self.step

    def metrics(self) -> dict[str, float]:
        """The row for the episodes since the previous row."""
        me = 0 if self.learner == "sender" else 1
        metrics: dict[str, float] = {}
        for first in self.firsts:
            mine = [e for e in self.episodes if e[0] == first]
            payoffs = np.array([e[1] for e in mine]) if mine else np.full((1, 2), math.nan)
            metrics[f"{first}_first/sender_payoff"] = float(payoffs[:, 0].mean())
            metrics[f"{first}_first/receiver_payoff"] = float(payoffs[:, 1].mean())
            metrics[f"{first}_first/deal_rate"] = float(np.mean([e[2] for e in mine])) if mine else math.nan
            metrics[f"{first}_first/end_round"] = float(np.mean([e[3] for e in mine])) if mine else math.nan
        count = len(self.episodes)
        metrics["learner_payoff"] = float(np.mean([e[1][me] for e in self.episodes])) if count else math.nan
        metrics["episodes"] = float(count)
        metrics["illegal_rate"] = float(np.mean([e[4] for e in self.episodes])) if count else math.nan
        if self.probe is not None:
            for first, payoffs in self.probe().items():
                metrics[f"greedy/{first}_first/sender_payoff"] = float(payoffs[0])
                metrics[f"greedy/{first}_first/receiver_payoff"] = float(payoffs[1])
        logged = self.model.logger.name_to_value
        for key in TRAIN_STATS.get(self.algorithm, ()):
            metrics[f"train/{key}"] = float(logged.get(f"train/{key}", math.nan))
        wall = self.wall_time
        metrics["fps"] = (self.step - self.last_row_step) / max(wall - self.last_row_time, 1e-9)
        metrics["wall_time"] = wall
        metrics.update(self.columns)
        return metrics

    def _row(self, *, checkpoint: bool = True) -> None:
        metrics = self.metrics()
        self.run.log(self.step, metrics)
        self.episodes.clear()
        self.last_row_step, self.last_row_time = self.step, metrics["wall_time"]
        self.rows_since_checkpoint += 1
        if checkpoint and self.rows_since_checkpoint >= self.checkpoint_every:
            self.save_checkpoint(self.step, metrics["wall_time"])
            self.rows_since_checkpoint = 0


# 4. the backend


def save_opponent(spec: PlayerSpec, folder: Path, role: Role) -> Path | None:
    """Save a fixed opponent beside the learner so :func:`~infobargain.agents.load_policy` rebuilds it.

    A name becomes ``ROLE.json`` (``{"policy": NAME}``); a saved-player file is copied with its suffix; a
    ``Policy`` object saves itself where it knows how. Returns ``None`` when it cannot be saved.
    """
    import json
    import shutil

    for stale in folder.glob(f"{role}.*"):
        stale.unlink()
    path = Path(spec) if isinstance(spec, (str, Path)) else None
    if path is not None and path.is_file():
        target = folder / f"{role}{path.suffix}"
        shutil.copyfile(path, target)
        return target
    if isinstance(spec, (str, Path)):
        name = str(path.resolve()) if path is not None and path.exists() else str(spec)
        target = folder / f"{role}.json"
        target.write_text(json.dumps({"policy": name, "role": role}) + "\n")
        return target
    suffix = {"SB3Policy": ".zip", "TorchPolicy": ".pt"}.get(type(spec).__name__, ".json")
    try:
        target = folder / f"{role}{suffix}"
        spec.save(target)  # type: ignore[union-attr]
    except (TypeError, NotImplementedError, AttributeError):
        return None
    return target


@dataclass
class Trained:
    """What :func:`train_model` leaves: the trained model and the saved players' paths per role."""

    model: Any
    players: dict[str, Path]


def train_model(
    config: RunConfig,
    run: RunDirectory,
    *,
    env_kwargs: Mapping[str, Any] | None = None,
    opponent: PlayerSpec | None = None,
    show_progress: bool = True,
) -> Trained:
    """Train ``config.sb3.learner`` against a fixed opponent into ``run`` (continuing its checkpoint if any).

    ``env_kwargs`` and ``opponent`` default to ``config.env`` and ``config.sb3.opponent``; passing them lets a
    caller train on games or against ``Policy`` objects that a TOML config cannot hold.
    """
    torch.set_num_threads(config.run.threads)
    settings, seed = config.sb3, config.run.seed
    env_kwargs = dict(config.env if env_kwargs is None else env_kwargs)
    opponent = settings.opponent if opponent is None else opponent
    learner = check_role(settings.learner, "sb3.learner")
    env = make_vec_env(env_kwargs, learner, opponent, settings.n_envs, settings.vec_env)
    name = resolve_algorithm(settings.algorithm, isinstance(env.action_space, gymnasium.spaces.Discrete))

    checkpoint = run.load_checkpoint()
    if checkpoint is None:
        model, wall_offset = build_model(name, env, settings, seed), 0.0
    else:
        model = load_sb3_model(checkpoint["model"], env=env)
        model.set_random_seed(seed_for(seed, model.num_timesteps))
        wall_offset = float(checkpoint["wall_time"])
        run.truncate_metrics(model.num_timesteps)

    def save_checkpoint(step: int, wall_time: float) -> None:
        run.save_checkpoint({"backend": "sb3", "model": model_bytes(model, learner), "wall_time": wall_time}, step)

    probe = None
    if settings.log_greedy:
        pair = {learner: live_player(model, env_kwargs, learner), other(learner): opponent}
        probe = OutcomeProbe(env_kwargs, pair["sender"], pair["receiver"])

    total = config.run.total_steps
    with Progress(
        total, f"sb3 {name} {learner}", show_progress, initial=min(model.num_timesteps, total), unit="step"
    ) as bar:
        callback = RunCallback(
            run,
            bar,
            learner=learner,
            firsts=first_proposers(env_kwargs),
            algorithm=name,
            save_checkpoint=save_checkpoint,
            log_every=settings.n_steps * settings.n_envs,
            checkpoint_every=config.run.checkpoint_every,
            wall_offset=wall_offset,
            probe=probe,
        )
        if model.num_timesteps < total:
            model.set_logger(silent_logger())
            model.learn(total - model.num_timesteps, callback=callback, reset_num_timesteps=False, log_interval=None)  # type: ignore[arg-type]
    env.close()
    players: dict[str, Path] = {learner: save_sb3_player(model, run.players / f"{learner}.zip", role=learner)}
    saved = save_opponent(opponent, run.players, other(learner))
    if saved is not None:
        players[other(learner)] = saved
    return Trained(model, players)


def train(config: RunConfig, run: RunDirectory, *, show_progress: bool = True) -> dict[str, Path]:
    """The ``sb3`` backend: train one side against a fixed opponent; returns the saved players' paths."""
    return train_model(config, run, show_progress=show_progress).players
