"""Tianshou: its ``PettingZooEnv`` and ``Collector`` with masked random policies, one per agent.

The bare ``env()`` works as it is: its infos are plain numbers under the same keys on every step, which
Tianshou's buffers can store.
Run: ``python examples/clients/tianshou_collector.py``.
"""

from __future__ import annotations

from tianshou.algorithm import MARLRandomDiscreteMaskedOffPolicyAlgorithm
from tianshou.algorithm.multiagent.marl import MultiAgentOffPolicyAlgorithm
from tianshou.data import Collector, VectorReplayBuffer
from tianshou.env import DummyVectorEnv, PettingZooEnv

from infobargain.envs import information_bargaining_v1


def make_env() -> PettingZooEnv:
    return PettingZooEnv(information_bargaining_v1.env())


def main(episodes: int = 20) -> dict[str, float]:
    env = make_env()
    random_players = [MARLRandomDiscreteMaskedOffPolicyAlgorithm(env.action_space) for _ in env.agents]
    algorithm = MultiAgentOffPolicyAlgorithm(algorithms=random_players, env=env)
    envs = DummyVectorEnv([make_env for _ in range(4)])
    collector = Collector(algorithm.policy, envs, VectorReplayBuffer(2000, len(envs)), exploration_noise=False)
    collector.reset()
    stats = collector.collect(n_episode=episodes, reset_before_collect=True)
    returns = stats.returns  # one row per episode, one column per agent: each agent's own payoff
    print(f"{stats.n_collected_episodes} episodes; mean return per agent {returns.mean(axis=0).round(4).tolist()}")
    return {"episodes": float(stats.n_collected_episodes), "steps": float(stats.n_collected_steps)}


if __name__ == "__main__":
    main()
