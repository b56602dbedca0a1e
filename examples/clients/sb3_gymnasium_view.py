"""SB3 through the Gymnasium view: ``MaskablePPO`` learns the sender's side against a fixed receiver (here the
subgame-perfect one), reading the masks from the view's ``action_masks()``.
Run: ``python examples/clients/sb3_gymnasium_view.py``.
"""

from __future__ import annotations

import gymnasium
import numpy as np
from sb3_contrib import MaskablePPO

import infobargain  # noqa: F401  (registers the Gymnasium ids)

SETTINGS = {"opponent": "spe", "protocol": "ultimatum", "grid_size": 5}


def main(total_steps: int = 4096, seed: int = 0) -> float:
    env = gymnasium.make("infobargain/Sender-v1", **SETTINGS)
    model = MaskablePPO("MlpPolicy", env, n_steps=256, batch_size=64, learning_rate=1e-3, seed=seed)
    model.learn(total_steps)
    payoffs = []
    for episode in range(20):
        observation, _ = env.reset(seed=episode)
        done = False
        while not done:
            masks = env.unwrapped.action_masks()
            action, _ = model.predict(observation, action_masks=masks, deterministic=True)
            observation, reward, terminated, truncated, _ = env.step(int(action))
            payoffs.append(reward)
            done = terminated or truncated
    mean = float(np.sum(payoffs) / 20)
    print(f"MaskablePPO sender vs the SPE receiver after {total_steps} steps: {mean:.4f} per episode")
    return mean


if __name__ == "__main__":
    import torch

    torch.set_num_threads(1)
    main()
