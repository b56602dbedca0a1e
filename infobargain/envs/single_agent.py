"""Gymnasium single-agent views: one side learns, the other is a fixed policy.

``gymnasium.make("infobargain/Sender-v1", opponent="spe", protocol="ultimatum")`` gives the sender's view;
``infobargain/Receiver-v1`` the receiver's. The opponent is a player name (``"spe"``, ``"obedient"``,
``"threshold:0.2"``, ...; see :mod:`infobargain.agents`), a path to a saved player, a
:class:`~infobargain.agents.Policy`, or any callable ``f(observation_dict) -> action``. Every other keyword
is an argument of :mod:`~infobargain.envs.information_bargaining_v1`. Names and paths are resolved by the
player factory that :mod:`infobargain.agents` installs with :func:`set_player_factory` when it is imported
(``gymnasium.make`` of the two ids imports it: their entry points are in :mod:`infobargain.agents.views`), so
this layer never imports the players' layer above it.

The observation is the learner's observation vector; the legal actions are in ``info["action_mask"]`` and
:meth:`action_masks` (for sb3-contrib's MaskablePPO). A step returns at the learner's next decision, so
steps where it could only pass (the opponent's turns, the realization stage) are played for it; the
reward is everything the learner earned since its previous step.

Illegal actions: with ``illegal_action="disagree"`` (the default) a Discrete action the game cannot play
(outside the learner's mask or the action space: NaN, infinity, ``None``, a huge integer) ends bargaining
without a deal, so both get the disagreement point, and ``info["illegal_action"]`` is set; this keeps
unmasked learners (plain PPO, Gymnasium's and SB3's checkers) running inside the game's own rules. A
malformed action (wrong shape, e.g. a Discrete action wrapped in a 1-element array) is a programming error
and raises the env's ``ValueError`` in both modes, rather than silently walking away from the offer it
wraps; so does a ``"scheme"`` vector outside ``[-1, 1]`` (every vector inside is legal). With
``illegal_action="raise"`` every such action raises, as in the PettingZoo environment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
from numpy.typing import NDArray

from infobargain.envs.information_bargaining_v1 import AGENTS, ActionError, raw_env
from infobargain.envs.view import GameView, act
from infobargain.game.protocol import Role, other

Opponent = str | Callable[[dict[str, NDArray[Any]]], Any]
PlayerFactory = Callable[[Any, raw_env, Role], Any]
_player_factory: list[PlayerFactory] = []


def set_player_factory(factory: PlayerFactory) -> None:
    """Install ``factory(spec, env, role) -> Policy``, which turns an opponent's name or path into a player
    (:mod:`infobargain.agents` installs :func:`~infobargain.agents.bind_policy` when imported)."""
    _player_factory[:] = [factory]


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
        if isinstance(opponent, (str, Path)):
            if not _player_factory:
                raise ValueError(
                    f"opponent: naming a player ({opponent!r}) needs the players' layer: import infobargain.agents "
                    "first (gymnasium.make does), or pass a Policy or a callable"
                )
            opponent = _player_factory[0](opponent, self.game, other(self.role))
        if hasattr(opponent, "act"):
            self.opponent_policy: Any = opponent
            view = self.view
            return lambda observation: act(opponent, observation, view)
        if callable(opponent):
            self.opponent_policy = None
            return opponent  # type: ignore[no-any-return]
        raise ValueError(f"opponent: expected a player name, a Policy or a callable, got {opponent!r}")

    @property
    def view(self) -> GameView:
        """The public, read-only view of the game and the situation (the underlying AEC env's)."""
        return self.game.view

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
            reward += game.rewards[self.agent]
        return reward

    def _playable(self, action: Any) -> Any | None:
        """The action as the game plays it, or ``None`` when the learner walks away (see the module docstring)."""
        try:
            return self.game.check_action(self.agent, action)
        except ActionError as error:
            discrete = isinstance(self.action_space, gymnasium.spaces.Discrete)
            if self.illegal_action == "raise" or error.malformed or not discrete:
                raise
            return None

    def _pass(self) -> Any:
        if isinstance(self.action_space, gymnasium.spaces.Discrete):
            return 0
        return np.ones(self.action_space.shape, dtype=np.float64)

    def _over(self) -> bool:
        return self.game.terminations[self.agent] or self.game.truncations[self.agent]

    def _info(self) -> dict[str, Any]:
        """A fresh info dict with its own copy of the mask, so that infos kept by the caller never change."""
        info = dict(self.game.infos[self.agent])
        if "action_mask" in info:
            info["action_mask"] = info["action_mask"].copy()
        return info

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
        playable = self._playable(action)
        illegal = playable is None
        if illegal:
            self.game.disagree(self.agent, "illegal action")
        else:
            self.game.step(playable)
        reward = self.game.rewards[self.agent]
        reward += self._advance()
        terminated = self.game.terminations[self.agent]
        truncated = self.game.truncations[self.agent]
        info = {**self._info(), "illegal_action": illegal}
        return self.game.observe(self.agent)["observation"], float(reward), terminated, truncated, info

    def render(self) -> Any:
        self.game.render_mode = self.render_mode
        return self.game.render()


class SenderEnv(SingleAgentView):
    """``infobargain/Sender-v1``: the sender learns."""

    def __init__(self, opponent: Opponent | Any = "spe", illegal_action: str = "disagree", **env_kwargs: Any) -> None:
        super().__init__("sender", opponent, illegal_action, **env_kwargs)


class ReceiverEnv(SingleAgentView):
    """``infobargain/Receiver-v1``: the receiver learns."""

    def __init__(self, opponent: Opponent | Any = "spe", illegal_action: str = "disagree", **env_kwargs: Any) -> None:
        super().__init__("receiver", opponent, illegal_action, **env_kwargs)
