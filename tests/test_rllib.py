"""The Ray RLlib backend end to end: train on a local Ray with two env runners, resume, play the saved players.

Skipped only when Ray is not installed (the ``rllib`` extra). Kept small: a tiny network, 100-step batches.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("ray.rllib", reason="the RLlib backend needs Ray RLlib: pip install 'infobargain[rllib]'")


from infobargain.agents import load_policy
from infobargain.agents.rllib import RLlibPolicy, rllib_observation, rllib_observation_space
from infobargain.envs import information_bargaining_v1
from infobargain.training.checkpoint_players import rllib_players
from infobargain.training.config import RunConfig
from infobargain.training.rundir import numbered_checkpoints
from infobargain.training.runner import run_training

pytestmark = pytest.mark.slow
ROLES = ("sender", "receiver")


def tiny_config(total_steps: int) -> RunConfig:
    config = RunConfig()
    config.run.algorithm = "rllib_ppo"
    config.run.total_steps = total_steps
    config.run.checkpoint_every = 1
    config.env.update(protocol="alternating", max_rounds=3, grid_size=5, first_proposer="coin_flip")
    settings = config.rllib_ppo
    settings.num_env_runners = 2
    settings.num_envs_per_env_runner = 2
    settings.train_batch_size = 100
    settings.minibatch_size = 50
    settings.num_epochs = 1
    settings.hidden_size = 8
    settings.learning_rate = 1e-2
    return config


def learner_weights(checkpoint: Path, role: str) -> dict[str, Any]:
    """A trained module's weights as stored in an RLlib algorithm checkpoint."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    from infobargain.training.rllib import LEARNER_MODULES

    return RLModule.from_checkpoint(str(checkpoint / LEARNER_MODULES / role)).get_state()


def same(first: dict[str, Any], second: dict[str, Any]) -> bool:
    return first.keys() == second.keys() and all(np.array_equal(first[k], second[k]) for k in first)


def test_observation_adapter_renames_and_casts() -> None:
    env = information_bargaining_v1.env(offer_space="frontier", grid_size=5)
    env.reset(seed=0)
    observation = env.observe(env.agent_selection)
    adapted = rllib_observation(observation)
    assert set(adapted) == {"observations", "action_mask"}
    assert adapted["observations"].dtype == np.float32 and adapted["action_mask"].dtype == np.float32
    np.testing.assert_array_equal(adapted["action_mask"], observation["action_mask"])
    assert rllib_observation_space(env.observation_space(env.agent_selection)).contains(adapted)
    scheme = information_bargaining_v1.env(offer_space="scheme")
    scheme.reset(seed=0)
    assert set(rllib_observation(scheme.observe(scheme.agent_selection))) == {"observations"}


def test_train_resume_and_play(local_ray: None, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    summary, _ = run_training(tiny_config(200), run_dir, show_progress=False)

    # The run directory contract.
    assert (run_dir / "config.toml").exists() and (run_dir / "checkpoints" / "latest.pt").exists()
    assert RunConfig.load(run_dir / "config.toml").run.algorithm == "rllib_ppo"
    assert any((run_dir / "tensorboard").iterdir())
    with open(run_dir / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 2
    for key in ("sender/episode_return_mean", "receiver/episode_return_mean", "env_steps_sampled", "steps_per_second"):
        assert np.isfinite(float(rows[-1][key])), key
    assert summary["players"] == {role: str(run_dir / "players" / f"{role}.rllib") for role in ROLES}

    # Each iteration changed both players' weights, and the saved players are the last iteration's.
    checkpoints = sorted((run_dir / "checkpoints" / "rllib").iterdir())
    assert len(checkpoints) == len(rows)
    for role in ROLES:
        assert not same(learner_weights(checkpoints[0], role), learner_weights(checkpoints[-1], role)), role
        from ray.rllib.core.rl_module.rl_module import RLModule

        saved = RLModule.from_checkpoint(str(run_dir / "players" / f"{role}.rllib")).get_state()
        assert same(saved, learner_weights(checkpoints[-1], role))

    # The leaderboard's curves rebuild a numbered checkpoint's players: the last one's are the saved players.
    numbered = numbered_checkpoints(run_dir / "checkpoints")
    rebuilt = rllib_players(run_dir, numbered[max(numbered)])
    for role, player in zip(ROLES, rebuilt, strict=True):
        assert isinstance(player, RLlibPolicy) and same(
            player.module.get_state(), learner_weights(checkpoints[-1], role)
        )

    # Resume for two more iterations: it starts from the checkpoint and appends their metrics rows.
    done = int(rows[-1]["step"])
    before = {role: learner_weights(checkpoints[-1], role) for role in ROLES}
    run_training(tiny_config(done + 150), run_dir, resume=True, show_progress=False)  # two 100-step batches
    # four checkpoints, the latest three kept: the first algorithm checkpoint went with its numbered checkpoint
    kept = {f"step_{step:09d}" for step in numbered_checkpoints(run_dir / "checkpoints")}
    assert len(kept) == 3 and {path.name for path in (run_dir / "checkpoints" / "rllib").iterdir()} == kept
    with open(run_dir / "metrics.csv", newline="") as handle:
        resumed = list(csv.DictReader(handle))
    assert len(resumed) == len(rows) + 2 and [row["step"] for row in resumed[: len(rows)]] == [
        row["step"] for row in rows
    ]
    assert int(resumed[-1]["step"]) > done
    latest = sorted((run_dir / "checkpoints" / "rllib").iterdir())[-1]
    for role in ROLES:
        assert not same(before[role], learner_weights(latest, role)), role

    # The saved players play a whole episode on the AEC env, legally.
    env = information_bargaining_v1.env(**tiny_config(1).env)
    players = {role: load_policy(run_dir / "players" / f"{role}.rllib", env, role) for role in ROLES}
    assert all(isinstance(player, RLlibPolicy) for player in players.values())
    assert isinstance(load_policy(run_dir, env, "sender"), RLlibPolicy)  # a run directory names its players
    env.reset(seed=3)
    for player in players.values():
        player.reset(seed=3)
    decisions = 0
    for agent in env.agent_iter():
        observation, _, terminated, truncated, _ = env.last()
        if terminated or truncated:
            env.step(None)
            continue
        action = players[agent.split("_")[0]].act(observation)
        assert observation["action_mask"][action] == 1, (agent, action)
        env.step(action)
        decisions += 1
    assert decisions >= 2
