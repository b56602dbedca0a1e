"""Iterated best response (IBR) with Stable-Baselines3: the two sides take turns learning against each other.

Read top to bottom:

1. The run is a sequence of **phases**: ``sb3_ibr.rounds`` rounds, each training ``sb3_ibr.first_learner`` and then
   the other side. ``run.total_steps`` (learner decisions) is split evenly across the phases.
2. In a phase the learner trains with :mod:`infobargain.training.sb3`'s machinery against a **frozen** copy of
   the other side: its latest snapshot (``sb3_ibr.pool = false``) or, with ``sb3_ibr.pool = true``, a uniform pool
   of all its snapshots so far (a :class:`~infobargain.agents.pool.PolicyPool` draws one per
   episode). The first learner of the first round, with no snapshot to face, meets ``sb3_ibr.start``
   (``"random"`` by default), which also stays in its pool.
3. Each side keeps one model for the whole run (warm start): a phase continues the side's previous
   training rather than starting afresh. At the end of a phase the learner is frozen into
   ``snapshots/ROLE_RR.zip``.

Run directory: ``snapshots/`` beside the usual contents; each metrics row carries ``ibr/round``,
``ibr/phase`` and ``ibr/learner`` (0 sender, 1 receiver), and its ``greedy/*`` columns are the exact outcome
of the two sides' latest models. **Resume** works as for :mod:`~infobargain.training.sb3` (the same caveat:
not bit for bit); the checkpoint also holds both models, the phase and the snapshot list. Extending
``run.total_steps`` on resume lengthens the phases not yet finished.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gymnasium
import torch

from infobargain.agents import PlayerSpec
from infobargain.agents.sb3 import load_sb3_model, model_bytes, save_sb3_player
from infobargain.game.protocol import ROLES, Role, other
from infobargain.progress import Progress
from infobargain.training.config import RunConfig
from infobargain.training.players import OutcomeProbe, first_proposers
from infobargain.training.rundir import RunDirectory
from infobargain.training.sb3 import (
    RunCallback,
    build_model,
    check_role,
    live_player,
    make_vec_env,
    resolve_algorithm,
    seed_for,
    silent_logger,
)


def phases(rounds: int, first_learner: Role) -> list[tuple[int, Role]]:
    """``(round, learner)`` of every phase, in order (rounds numbered from 1)."""
    return [(r, role) for r in range(1, rounds + 1) for role in (first_learner, other(first_learner))]


def phase_end(total_steps: int, phase: int, count: int) -> int:
    """The run step at which phase ``phase`` (0-based) of ``count`` ends."""
    return total_steps * (phase + 1) // count


class SelfPlayState:
    """Everything IBR carries between phases (and saves in checkpoints)."""

    def __init__(self, run: RunDirectory, start: str, first_learner: Role) -> None:
        self.run = run
        self.start = start
        self.first_learner: Role = first_learner
        self.phase = 0
        self.step = 0
        self.wall_time = 0.0
        self.models: dict[Role, Any] = {}
        self.snapshots: dict[Role, list[str]] = {role: [] for role in ROLES}
        """Frozen copies of each side, as paths relative to the run directory, oldest first."""

    def opponent(self, learner: Role, pool: bool) -> PlayerSpec:
        """What ``learner`` trains against now: the other side's latest snapshot, or the pool of all of them
        (``sb3_ibr.start`` included for the side that met it first)."""
        frozen: list[PlayerSpec] = [str(self.run.path / name) for name in self.snapshots[other(learner)]]
        if not pool:
            return frozen[-1] if frozen else self.start
        return [self.start, *frozen] if learner == self.first_learner else frozen

    def current(self, role: Role, env_kwargs: Mapping[str, Any]) -> PlayerSpec:
        """The latest version of ``role`` (its live model, or ``sb3_ibr.start`` before it has one)."""
        model = self.models.get(role)
        return self.start if model is None else live_player(model, env_kwargs, role)

    def snapshot(self, learner: Role, round_index: int) -> None:
        folder = self.run.path / "snapshots"
        folder.mkdir(exist_ok=True)
        name = f"snapshots/{learner}_{round_index:02d}.zip"
        save_sb3_player(self.models[learner], self.run.path / name, role=learner)
        if name not in self.snapshots[learner]:
            self.snapshots[learner].append(name)

    def save(self, step: int, wall_time: float) -> None:
        state = {
            "backend": "ibr",
            "phase": self.phase,
            "models": {role: model_bytes(model, role) for role, model in self.models.items()},
            "snapshots": {role: list(names) for role, names in self.snapshots.items()},
            "wall_time": wall_time,
            "step": step,
        }
        self.run.save_checkpoint(state, step)

    def restore(self, checkpoint: Mapping[str, Any]) -> None:
        self.phase, self.step = int(checkpoint["phase"]), int(checkpoint["step"])
        self.wall_time = float(checkpoint["wall_time"])
        self.snapshots = {role: list(checkpoint["snapshots"][role]) for role in ROLES}
        self.models = {role: load_sb3_model(data) for role, data in checkpoint["models"].items()}


def train(config: RunConfig, run: RunDirectory, *, show_progress: bool = True) -> dict[str, Path]:
    """The ``sb3_ibr`` algorithm: iterated best response; returns the saved players' paths (both sides' last models)."""
    torch.set_num_threads(config.run.threads)
    settings, ibr, seed = config.sb3, config.settings, config.run.seed
    if ibr.rounds < 1:
        raise ValueError(f"sb3_ibr.rounds: must be >= 1, got {ibr.rounds}")
    first_learner = check_role(ibr.first_learner, "sb3_ibr.first_learner")
    schedule = phases(ibr.rounds, first_learner)
    env_kwargs = dict(config.env)
    state = SelfPlayState(run, ibr.start, first_learner)
    checkpoint = run.load_checkpoint()
    if checkpoint is not None:
        state.restore(checkpoint)
        run.truncate_metrics(state.step)

    total = config.run.total_steps
    with Progress(total, "iterated best response", show_progress, initial=min(state.step, total), unit="step") as bar:
        while state.phase < len(schedule):
            round_index, learner = schedule[state.phase]
            end = phase_end(total, state.phase, len(schedule))
            env = make_vec_env(
                env_kwargs, learner, state.opponent(learner, ibr.pool), settings.n_envs, settings.vec_env
            )
            name = resolve_algorithm(settings.algorithm, isinstance(env.action_space, gymnasium.spaces.Discrete))
            model = state.models.get(learner)
            if model is None:
                model = build_model(name, env, settings, seed_for(seed, state.phase))
                state.models[learner] = model
            else:
                model.set_env(env)
                model.set_random_seed(seed_for(seed, state.phase, state.step))
            probe = None
            if settings.log_greedy:
                probe = OutcomeProbe(
                    env_kwargs, state.current("sender", env_kwargs), state.current("receiver", env_kwargs)
                )
            callback = RunCallback(
                run,
                bar,
                learner=learner,
                firsts=first_proposers(env_kwargs),
                algorithm=name,
                save_checkpoint=state.save,
                log_every=settings.n_steps * settings.n_envs,
                checkpoint_every=config.run.checkpoint_every,
                step_offset=state.step - model.num_timesteps,
                wall_offset=state.wall_time,
                probe=probe,
                columns={"ibr/round": round_index, "ibr/phase": state.phase, "ibr/learner": ROLES.index(learner)},
            )
            if state.step < end:
                model.set_logger(silent_logger())
                model.learn(end - state.step, callback=callback, reset_num_timesteps=False, log_interval=None)  # type: ignore[arg-type]
                state.step, state.wall_time = callback.step, callback.wall_time
            env.close()
            state.snapshot(learner, round_index)
            state.phase += 1
            state.save(state.step, state.wall_time)

    paths: dict[str, Path] = {}
    for role in ROLES:
        if role in state.models:
            paths[role] = save_sb3_player(state.models[role], run.players / f"{role}.zip", role=role)
    return paths
