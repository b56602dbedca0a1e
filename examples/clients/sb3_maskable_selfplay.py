"""SB3: self-play ``MaskablePPO`` on :class:`~infobargain.envs.sb3_vec_env.PerAgentVecEnv`, every agent one
trajectory paid its own return (see that module for why PettingZoo's connect-four wrapper does not fit).

In the ultimatum game the learned proposer should reach the subgame-perfect offer: its best frontier point
that the responder still accepts. Run: ``python examples/clients/sb3_maskable_selfplay.py``.
"""

from __future__ import annotations

import numpy as np
from sb3_contrib import MaskablePPO

from infobargain.envs import information_bargaining_v1
from infobargain.envs.sb3_vec_env import PerAgentVecEnv

SETTINGS = {"protocol": "ultimatum", "offer_space": "frontier", "grid_size": 5}


def play(model: MaskablePPO, episodes: int) -> np.ndarray:
    """Mean payoffs (sender, receiver) of the model playing both roles greedily."""
    env = information_bargaining_v1.parallel_env(observation_format="box", **SETTINGS)
    total = np.zeros(2)
    for episode in range(episodes):
        observations, _ = env.reset(seed=episode)
        while env.agents:
            actions = {
                agent: int(
                    model.predict(
                        observations[agent],
                        action_masks=env.unwrapped.action_mask(agent).astype(bool),
                        deterministic=True,
                    )[0]
                )
                for agent in env.agents
            }
            observations, rewards, _, _, _ = env.step(actions)
            total += [rewards["sender_0"], rewards["receiver_0"]]
    return total / episodes


def main(total_steps: int = 8192, seed: int = 0) -> np.ndarray:
    env = PerAgentVecEnv(n_games=8, seed=seed, **SETTINGS)
    model = MaskablePPO("MlpPolicy", env, n_steps=64, batch_size=256, learning_rate=1e-3, seed=seed)
    model.learn(total_steps)
    payoffs = play(model, episodes=20)
    print(f"self-play MaskablePPO after {total_steps} steps: sender {payoffs[0]:.4f}, receiver {payoffs[1]:.4f}")
    return payoffs


if __name__ == "__main__":
    import torch

    torch.set_num_threads(1)
    main()
