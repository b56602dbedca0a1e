"""PerAgentVecEnv: every agent of every game is one SB3 slot, paid its own return, with its own masks."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("stable_baselines3", reason="stable-baselines3 is not installed (pip install 'infobargain[train]')")

from infobargain.envs.sb3_vec_env import PerAgentVecEnv


def test_each_slot_earns_its_own_agents_payoff() -> None:
    env = PerAgentVecEnv(n_games=3, seed=0, protocol="alternating", max_rounds=4, grid_size=5)
    assert env.num_envs == 6
    env.reset()
    rng = np.random.default_rng(0)
    returns, finished = np.zeros(6), []
    while len(finished) < 20:
        masks = env.action_masks()
        assert masks.shape == (6, 7) and masks.any(axis=1).all()
        _, rewards, dones, infos = env.step(np.array([rng.choice(np.flatnonzero(mask)) for mask in masks]))
        returns += rewards
        for game in range(3):
            sender, receiver = 2 * game, 2 * game + 1
            assert dones[sender] == dones[receiver]
            if dones[sender]:
                # the finished game's payoffs (sender, receiver), as the env reports them
                payoffs = infos[sender]["outcome"]["payoffs"]
                np.testing.assert_allclose(returns[[sender, receiver]], payoffs, rtol=1e-6)
                assert "terminal_observation" in infos[sender]
                finished.append(payoffs)
                returns[[sender, receiver]] = 0.0
    assert any(abs(s - r) > 1e-6 for s, r in finished)  # general-sum: the two returns differ


def test_waiting_agents_may_only_pass_and_masks_reach_maskable_ppo() -> None:
    env = PerAgentVecEnv(n_games=2, seed=1, grid_size=5)
    env.reset()
    masks = np.stack(env.env_method("action_masks"))
    assert env.has_attr("action_masks")
    np.testing.assert_array_equal(masks, env.action_masks())
    senders, receivers = masks[0::2], masks[1::2]
    assert not senders[:, :2].any() and senders[:, 2:].all()  # the sender proposes first: offers only
    assert (receivers == np.eye(7, dtype=bool)[0]).all()  # the waiting receiver may only pass


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n_games: must be an integer >= 1, got 0"):
        PerAgentVecEnv(n_games=0)
    with pytest.raises(ValueError, match="offer_space: PerAgentVecEnv needs a discrete offer space"):
        PerAgentVecEnv(n_games=1, offer_space="scheme")
