"""BenchMARL's algorithms as baselines: the bargaining game as a BenchMARL task, trained by BenchMARL itself.

Needs the ``benchmarl`` extra (``pip install 'infobargain[benchmarl]'``: BenchMARL on TorchRL). Read top to bottom:

1. **The task** (BenchMARL's documented custom-task path: a :class:`~benchmarl.environments.TaskClass` and its
   :class:`~benchmarl.environments.Task` enum). BenchMARL runs on TorchRL environments with fixed agent groups
   that all act at every step, so the task is the game's **Parallel form**
   (:mod:`infobargain.envs.parallel`): both agents send an action every step, only the acting agent's is played,
   and the waiting agent's action mask allows ``ACCEPT`` alone (a forced move: no policy gradient flows through
   it). TorchRL's ``PettingZooWrapper`` turns it into a TorchRL env with one group per role (``sender``,
   ``receiver``: each its own policy, its own reward, general-sum), the ``action_mask`` of each group, and the
   game's global ``state`` for centralised critics.
2. **The algorithms**: every BenchMARL algorithm that takes discrete actions with masks (:data:`ALGORITHMS`),
   each with BenchMARL's own default hyperparameters (its YAML configs) and BenchMARL's default experiment
   (MLP models, batch sizes, learning rate), except what the run must decide: ``max_n_frames`` is the budget
   (one frame is one decision: one Parallel step plays one), no evaluation, rendering or loggers of BenchMARL's
   own, CPU.
3. **The players**: each group's trained policy in BenchMARL's deterministic mode (what its own evaluation plays:
   the mode of a stochastic policy, a Q-learner's greedy action), asked in every bargaining situation play can
   reach (:func:`situation_table`) and saved as a :class:`~infobargain.agents.tabular.TabularPolicy`. The game
   is Markov in the situation, so the table plays exactly as the network does, and the library's exact
   evaluation scores it without BenchMARL installed.

The budget is BenchMARL's ``max_n_frames``, which it counts in whole collected batches. **Checkpoints** are
BenchMARL's own (every ``run.checkpoint_every`` batches and at the end, the latest ``run.keep_checkpoints`` kept),
each pointed to by the run's numbered checkpoint: ``train --resume`` restores BenchMARL's experiment from the
latest (its ``restore_file``: networks, optimisers, buffers, collector, counters) and goes on, and
``benchmark --curves`` rebuilds any checkpoint's players as the final ones are made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from benchmarl.algorithms import (
    IppoConfig,
    IqlConfig,
    IsacConfig,
    MappoConfig,
    MasacConfig,
    QmixConfig,
    VdnConfig,
)
from benchmarl.environments import Task, TaskClass
from benchmarl.experiment import Experiment, ExperimentConfig
from benchmarl.models.mlp import MlpConfig
from numpy.typing import NDArray
from torchrl.data import Composite
from torchrl.envs import DoubleToFloat, EnvBase, PettingZooWrapper, Transform

from infobargain.envs.information_bargaining_v1 import AGENTS, parallel_env, raw_env
from infobargain.game.protocol import ROLES
from infobargain.training.config import RunConfig
from infobargain.training.job import TrainedPlayers, TrainingJob
from infobargain.training.rundir import RunDirectory
from infobargain.training.settings import BenchMARLSection

ALGORITHMS: dict[str, Any] = {
    "mappo": MappoConfig,
    "ippo": IppoConfig,
    "iql": IqlConfig,
    "qmix": QmixConfig,
    "vdn": VdnConfig,
    "masac": MasacConfig,
    "isac": IsacConfig,
}
"""BenchMARL's algorithms for discrete, masked actions, by their BenchMARL name (registered as ``benchmarl_NAME``)."""
GROUPS = {role: [AGENTS[role]] for role in ROLES}
"""One group per role: BenchMARL shares parameters within a group, and the two roles play different games."""


class BargainingTaskClass(TaskClass):  # type: ignore[misc]
    """The game's Parallel form as a BenchMARL task; its ``config`` is the env's arguments."""

    def get_env_fun(
        self, num_envs: int, continuous_actions: bool, seed: int | None, device: Any
    ) -> Callable[[], EnvBase]:
        kwargs = dict(self.config)
        return lambda: PettingZooWrapper(
            parallel_env(**kwargs, info_format="numeric"),  # TorchRL holds every info entry as a tensor
            group_map=GROUPS,
            categorical_actions=True,
            return_state=True,
            use_mask=True,
            seed=seed,
            device=device,
        )

    def get_env_transforms(self, env: EnvBase) -> list[Transform]:
        """The env's observations and state are float64; BenchMARL's models are float32."""
        return [DoubleToFloat()]

    def supports_continuous_actions(self) -> bool:
        return False

    def supports_discrete_actions(self) -> bool:
        return True

    def has_render(self, env: EnvBase) -> bool:
        return False

    def max_steps(self, env: EnvBase) -> int:
        return int(raw_env(**self.config).rules.rounds * 2)

    def group_map(self, env: EnvBase) -> dict[str, list[str]]:
        return dict(env.group_map)

    def _only(self, env: EnvBase, key: str) -> Composite | None:
        spec = env.observation_spec.clone()
        kept = {
            group: Composite({key: spec[group, key].clone()}, shape=spec[group].shape)
            for group in GROUPS
            if key in spec[group].keys()  # noqa: SIM118 (a spec, not a dict)
        }
        return Composite(kept, shape=spec.shape) if kept else None

    def observation_spec(self, env: EnvBase) -> Composite:
        return self._only(env, "observation")

    def action_mask_spec(self, env: EnvBase) -> Composite | None:
        return self._only(env, "action_mask")

    def info_spec(self, env: EnvBase) -> Composite | None:
        return None

    def state_spec(self, env: EnvBase) -> Composite | None:
        return Composite({"state": env.observation_spec["state"].clone()})

    def action_spec(self, env: EnvBase) -> Composite:
        return env.full_action_spec

    @staticmethod
    def env_name() -> str:
        return "infobargain"


class BargainingTask(Task):  # type: ignore[misc]
    """The task enum BenchMARL's API asks for: one task, configured with the env's arguments."""

    BARGAINING = None

    @staticmethod
    def associated_class() -> type[TaskClass]:
        return BargainingTaskClass


def experiment_config(
    budget: int, folder: str, settings: BenchMARLSection, *, checkpoint_every: int, keep_checkpoints: int
) -> ExperimentConfig:
    """BenchMARL's default experiment, less what a library run decides: the budget, CPU, no evaluation,
    rendering or loggers of its own, a checkpoint every ``checkpoint_every`` batches and at the end (the latest
    ``keep_checkpoints`` kept, 0 all), and the ``settings`` that are not 0."""
    config = ExperimentConfig.get_from_yaml()
    config.max_n_frames = budget
    config.sampling_device = config.train_device = config.buffer_device = "cpu"
    config.evaluation = config.render = config.create_json = False
    config.loggers = []
    config.save_folder = folder
    batch = settings.frames_per_batch or config.on_policy_collected_frames_per_batch
    config.on_policy_collected_frames_per_batch = config.off_policy_collected_frames_per_batch = min(batch, budget)
    config.on_policy_minibatch_size = min(config.on_policy_minibatch_size, config.on_policy_collected_frames_per_batch)
    if settings.n_envs:
        config.on_policy_n_envs_per_worker = config.off_policy_n_envs_per_worker = settings.n_envs
    if settings.minibatch_iters:
        config.on_policy_n_minibatch_iters = settings.minibatch_iters
    if settings.optimizer_steps:
        config.off_policy_n_optimizer_steps = settings.optimizer_steps
    config.checkpoint_interval = checkpoint_every * config.on_policy_collected_frames_per_batch
    config.checkpoint_at_end = True
    config.keep_checkpoints_num = keep_checkpoints or None
    return config


class RunExperiment(Experiment):  # type: ignore[misc]
    """BenchMARL's experiment whose every checkpoint (BenchMARL's own file, under the run directory) is also the
    run's numbered checkpoint (``checkpoints/step_N.pt`` pointing to it), so ``--resume`` and
    ``benchmark --curves`` find it as they find any run's. Without a ``run`` (a checkpoint restored only to be
    played) nothing is pointed to."""

    def __init__(self, run: RunDirectory | None, **arguments: Any) -> None:
        self.run_directory = run
        super().__init__(**arguments)

    def _save_experiment(self) -> None:
        super()._save_experiment()
        if self.run_directory is not None:
            saved = self._checkpointed_files[-1].relative_to(self.run_directory.path)
            pointer = {"benchmarl_checkpoint": str(saved), "wall_time": self.total_time}
            self.run_directory.save_checkpoint(pointer, int(self.total_frames))


def build_experiment(
    config: RunConfig, folder: Path, *, run: RunDirectory | None = None, restore: Path | None = None
) -> RunExperiment:
    """The BenchMARL experiment of the run in ``folder`` (the algorithm ``benchmarl_NAME`` it names, on the game's
    task), fresh or restored from one of its BenchMARL checkpoints; ``run`` receives its checkpoints."""
    name = config.run.algorithm.removeprefix("benchmarl_")
    env_kwargs = {key: value for key, value in config.env.items() if key != "render_mode"}
    experiment = experiment_config(
        config.run.total_steps,
        str(folder),
        config.settings,
        checkpoint_every=config.run.checkpoint_every,
        keep_checkpoints=config.run.keep_checkpoints,
    )
    if restore is not None:
        experiment.restore_file = str(restore)
    # BenchMARL's task enums declare their members as None, which a type checker takes at its word
    task = BargainingTask.BARGAINING.get_task(config=env_kwargs)  # type: ignore[attr-defined]
    return RunExperiment(
        run,
        task=task,
        algorithm_config=ALGORITHMS[name].get_from_yaml(),
        model_config=MlpConfig.get_from_yaml(),
        critic_model_config=MlpConfig.get_from_yaml(),
        seed=config.run.seed,
        config=experiment,
    )


def greedy_actions(experiment: Experiment, role: str, observations: NDArray[Any], masks: NDArray[Any]) -> NDArray[Any]:
    """The actions ``role``'s trained policy takes on a batch of observations (BenchMARL's deterministic mode,
    what its own evaluation plays: the mode of a stochastic policy, the greedy action of a Q-learner)."""
    from tensordict import TensorDict
    from torchrl.envs.utils import ExplorationType, set_exploration_type

    batch = len(observations)
    inputs = TensorDict(
        {
            role: TensorDict(
                {
                    "observation": {"observation": torch.as_tensor(observations, dtype=torch.float32)[:, None]},
                    "action_mask": torch.as_tensor(masks, dtype=torch.bool)[:, None],
                },
                batch_size=[batch, 1],
            )
        },
        batch_size=[batch],
    )
    with torch.no_grad(), set_exploration_type(ExplorationType.DETERMINISTIC):
        outputs = experiment.group_policies[role](inputs)
    return outputs[role, "action"][:, 0].numpy()  # type: ignore[no-any-return]


def situation_table(env_kwargs: Mapping[str, Any], experiment: Experiment) -> NDArray[np.float64]:
    """Both roles' trained policies as one table ``[situation, action]`` of
    :class:`~infobargain.agents.tabular.SituationIndex`: each reachable situation is replayed on a fresh env
    (the decisions the rules core found to reach it) and the acting role's policy is asked there. Situations
    play cannot reach keep a uniform row (no player ever reads them)."""
    from infobargain.agents.tabular import SituationIndex
    from infobargain.game.situations import situations
    from infobargain.game.state import State
    from infobargain.training.players import first_proposers

    kwargs = {key: value for key, value in env_kwargs.items() if key != "render_mode"}
    index = SituationIndex(raw_env(**kwargs))
    table = index.legal / index.legal.sum(axis=1, keepdims=True)
    for first in first_proposers(env_kwargs):
        env = raw_env(**{**kwargs, "first_proposer": first, "realization": "expected", "max_cycles": None})
        env.reset(seed=0)
        view = env.view
        root = State(view.rules, view.encoding, view.problem.d, first)
        rows, observations, masks, roles = [], [], [], []
        for now in situations(root):
            if not now.reachable or now.path is None:
                continue
            env.reset(seed=0)
            for action in now.path:
                env.step(action)
            observation = env.observe(AGENTS[now.acting])
            rows.append(index.situation(ROLES.index(first), now.round, now.pending))
            observations.append(observation["observation"])
            masks.append(observation["action_mask"])
            roles.append(now.acting)
        for role in ROLES:
            chosen = [k for k, acting in enumerate(roles) if acting == role]
            if not chosen:
                continue
            actions = greedy_actions(
                experiment, role, np.stack([observations[k] for k in chosen]), np.stack([masks[k] for k in chosen])
            )
            for k, action in zip(chosen, actions, strict=True):
                table[rows[k]] = 0.0
                table[rows[k], int(action)] = 1.0
    return table  # type: ignore[no-any-return]


def tabular_players(table: NDArray[np.float64], env_kwargs: Mapping[str, Any], label: str) -> tuple[Any, Any]:
    """The (sender, receiver) that play ``table`` (:func:`situation_table`) greedily, as BenchMARL's evaluation
    plays its policies."""
    from infobargain.agents.tabular import TabularPolicy

    env = raw_env(**{key: value for key, value in env_kwargs.items() if key != "render_mode"})
    sender, receiver = (TabularPolicy(table, env, role, greedy=True, spec=f"{label} {role}") for role in ROLES)
    return sender, receiver


def train(job: TrainingJob) -> TrainedPlayers:
    """Train with the BenchMARL algorithm the run names (``benchmarl_NAME``) on the game's BenchMARL task,
    continuing the run's latest checkpoint if it has one."""
    torch.set_num_threads(1)
    saved = job.run.load_checkpoint()
    restore = job.run_dir / saved["benchmarl_checkpoint"] if saved is not None else None
    experiment = build_experiment(job.config, job.run_dir, run=job.run, restore=restore)
    if experiment.total_frames < job.budget:
        experiment.run()
    else:
        experiment.close()
    name = job.config.run.algorithm.removeprefix("benchmarl_")
    players = tabular_players(situation_table(job.env_kwargs, experiment), job.env_kwargs, f"benchmarl {name}")
    paths = {}
    for role, player in zip(ROLES, players, strict=True):
        paths[role] = job.run.players / f"{role}.npz"
        paths[role].parent.mkdir(parents=True, exist_ok=True)
        player.save(paths[role])
    options = {"benchmarl_algorithm": name, "players": "deterministic (BenchMARL's evaluation mode)"}
    return TrainedPlayers(paths["sender"], paths["receiver"], int(experiment.total_frames), options)


def checkpoint_players(run_dir: Path, checkpoint: Path) -> tuple[Any, Any]:
    """The players of a numbered checkpoint, for ``benchmark --curves``: its BenchMARL experiment restored and
    asked in every situation, as the run's final players are made."""
    from infobargain.agents.learned import read_torch_file

    config = RunConfig.load(run_dir / "config.toml")
    restore = run_dir / read_torch_file(checkpoint, "checkpoint")["benchmarl_checkpoint"]
    experiment = build_experiment(config, run_dir, restore=restore)
    try:
        table = situation_table(config.env, experiment)
    finally:
        experiment.close()
    return tabular_players(table, config.env, str(checkpoint))
