"""Stable-Baselines3 self-play with action masks, every agent paid its own return.

:class:`PerAgentVecEnv` is an SB3 ``VecEnv`` in which every agent of every game is one slot: slot
``2g`` is game ``g``'s sender, slot ``2g + 1`` its receiver. Each slot is a trajectory of one agent only:
its own observations, its own rewards, its own episode ends; where it has nothing to decide its mask
allows only ``ACCEPT`` (pass), so a masked policy passes there. One model learning on it (sb3-contrib's
``MaskablePPO``, which reads :meth:`PerAgentVecEnv.action_masks`) plays both roles from the role entries
of its observation, and its returns and value targets are each agent's own.

**Why not PettingZoo's SB3 action-mask tutorial wrapper** (written for connect four): it turns the AEC
game into one Gymnasium stream in which the agents' moves alternate, and each step returns the reward of
the agent that moves *next*. In a two-player zero-sum game whose only reward is the winner's +1 that
still teaches the winner's last move; here it pays a proposer the responder's utility for its own offer,
never shows an accepted proposer its payoff, and its bootstrapped values mix both players' returns. A
general-sum game needs one trajectory per agent, which is what this class (or SuperSuit's conversion of
the Parallel env, without masks) gives.

Requires ``stable-baselines3`` (the ``train`` extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium
import numpy as np
from numpy.typing import NDArray
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvStepReturn

from infobargain.envs.information_bargaining_v1 import parallel_env


class PerAgentVecEnv(VecEnv):
    """``n_games`` Parallel games, each agent one slot, for SB3 (masks for ``MaskablePPO``).

    ``env_kwargs`` are arguments of :func:`~infobargain.envs.information_bargaining_v1.parallel_env`
    (a discrete offer space); observations are the agents' ``float32`` observation vectors.
    """

    def __init__(self, n_games: int = 8, seed: int | None = None, **env_kwargs: Any) -> None:
        if isinstance(n_games, bool) or not isinstance(n_games, int) or n_games < 1:
            raise ValueError(f"n_games: must be an integer >= 1, got {n_games!r}")
        self.games = [
            parallel_env(observation_format="box", info_format="full", illegal_action="raise", **env_kwargs)
            for _ in range(n_games)
        ]
        first = self.games[0]
        self.agent_names = list(first.possible_agents)
        action_space = first.action_space(self.agent_names[0])
        if not isinstance(action_space, gymnasium.spaces.Discrete):
            raise ValueError("offer_space: PerAgentVecEnv needs a discrete offer space ('grid' or 'frontier')")
        super().__init__(n_games * len(self.agent_names), first.observation_space(self.agent_names[0]), action_space)
        self._seed = seed
        self._actions: NDArray[np.int64] | None = None
        self._observations = np.zeros((self.num_envs, *(self.observation_space.shape or ())), dtype=np.float32)

    def _slot(self, game: int, agent: str) -> int:
        return game * len(self.agent_names) + self.agent_names.index(agent)

    def _start(self, game: int, seed: int | None) -> None:
        observations, _ = self.games[game].reset(seed=seed)
        for agent, observation in observations.items():
            self._observations[self._slot(game, agent)] = observation

    def reset(self) -> NDArray[np.float32]:
        base = self._seed if self._seed is not None else self._seeds[0] if self._seeds else None
        for game in range(len(self.games)):
            self._start(game, None if base is None else base + game)
        self._reset_seeds()
        return self._observations.copy()

    def step_async(self, actions: NDArray[Any]) -> None:
        self._actions = np.asarray(actions).reshape(self.num_envs)

    def step_wait(self) -> VecEnvStepReturn:
        assert self._actions is not None, "step_wait() without step_async()"
        rewards = np.zeros(self.num_envs, dtype=np.float32)
        dones = np.zeros(self.num_envs, dtype=bool)
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for g, game in enumerate(self.games):
            actions = {agent: int(self._actions[self._slot(g, agent)]) for agent in game.agents}
            observations, step_rewards, terminations, truncations, step_infos = game.step(actions)
            for agent, observation in observations.items():
                slot = self._slot(g, agent)
                self._observations[slot] = observation
                rewards[slot] = step_rewards[agent]
                infos[slot] = dict(step_infos[agent])
            if not game.agents:  # the game is over for everyone: record the last observations, start again
                for agent in observations:
                    slot = self._slot(g, agent)
                    dones[slot] = True
                    infos[slot]["terminal_observation"] = self._observations[slot].copy()
                    infos[slot]["TimeLimit.truncated"] = truncations[agent] and not terminations[agent]
                self._start(g, None)
        return self._observations.copy(), rewards, dones, infos

    def action_masks(self) -> NDArray[np.bool_]:
        """Every slot's legal actions now, ``(num_envs, n_actions)``."""
        masks = np.zeros((self.num_envs, int(self.action_space.n)), dtype=np.bool_)  # type: ignore[attr-defined]
        for g, game in enumerate(self.games):
            for agent in self.agent_names:
                masks[self._slot(g, agent)] = game.unwrapped.action_mask(agent).astype(bool)
        return masks

    def close(self) -> None:
        for game in self.games:
            game.close()

    # SB3's per-slot attribute access: masks are what MaskablePPO asks for; the rest is read off the games.

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        if attr_name == "action_masks":
            return [self.action_masks for _ in self._get_indices(indices)]
        return [getattr(self.games[i // len(self.agent_names)], attr_name) for i in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        raise AttributeError(f"{attr_name}: PerAgentVecEnv's games are set up by its constructor")

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        if method_name != "action_masks":
            raise AttributeError(f"{method_name}: PerAgentVecEnv's slots only answer action_masks")
        masks = self.action_masks()
        return [masks[i] for i in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gymnasium.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[NDArray[Any] | None]:
        return [None for _ in range(self.num_envs)]
