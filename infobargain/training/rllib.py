"""Ray RLlib backend: PPO for both players on a Ray cluster (or a local Ray), same configs and run directories.

- **Game**: the PettingZoo AEC env through RLlib's ``PettingZooEnv`` wrapper (turn-based: only the agent to
  move observes and acts, so every sampled environment step is one decision, as ``run.total_steps`` counts),
  with observations renamed and cast by :func:`infobargain.agents.rllib.rllib_observation`.
- **Players**: two RLModules (``sender_0`` → ``"sender"``, ``receiver_0`` → ``"receiver"``), each
  :class:`~infobargain.agents.rllib_module.MaskedPPOModule`, trained by RLlib's PPO on the new API stack.
- **Cluster**: ``[rllib] address`` (or ``RAY_ADDRESS``) attaches to a running cluster, where every node needs
  ``infobargain[rllib]`` installed; otherwise a local Ray is started and shut down again.
- **Run directory**: RLlib's algorithm checkpoint goes to ``checkpoints/rllib/step_N/`` (written to a temporary
  name, then renamed); ``checkpoints/latest.pt`` is the library's usual atomic pointer to it, so ``--resume``
  and the "already holds a run" guard work as for every backend. Metrics go through ``RunDirectory.log``;
  the players are saved as ``players/sender.rllib/`` and ``players/receiver.rllib/`` (RLModule checkpoints,
  see :mod:`infobargain.agents.rllib`).

Unlike ``[mappo]``, RLlib's sampling across actors is not bit-for-bit reproducible; a resumed run continues
from the checkpointed weights, optimizer and counters.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import warnings
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.callbacks.callbacks import RLlibCallback
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
from ray.rllib.core.rl_module.rl_module import RLModule, RLModuleSpec
from ray.rllib.env.wrappers.pettingzoo_env import PettingZooEnv
from ray.rllib.utils.metrics import ENV_RUNNER_RESULTS, LEARNER_RESULTS, NUM_ENV_STEPS_SAMPLED, NUM_EPISODES

from infobargain.agents.rllib import rllib_observation, rllib_observation_space, save_rllib_player
from infobargain.agents.rllib_module import MaskedPPOModule
from infobargain.envs import information_bargaining_v1
from infobargain.envs.information_bargaining_v1 import ROLE_OF
from infobargain.files import atomic_path
from infobargain.game.instance import Instance
from infobargain.game.protocol import ROLES
from infobargain.progress import Progress
from infobargain.training.config import ConfigError, RunConfig
from infobargain.training.rundir import RunDirectory
from infobargain.training.settings import RLlibSection

FORMAT = "infobargain-rllib"
LEARNER_MODULES = Path("learner_group", "learner", "rl_module")
"""Where an RLlib algorithm checkpoint keeps each trained RLModule."""


class BargainingEnv(PettingZooEnv):  # type: ignore[misc]
    """The AEC env as an RLlib multi-agent env, observations adapted for :class:`MaskedPPOModule`."""

    def __init__(self, env_config: dict[str, Any] | None = None) -> None:
        super().__init__(
            information_bargaining_v1.env(info_format="full", illegal_action="raise", **(env_config or {}))
        )
        game = self.env.unwrapped
        spaces: dict[str, gymnasium.Space] = {
            agent: rllib_observation_space(game.observation_space(agent)) for agent in game.possible_agents
        }
        self.observation_spaces: Any = spaces
        self.observation_space = gymnasium.spaces.Dict(spaces)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        observations, infos = super().reset(seed=seed, options=options)
        return _adapt(observations), infos

    def step(self, actions: Any) -> Any:
        observations, *rest = super().step(actions)
        return (_adapt(observations), *rest)


def _adapt(observations: dict[str, Any]) -> dict[str, Any]:
    return {agent: rllib_observation(observation) for agent, observation in observations.items()}


def module_for(agent_id: Any, episode: Any = None, **kwargs: Any) -> str:
    """RLlib's agent → module mapping: ``sender_0`` → ``"sender"``, ``receiver_0`` → ``"receiver"``."""
    return ROLE_OF[agent_id]


class OutcomeMetrics(RLlibCallback):  # type: ignore[misc]
    """Logs each episode's returns per player, and its payoffs and deal per first proposer under the names
    ``[mappo]`` uses; means over each iteration's episodes (RLlib's own return means are windowed)."""

    def on_episode_end(
        self, *, episode: Any, prev_episode_chunks: list[Any] | None = None, metrics_logger: Any = None, **kwargs: Any
    ) -> None:
        if metrics_logger is None:
            return
        returns = dict.fromkeys(ROLES, 0.0)
        for chunk in [*(prev_episode_chunks or []), episode]:  # an episode cut across sample() calls
            for agent, single in chunk.agent_episodes.items():
                returns[ROLE_OF[agent]] += float(single.get_return())
        for role, value in returns.items():
            metrics_logger.log_value(f"{role}/episode_return_mean", value, reduce="mean")
        infos = [info for info in episode.get_infos(-1).values() if info and "outcome" in info]
        if not infos or infos[0]["outcome"]["payoffs"] is None:
            return
        outcome, first = infos[0]["outcome"], infos[0]["first_proposer"]
        values = {
            "sender_payoff": outcome["payoffs"][0],
            "receiver_payoff": outcome["payoffs"][1],
            "deal_rate": float(outcome["deal"]),
            "end_round": float(outcome["end_round"]),
        }
        for name, value in values.items():
            metrics_logger.log_value(f"{first}_first/{name}", value, reduce="mean")


def env_config(config: RunConfig) -> dict[str, Any]:
    """The env's arguments for the (possibly remote) env runners: an instance file is read here, on the driver,
    so the nodes of a cluster need not share the driver's files."""
    kwargs = dict(config.env)
    game = kwargs.get("game")
    if isinstance(game, str) and game.endswith(".json"):
        kwargs["game"] = Instance.load(game)
    return kwargs


def check_settings(settings: RLlibSection) -> None:
    for key in ("train_batch_size", "minibatch_size", "num_epochs", "hidden_size", "num_envs_per_env_runner"):
        if getattr(settings, key) < 1:
            raise ConfigError(f"rllib_ppo.{key}: must be >= 1")
    for key in ("num_env_runners", "num_learners", "num_cpus_per_env_runner", "num_gpus_per_learner", "iterations"):
        if getattr(settings, key) < 0:
            raise ConfigError(f"rllib_ppo.{key}: must be >= 0")
    if settings.minibatch_size > settings.train_batch_size:
        raise ConfigError("rllib_ppo.minibatch_size: must be <= rllib_ppo.train_batch_size")


def algorithm_config(config: RunConfig) -> PPOConfig:
    """The RLlib PPO configuration of a run."""
    settings = config.settings
    check_settings(settings)
    model_config = {
        "fcnet_hiddens": [settings.hidden_size, settings.hidden_size],
        "fcnet_activation": "tanh",
        "vf_share_layers": False,
    }
    return (
        PPOConfig()
        # RLlib's env check steps with unmasked random actions, which the env rightly rejects as illegal.
        .environment(BargainingEnv, env_config=env_config(config), disable_env_checking=True)
        .multi_agent(policies=set(ROLES), policy_mapping_fn=module_for)
        .rl_module(
            rl_module_spec=MultiRLModuleSpec(
                rl_module_specs={
                    role: RLModuleSpec(module_class=MaskedPPOModule, model_config=model_config) for role in ROLES
                }
            )
        )
        .env_runners(
            num_env_runners=settings.num_env_runners,
            num_envs_per_env_runner=settings.num_envs_per_env_runner,
            num_cpus_per_env_runner=settings.num_cpus_per_env_runner,
            # RLlib 2.60 converts every finished episode of a sample() call to numpy again at each env step:
            # quadratic in the number of (short) episodes, which made sampling 5-7x slower here.
            episodes_to_numpy=False,
        )
        .learners(num_learners=settings.num_learners, num_gpus_per_learner=settings.num_gpus_per_learner)
        .training(
            train_batch_size_per_learner=settings.train_batch_size // max(1, settings.num_learners),
            minibatch_size=settings.minibatch_size,
            num_epochs=settings.num_epochs,
            lr=settings.learning_rate,
            entropy_coeff=settings.entropy_coef,
            gamma=settings.gamma,
            lambda_=settings.gae_lambda,
        )
        .callbacks(OutcomeMetrics)
        .debugging(seed=config.run.seed, log_level="ERROR")
    )


def connect(address: str) -> bool:
    """Attach to the Ray cluster at ``address`` (or ``RAY_ADDRESS``), or start a local Ray; returns whether this
    call started Ray (and so should shut it down). A Ray already initialised in this process is reused."""
    import ray

    if ray.is_initialized():
        return False
    target = address or os.environ.get("RAY_ADDRESS") or None
    ray.init(address=target, include_dashboard=False if target is None else None, logging_level=logging.ERROR)
    return True


OUTCOMES = ("sender_payoff", "receiver_payoff", "deal_rate", "end_round")
LOSSES = ("policy_loss", "vf_loss", "entropy", "mean_kl_loss")


def check_resources(settings: RLlibSection) -> None:
    """Fail clearly, instead of waiting forever, when the cluster lacks the CPUs the actors ask for."""
    import ray

    wanted = settings.num_env_runners * settings.num_cpus_per_env_runner
    if settings.num_learners and not settings.num_gpus_per_learner:
        wanted += settings.num_learners  # a CPU learner actor takes one CPU
    available = ray.cluster_resources().get("CPU", 0.0)
    if wanted > available:
        raise ConfigError(
            f"rllib: the actors need {wanted} CPUs (num_env_runners × num_cpus_per_env_runner"
            f"{' + num_learners' if settings.num_learners else ''}), the Ray cluster has {available:g}"
        )


def iteration_metrics(result: dict[str, Any], seconds: float) -> dict[str, float]:
    """The row logged after one training iteration. Every row has the same columns (NaN where an iteration
    finished no episode of a kind), because metrics.csv takes its header from the first row."""
    runners = result.get(ENV_RUNNER_RESULTS, {})
    learners = result.get(LEARNER_RESULTS, {})
    sampled = float(runners.get(NUM_ENV_STEPS_SAMPLED, 0))
    metrics: dict[str, float] = {
        "env_steps_sampled": sampled,
        "episodes": float(runners.get(NUM_EPISODES, 0)),
        "steps_per_second": sampled / seconds if seconds > 0 else 0.0,
    }
    for role in ROLES:
        metrics[f"{role}/episode_return_mean"] = float(runners.get(f"{role}/episode_return_mean", np.nan))
    for first in ROLES:
        for name in OUTCOMES:
            metrics[f"{first}_first/{name}"] = float(runners.get(f"{first}_first/{name}", np.nan))
    for role in ROLES:
        for key in LOSSES:
            metrics[f"{role}/{key}"] = float(learners.get(role, {}).get(key, np.nan))
    return metrics


def save_algorithm(algorithm: Any, run: RunDirectory, state: dict[str, Any]) -> Path:
    """Checkpoint the algorithm under ``checkpoints/rllib/`` and point ``latest.pt`` at it; the algorithm
    checkpoints of numbered checkpoints that ``run.keep_checkpoints`` no longer keeps are removed with them."""
    folder = run.checkpoints / "rllib"
    folder.mkdir(exist_ok=True)
    final = folder / f"step_{state['step']:09d}"
    with atomic_path(final) as temporary:
        algorithm.save_to_path(str(temporary.resolve()))
        shutil.rmtree(final, ignore_errors=True)  # left by a run killed between the rename and the pointer
    run.save_checkpoint(
        {**state, "format": FORMAT, "rllib_checkpoint": str(final.relative_to(run.checkpoints))}, state["step"]
    )
    kept = {f"step_{step:09d}" for step in run.numbered_checkpoints()}
    for older in folder.iterdir():  # the algorithm checkpoints whose numbered checkpoint retention dropped
        if older.name.startswith("step_") and older.name not in kept:
            shutil.rmtree(older, ignore_errors=True)
    return final


def export_players(checkpoint: Path, run: RunDirectory) -> dict[str, Path]:
    """Save each trained RLModule of an algorithm checkpoint as a player under ``players/``."""
    paths: dict[str, Path] = {}
    for role in ROLES:
        module = RLModule.from_checkpoint(str((checkpoint / LEARNER_MODULES / role).resolve()))
        target = run.players / f"{role}.rllib"
        shutil.rmtree(target, ignore_errors=True)
        paths[role] = save_rllib_player(module, target, role)  # type: ignore[arg-type]
    return paths


def train(config: RunConfig, run: RunDirectory, *, show_progress: bool = True) -> dict[str, Path]:
    """Train both players with RLlib PPO; returns the saved players' paths."""
    import ray
    import torch

    settings = config.settings
    check_settings(settings)
    torch.set_num_threads(config.run.threads)  # the learner (and, with 0 env runners, sampling) runs here
    started_ray = connect(settings.address)
    try:
        check_resources(settings)
        with (
            warnings.catch_warnings()
        ):  # RLlib registers its env under one Gymnasium id per build, warning from the second
            warnings.filterwarnings("ignore", message=".*Overriding environment rllib-multi-agent-env-v0")
            algorithm = algorithm_config(config).build_algo()
        try:
            return _train(algorithm, config, run, show_progress)
        finally:
            algorithm.stop()
    finally:
        if started_ray:
            ray.shutdown()


def _train(algorithm: Any, config: RunConfig, run: RunDirectory, show_progress: bool) -> dict[str, Path]:
    state: dict[str, Any] = {"iteration": 0, "step": 0, "wall_time": 0.0}
    checkpoint = run.load_checkpoint()
    latest: Path | None = None
    if checkpoint is not None:
        if checkpoint.get("format") != FORMAT:
            raise ValueError(f"--resume: {run.latest_checkpoint} is not an RLlib checkpoint (run.algorithm changed?)")
        latest = run.checkpoints / checkpoint["rllib_checkpoint"]
        algorithm.restore_from_path(str(latest.resolve()))
        state = {key: checkpoint[key] for key in state}
        run.truncate_metrics(state["step"])

    settings, total = config.settings, config.run.total_steps
    started = time.perf_counter() - state["wall_time"]
    saved_at = state["iteration"]
    with Progress(total, "rllib ppo", show_progress, initial=state["step"], unit="step") as bar:
        while state["step"] < total and not (settings.iterations and state["iteration"] >= settings.iterations):
            began = time.perf_counter()
            result = algorithm.train()
            metrics = iteration_metrics(result, time.perf_counter() - began)
            state["iteration"] += 1
            state["step"] += int(metrics["env_steps_sampled"])
            state["wall_time"] = metrics["wall_time"] = time.perf_counter() - started
            run.log(state["step"], metrics)
            bar.update(
                int(metrics["env_steps_sampled"]), **{k: v for k, v in metrics.items() if k.endswith("return_mean")}
            )
            if state["iteration"] % config.run.checkpoint_every == 0:
                latest, saved_at = save_algorithm(algorithm, run, state), state["iteration"]
    if latest is None or saved_at != state["iteration"]:
        latest = save_algorithm(algorithm, run, state)
    return export_players(latest, run)
