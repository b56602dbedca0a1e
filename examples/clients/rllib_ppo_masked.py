"""RLlib: PPO with RLlib's own action-masking RL module, on RLlib's ``PettingZooEnv`` (AEC) or
``ParallelPettingZooEnv`` wrapper, env pre-check on; one policy per agent, each trained on its own rewards.

``observation_format="rllib"`` gives the ``{"observations", "action_mask"}`` float32 dict that RLlib's
masking module reads (the bare constructors pass RLlib's env pre-check too, ``tests/test_bare_clients.py``:
an illegal action of its unmasked samples ends the episode without a deal). Run:
``python examples/clients/rllib_ppo_masked.py`` (add ``--parallel`` for the Parallel env).
"""

from __future__ import annotations

import sys
from typing import Any

from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv, PettingZooEnv
from ray.rllib.examples.rl_modules.classes.action_masking_rlm import ActionMaskingTorchRLModule
from ray.tune.registry import register_env

from infobargain.envs import information_bargaining_v1

OPTIONS = {"observation_format": "rllib"}


def make_aec(config: dict[str, Any]) -> PettingZooEnv:
    return PettingZooEnv(information_bargaining_v1.env(**OPTIONS, **config))


def make_parallel(config: dict[str, Any]) -> ParallelPettingZooEnv:
    return ParallelPettingZooEnv(information_bargaining_v1.parallel_env(**OPTIONS, **config))


def build_config(parallel: bool = False) -> PPOConfig:
    name = "infobargain_parallel" if parallel else "infobargain_aec"
    register_env(name, make_parallel if parallel else make_aec)
    agents = ["sender_0", "receiver_0"]
    return (
        PPOConfig()
        .environment(name, env_config={"protocol": "ultimatum", "grid_size": 5})
        .multi_agent(policies=set(agents), policy_mapping_fn=lambda agent_id, episode, **kwargs: agent_id)
        .rl_module(
            rl_module_spec=MultiRLModuleSpec(
                rl_module_specs={agent: RLModuleSpec(module_class=ActionMaskingTorchRLModule) for agent in agents}
            )
        )
        .env_runners(num_env_runners=0)
        .training(train_batch_size_per_learner=256, minibatch_size=64, num_epochs=2)
    )


def main(iterations: int = 2, parallel: bool = False) -> list[dict[str, Any]]:
    config = build_config(parallel)
    assert not config.disable_env_checking  # RLlib's env pre-check runs when the env runner builds the env
    algorithm = config.build_algo()
    results = [algorithm.train() for _ in range(iterations)]
    algorithm.stop()
    for result in results:
        returns = result["env_runners"]["module_episode_returns_mean"]
        print({agent: round(value, 4) for agent, value in returns.items()})
    return results


if __name__ == "__main__":
    main(parallel="--parallel" in sys.argv)
