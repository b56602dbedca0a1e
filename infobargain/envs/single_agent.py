"""Gymnasium single-agent views: one side learns, the other is a fixed policy.

``gymnasium.make("infobargain/Sender-v0", opponent="spe", protocol="ultimatum")`` gives the sender's view;
``infobargain/Receiver-v0`` the receiver's. The opponent is a player name (``"spe"``, ``"obedient"``,
``"threshold:0.2"``, ...; see :mod:`infobargain.agents`), a path to a saved player, a
:class:`~infobargain.agents.Policy`, or any callable ``f(observation_dict) -> action``. Every other keyword
is an argument of :mod:`~infobargain.envs.information_bargaining_v0`.

The observation is the learner's observation vector; the legal actions are in ``info["action_mask"]`` and
:meth:`action_masks` (for sb3-contrib's MaskablePPO). A step returns at the learner's next decision, so
steps where it could only pass (the opponent's turns, the realization stage) are played for it; the
reward is everything the learner earned since its previous step.

Illegal actions: with ``illegal_action="disagree"`` (the default) an action outside the learner's mask ends
bargaining without a deal, so both get the disagreement point, and ``info["illegal_action"]`` is set; this
keeps unmasked learners (plain PPO, Gymnasium's and SB3's checkers) running inside the game's own rules.
With ``illegal_action="raise"`` it is an error, as in the PettingZoo environment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium
import numpy as np
from numpy.typing import NDArray

from infobargain.envs.information_bargaining_v0 import AGENTS, raw_env
from infobargain.game.protocol import Role, other

Opponent = str | Callable[[dict[str, NDArray[Any]]], Any]


class SingleAgentView(gymnasium.Env):
    """The game seen by one learning player against a fixed opponent."""

    metadata = {"render_modes": ["ansi", "human", "rgb_array"], "render_fps": 1}

    def __init__(
        self, role: Role, opponent: Opponent | Any = "spe", illegal_action: str = "disagree", **env_kwargs: Any
    ) -> None:
        if illegal_action not in ("disagree", "raise"):
            raise ValueError(f"illegal_action: must be 'disagree' or 'raise', got {illegal_action!r}")
        self.illegal_action = illegal_action
        self.role: Role = role
        self.game = raw_env(**env_kwargs)
        self.render_mode = self.game.render_mode
        self.agent = AGENTS[role]
        self.opponent_agent = AGENTS[other(role)]
        self.opponent = self._resolve(opponent)
        self.observation_space = self.game.observation_space(self.agent)["observation"]
        self.action_space = self.game.action_space(self.agent)

    def _resolve(self, opponent: Opponent | Any) -> Callable[[dict[str, NDArray[Any]]], Any]:
        if isinstance(opponent, str):
            from infobargain.agents import make_policy  # agents build on envs: resolved at run time

            opponent = make_policy(opponent, self.game, other(self.role))
        if hasattr(opponent, "act"):
            self.opponent_policy: Any = opponent
            return opponent.act  # type: ignore[no-any-return]
        if callable(opponent):
            self.opponent_policy = None
            return opponent  # type: ignore[no-any-return]
        raise ValueError(f"opponent: expected a player name, a Policy or a callable, got {opponent!r}")

    def _learner_decides(self) -> bool:
        game = self.game
        return game.phase == "bargaining" and game.agent_selection == self.agent

    def _advance(self) -> float:
        """Play the opponent's moves and the learner's forced passes until the learner decides or the game ends."""
        reward = 0.0
        game = self.game
        while not self._learner_decides() and not self._over():
            acting = game.agent_selection
            action = self.opponent(game.observe(acting)) if acting == self.opponent_agent else self._pass()
            game.step(action)
            reward += game._cumulative_rewards[self.agent]
            game._cumulative_rewards[self.agent] = 0.0
        return reward

    def _illegal(self, action: Any) -> bool:
        if self.illegal_action == "raise" or not isinstance(self.action_space, gymnasium.spaces.Discrete):
            return False
        return not (self.action_space.contains(np.int64(action)) and self.game.action_mask(self.agent)[int(action)])

    def _pass(self) -> Any:
        if isinstance(self.action_space, gymnasium.spaces.Discrete):
            return 0
        return np.ones(self.action_space.shape, dtype=np.float64)

    def _over(self) -> bool:
        return self.game.terminations[self.agent] or self.game.truncations[self.agent]

    def _info(self) -> dict[str, Any]:
        return self.game.infos[self.agent]

    def action_masks(self) -> NDArray[np.bool_]:
        """Legal actions now (all true for the continuous ``"scheme"`` encoding)."""
        if isinstance(self.action_space, gymnasium.spaces.Discrete):
            return self.game.action_mask(self.agent).astype(bool)
        return np.ones(1, dtype=bool)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray[np.float64], dict[str, Any]]:
        super().reset(seed=seed)
        self.game.reset(seed=seed, options=options)
        if self.opponent_policy is not None:  # every episode, seeded from the view's own generator
            self.opponent_policy.reset(int(self.np_random.integers(2**31)))
        self._advance()
        return self.game.observe(self.agent)["observation"], self._info()

    def step(self, action: Any) -> tuple[NDArray[np.float64], float, bool, bool, dict[str, Any]]:
        if self._over():
            raise RuntimeError("step() called after the episode ended; call reset()")
        self.game._cumulative_rewards[self.agent] = 0.0
        illegal = self._illegal(action)
        if illegal:
            self.game.disagree(self.agent, "illegal action")
        else:
            self.game.step(action)
        reward = self.game._cumulative_rewards[self.agent]
        self.game._cumulative_rewards[self.agent] = 0.0
        reward += self._advance()
        terminated = self.game.terminations[self.agent]
        truncated = self.game.truncations[self.agent]
        info = {**self._info(), "illegal_action": illegal}
        return self.game.observe(self.agent)["observation"], float(reward), terminated, truncated, info

    def render(self) -> Any:
        self.game.render_mode = self.render_mode
        return self.game.render()


class SenderEnv(SingleAgentView):
    """``infobargain/Sender-v0``: the sender learns."""

    def __init__(self, opponent: Opponent | Any = "spe", illegal_action: str = "disagree", **env_kwargs: Any) -> None:
        super().__init__("sender", opponent, illegal_action, **env_kwargs)


class ReceiverEnv(SingleAgentView):
    """``infobargain/Receiver-v0``: the receiver learns."""

    def __init__(self, opponent: Opponent | Any = "spe", illegal_action: str = "disagree", **env_kwargs: Any) -> None:
        super().__init__("receiver", opponent, illegal_action, **env_kwargs)
