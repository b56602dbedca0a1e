"""Compile infobargain's numba kernels once, right after installing: their machine code is cached next to their
sources, so no first solve, environment, training run or test has to wait for it (about 20 s in all here).

Usage: ``python scripts/warm_up.py`` (``scripts/setup.sh`` runs it).
"""

from __future__ import annotations

import time

import numpy as np

from infobargain.envs import information_bargaining_v1
from infobargain.envs.vector import VectorBargainingEnv
from infobargain.game import scenario
from infobargain.theory import solve


def main() -> None:
    started = time.perf_counter()
    solve(scenario("pure_math"))  # the polygon walk
    rng = np.random.default_rng(0)
    for receiver_offer in ("threshold", "exact"):  # the "scheme" offers' decode, one offer at a time and batched
        env = information_bargaining_v1.env(
            offer_space="scheme", receiver_offer=receiver_offer, info_format="full", illegal_action="raise"
        )
        env.reset(seed=0)
        for agent in env.agent_iter():
            done = env.terminations[agent] or env.truncations[agent]
            env.step(None if done else env.action_space(agent).sample())
        vector = VectorBargainingEnv(2, seed=0, offer_space="scheme", receiver_offer=receiver_offer)
        vector.step(rng.uniform(-1.0, 1.0, (2, vector.n_actions)))
    print(f"infobargain: numba kernels ready in {time.perf_counter() - started:.1f} s (cached after the first time)")


if __name__ == "__main__":
    main()
