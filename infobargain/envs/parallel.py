"""The Parallel form of the bargaining game: every live agent sends an action each step, one decision is played.

``information_bargaining_v1.parallel_env()`` builds it around the AEC env (``raw_env``), which plays the game;
this module only turns action dicts into that env's decisions and its state into Parallel returns.
"""

from __future__ import annotations

from typing import Any, Protocol

import gymnasium
import numpy as np
from numpy.typing import NDArray
from pettingzoo import ParallelEnv

from infobargain.envs.actions import ActionError
from infobargain.envs.view import GameView


class TurnBasedGame(Protocol):
    """What the Parallel form needs of the AEC env it drives (``raw_env``)."""

    metadata: dict[str, Any]
    possible_agents: list[str]
    agents: list[str]
    render_mode: str | None
    decision_cap: int | None
    rewards: dict[str, float]
    terminations: dict[str, bool]
    truncations: dict[str, bool]
    infos: dict[str, dict[str, Any]]
    state_space: gymnasium.spaces.Box

    @property
    def view(self) -> GameView: ...

    @property
    def acting_agent(self) -> str: ...

    def observation_space(self, agent: str) -> gymnasium.spaces.Dict: ...

    def action_space(self, agent: str) -> gymnasium.Space: ...  # type: ignore[type-arg]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None: ...

    def observe(self, agent: str) -> dict[str, NDArray[Any]]: ...

    def state(self) -> NDArray[np.float64]: ...

    def check_action(self, agent: str, action: Any, *, enforce_mask: bool = True) -> Any: ...

    def decide(self, agent: str, action: Any) -> None: ...

    def render(self) -> str | NDArray[np.uint8] | None: ...

    def close(self) -> None: ...


class ParallelGame(ParallelEnv):  # type: ignore[type-arg]
    """The Parallel form: one decision per step. Every live agent sends an action; only the acting agent's is
    played (its ``infos[agent]["acting"]`` is true), the waiting agent's must lie in the action space and is
    otherwise ignored (its mask allows only ``ACCEPT``, so masked samplers send that)."""

    def __init__(self, aec: TurnBasedGame, max_cycles: int | None = None) -> None:
        self.aec = aec
        self.aec.decision_cap = max_cycles  # one decision per Parallel step
        self.metadata = aec.metadata
        self.possible_agents = aec.possible_agents
        self.agents: list[str] = []
        self.render_mode = aec.render_mode

    def observation_space(self, agent: str) -> gymnasium.spaces.Dict:
        return self.aec.observation_space(agent)

    def action_space(self, agent: str) -> gymnasium.Space:  # type: ignore[type-arg]
        return self.aec.action_space(agent)

    @property
    def unwrapped(self) -> TurnBasedGame:  # type: ignore[override]
        return self.aec

    @property
    def view(self) -> GameView:
        """The public, read-only view of the game and the situation (the AEC env's)."""
        return self.aec.view

    def state(self) -> NDArray[np.float64]:
        return self.aec.state()

    @property
    def state_space(self) -> gymnasium.spaces.Box:  # type: ignore[override]
        return self.aec.state_space

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        self.aec.reset(seed=seed, options=options)
        self.agents = self.aec.agents[:]
        return {agent: self.aec.observe(agent) for agent in self.agents}, {a: self.aec.infos[a] for a in self.agents}

    def step(
        self, actions: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, float], dict[str, bool], dict[str, bool], dict[str, Any]]:
        if not self.agents:
            raise RuntimeError("step() called after the episode ended (no live agents); call reset()")
        check_action_dict(actions, self.agents)
        acting = self.aec.acting_agent
        for agent in self.agents:
            if agent != acting:
                self.aec.check_action(agent, actions[agent], enforce_mask=False)
        self.aec.decide(acting, self.aec.check_action(acting, actions[acting]))
        return self.returns()

    def returns(
        self,
    ) -> tuple[dict[str, Any], dict[str, float], dict[str, bool], dict[str, bool], dict[str, Any]]:
        """What ``step`` returns after the AEC env has played a decision; the agents that ended leave."""
        agents, aec = self.agents, self.aec
        observations = {agent: aec.observe(agent) for agent in agents}
        rewards = {agent: aec.rewards.get(agent, 0.0) for agent in agents}
        terminations = {agent: aec.terminations[agent] for agent in agents}
        truncations = {agent: aec.truncations[agent] for agent in agents}
        infos = {agent: aec.infos[agent] for agent in agents}
        self.agents = [a for a in agents if not (terminations[a] or truncations[a])]
        if self.render_mode == "human":
            aec.render()
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | NDArray[np.uint8] | None:
        return self.aec.render()

    def close(self) -> None:
        self.aec.close()


def check_action_dict(actions: Any, agents: list[str]) -> None:
    """Refuse anything but a dict with one action for each live agent and no other key."""
    if not isinstance(actions, dict):
        raise ActionError(
            f"actions: expected a dict of one action per live agent ({', '.join(agents)}), got {type(actions).__name__}",
            malformed=True,
        )
    missing = [agent for agent in agents if agent not in actions]
    if missing:
        raise ActionError(
            f"actions: missing an action for {', '.join(missing)} (every live agent sends one)", malformed=True
        )
    unknown = [repr(key) for key in actions if key not in agents]
    if unknown:
        raise ActionError(
            f"actions: {', '.join(unknown[:4])} {'is not a live agent' if len(unknown) == 1 else 'are not live agents'}"
            f" (live: {', '.join(agents)})",
            malformed=True,
        )
