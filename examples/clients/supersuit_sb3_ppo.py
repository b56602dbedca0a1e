"""SuperSuit + SB3 on the Parallel env (PettingZoo's SB3 vector-env tutorial): every agent of every game is
one slot of an SB3 VecEnv, paid its own rewards, one shared PPO policy. Plain PPO has no masks: the
env's default ends an episode on an illegal action (no deal, both get the disagreement point, the offender
flagged in its info). ``observation_format="box"`` gives the Box observations SB3's ``MlpPolicy`` needs. Both
agents live until the episode ends, so the tutorial's ``black_death_v3`` is not needed (and in SuperSuit
3.11 it ends an episode only when every agent is both terminated *and* truncated, so it would never end one
of this game's episodes, which terminate).
Run: ``python examples/clients/supersuit_sb3_ppo.py``.
"""

from __future__ import annotations

import supersuit as ss
from stable_baselines3 import PPO

from infobargain.envs import information_bargaining_v1


def main(total_steps: int = 4096) -> PPO:
    env = information_bargaining_v1.parallel_env(observation_format="box", protocol="ultimatum", grid_size=5)
    env = ss.pettingzoo_env_to_vec_env_v1(env)
    env = ss.concat_vec_envs_v1(env, 4, num_cpus=0, base_class="stable_baselines3")
    # SuperSuit's vector env has no seed(): PPO is not given one.
    model = PPO("MlpPolicy", env, n_steps=128, batch_size=256)
    model.learn(total_steps)
    env.close()
    return model


if __name__ == "__main__":
    import torch

    torch.set_num_threads(1)
    main()
    print("SuperSuit + SB3 PPO: trained")
