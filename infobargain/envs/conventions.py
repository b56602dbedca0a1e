"""Conventions of other libraries, as options of ``env()`` and ``parallel_env()``.

Multi-agent libraries read a PettingZoo environment in slightly different ways. Three options adapt the
environment to them without changing the game. Their defaults follow PettingZoo's classic envs, so that the
bare constructors work in every client (TorchRL, Tianshou, RLlib, SuperSuit): plain infos, and an illegal
action ends the episode (``raw_env`` stays strict). ``info_format="full", illegal_action="raise"`` with the
``"dict"`` observation is ``raw_env``'s own behaviour, and then no wrapper is added at all.

``observation_format``
    ``"dict"`` (default): ``{"observation": float64 vector, "action_mask": int8 vector}`` (PettingZoo's
    classic envs, Tianshou, TorchRL's ``use_mask``). ``"box"``: the vector alone as a ``float32`` Box, for
    tools that need Box observations (SuperSuit's ``black_death_v3`` and vector-env conversion, SB3's
    ``MlpPolicy``); the mask stays available in ``infos[agent]["action_mask"]`` (``info_format="full"``)
    and from ``env.unwrapped.action_mask(agent)``. ``"rllib"``: ``{"observations": float32 vector,
    "action_mask": float32 vector}``, the keys and dtypes RLlib's action-masking RL module reads.

``info_format``
    ``"numeric"`` (default): plain infos, the facts as floats under the same keys on every step
    (:data:`NUMERIC_INFO_KEYS`), without the mask (it is in the observation), which libraries that store
    infos in tensors or batches (TorchRL, Tianshou's ``Collector``) can hold. ``"full"``: the rich
    description (strings, nested dicts, keys that appear once something happens; see the env card).

``illegal_action``
    What a Discrete action outside the acting agent's mask or the action space (including ``None``, NaN or
    a huge integer) does during bargaining. ``"disagree"`` (default): the offender walks away and the
    episode ends at once, as PettingZoo's ``TerminateIllegalWrapper`` ends it; instead of that wrapper's
    arbitrary ``-1``/``0`` (no meaning on a general-sum game's payoff scale) both players are paid the game's
    own no-deal outcome of that round, ``discount**t · d``, in one final reward (in ``"sampled"`` mode the
    realization stage is not played), and the offender's ``infos[agent]["illegal_action"]`` is set (the other
    agent's is not). In the realization stage, where nobody decides, whatever the acting agent sends
    passes. ``"raise"`` (always ``raw_env``'s behaviour): an ``ActionError`` (a ``ValueError``) naming the
    legal actions, so a bug in a masking pipeline surfaces at once. A malformed action
    (:mod:`infobargain.envs.actions`: a wrong shape, values that are not real numbers, a ``"scheme"`` vector
    outside ``[-1, 1]``) and a malformed Parallel action dict raise under both, as in the Gymnasium views. A
    waiting agent's action in the Parallel form only has to lie in the action space.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter
from typing import Any

import gymnasium
import numpy as np
from numpy.typing import NDArray
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils.wrappers import BaseParallelWrapper, BaseWrapper

from infobargain.envs.actions import ActionError
from infobargain.envs.parallel import check_action_dict
from infobargain.game.protocol import ROLE_INDEX
from infobargain.game.state import ACCEPT, BARGAINING, DONE, REALIZATION

OBSERVATIONS = "observations"
"""RLlib's key for the observation vector inside a dict observation."""
ACTION_MASK = "action_mask"
"""The action mask's key, in the env's observations and in RLlib's."""
OBSERVATION_FORMATS = ("dict", "box", "rllib")
ILLEGAL_ACTIONS = ("disagree", "raise")
INFO_FORMATS = ("numeric", "full")
STRICT: dict[str, str] = {"info_format": "full", "illegal_action": "raise"}
"""``raw_env``'s own conventions as options of ``env()``/``parallel_env()``: the full infos, and an illegal action
raises (what code that reads ``infos[agent]["outcome"]`` or wants a masking bug to surface passes)."""

NUMERIC_INFO_KEYS: dict[str, str] = {
    "acting": "1 if this agent decides now",
    "phase": "0 bargaining, 1 realization, 2 done",
    "round": "the bargaining round",
    "proposer": "this round's proposer: 0 sender, 1 receiver",
    "first_proposer": "0 sender, 1 receiver",
    "offer_on_table": "1 while an offer waits for an answer",
    "offer_sender_payoff": "the sender's payoff if the offer on the table is accepted (0 without one)",
    "offer_receiver_payoff": "the receiver's payoff if it is accepted (0 without one)",
    "bargaining_over": "1 once bargaining has ended",
    "deal": "1 if bargaining ended in a deal",
    "end_round": "the round bargaining ended in (-1 before)",
    "sender_payoff": "the sender's episode payoff once known (0 before)",
    "receiver_payoff": "the receiver's episode payoff once known (0 before)",
    "illegal_action": "1 for the agent whose illegal action ended the episode (``illegal_action='disagree'``)",
}
"""The keys of ``info_format="numeric"`` infos, present on every step, all floats."""


def rllib_observation(observation: Mapping[str, Any]) -> dict[str, NDArray[np.float32]]:
    """The env's observation dict as RLlib's action-masking modules read it: ``observations`` and (discrete
    offers) ``action_mask``, both float32."""
    adapted = {OBSERVATIONS: np.asarray(observation["observation"], dtype=np.float32)}
    if ACTION_MASK in observation:
        adapted[ACTION_MASK] = np.asarray(observation[ACTION_MASK], dtype=np.float32)
    return adapted


def rllib_observation_space(space: gymnasium.spaces.Dict) -> gymnasium.spaces.Dict:
    """The observation space matching :func:`rllib_observation`."""
    vector = space["observation"]
    parts: dict[str, gymnasium.Space] = {OBSERVATIONS: gymnasium.spaces.Box(-np.inf, np.inf, vector.shape, np.float32)}
    if ACTION_MASK in space.spaces:
        parts[ACTION_MASK] = gymnasium.spaces.Box(0.0, 1.0, space[ACTION_MASK].shape, np.float32)
    return gymnasium.spaces.Dict(parts)


def check_conventions(observation_format: str, info_format: str, illegal_action: str) -> None:
    for name, value, allowed in (
        ("observation_format", observation_format, OBSERVATION_FORMATS),
        ("info_format", info_format, INFO_FORMATS),
        ("illegal_action", illegal_action, ILLEGAL_ACTIONS),
    ):
        if value not in allowed:
            raise ValueError(f"{name}: must be one of {allowed}, got {value!r}")


def numeric_info(game: Any, agent: str, offender: str | None) -> dict[str, float]:
    """``agent``'s info under ``info_format="numeric"``: what its full info says (:mod:`infobargain.envs.infos`),
    as numbers under :data:`NUMERIC_INFO_KEYS` (every key, every step), read from the raw env ``game``'s state
    so that the full infos need not be built (``env()`` calls this on every step)."""
    state, phase, payoffs = game.game_state, game.phase, game.payoffs
    bargaining = phase == BARGAINING
    offer = state.pending if bargaining else None
    offer_payoffs = (0.0, 0.0) if offer is None else offer.payoffs.tolist()
    final = (0.0, 0.0) if payoffs is None else payoffs.tolist()
    return {
        "acting": float(phase != DONE and game.acting_agent == agent),
        "phase": 0.0 if bargaining else (1.0 if phase == REALIZATION else 2.0),
        "round": float(state.round),
        "proposer": float(ROLE_INDEX[state.proposer]),
        "first_proposer": float(ROLE_INDEX[state.first]),
        "offer_on_table": float(offer is not None),
        "offer_sender_payoff": offer_payoffs[0],
        "offer_receiver_payoff": offer_payoffs[1],
        "bargaining_over": float(not bargaining),
        "deal": float(not bargaining and state.deal is not None),
        "end_round": -1.0 if bargaining else float(state.end_round),
        "sender_payoff": final[0],
        "receiver_payoff": final[1],
        "illegal_action": float(agent == offender),
    }


class _Conventions:
    """The observation, info and legality conventions shared by the AEC and Parallel wrappers."""

    def __init__(self, game: Any, observation_format: str, info_format: str, illegal_action: str) -> None:
        check_conventions(observation_format, info_format, illegal_action)
        self.game = game  # the raw_env that plays the game
        self.observation_format = observation_format
        self.info_format = info_format
        self.illegal_action = illegal_action
        self.offender: str | None = None
        """The agent whose illegal action ended this episode, if one did."""
        base = game.observation_space(game.possible_agents[0])
        if observation_format == "rllib" and ACTION_MASK not in base.spaces:
            raise ValueError(
                "observation_format: 'rllib' needs an action mask, and the continuous 'scheme' offer space has "
                "none; use 'box'"
            )
        if observation_format == "box":
            self.space: gymnasium.Space = gymnasium.spaces.Box(-np.inf, np.inf, base["observation"].shape, np.float32)
        elif observation_format == "rllib":
            self.space = rllib_observation_space(base)
        else:
            self.space = base

    def observation(self, raw: dict[str, NDArray[Any]]) -> Any:
        if self.observation_format == "box":
            return raw["observation"].astype(np.float32)
        if self.observation_format == "rllib":
            return rllib_observation(raw)
        return raw

    def info(self, agent: str) -> dict[str, Any]:
        """``agent``'s info under the chosen format."""
        if self.info_format == "numeric":
            return numeric_info(self.game, agent, self.offender)
        raw = self.game.infos[agent]
        return {**raw, "illegal_action": agent == self.offender} if self.illegal_action == "disagree" else raw

    def forgive(self, agent: str, error: ActionError) -> bool:
        """Under ``"disagree"``, after the acting ``agent``'s action was refused with ``error``: ``True`` if the
        episode ends on it (a bargaining decision), ``False`` if the agent passes instead (the realization
        stage, where nobody decides). Raises ``error`` again where it stands: a malformed action (a wrongly
        shaped array, a ``"scheme"`` vector outside ``[-1, 1]``), as in the Gymnasium views."""
        if error.malformed or not isinstance(self.game.action_space(agent), gymnasium.spaces.Discrete):
            raise error
        if self.game.phase == REALIZATION:
            return False
        self.offender = agent
        self.game.disagree(agent, "illegal action", end_episode=True)
        return True


def _forwarded(name: str) -> property:
    """The wrapped env's attribute ``name``, read without PettingZoo's ``__getattr__`` forwarding (``env()``
    reads these on every step; :mod:`infobargain.envs.order_enforcing` explains the cost)."""
    return property(attrgetter(f"env.{name}"), doc=f"The wrapped env's ``{name}``.")


class ConventionsWrapper(BaseWrapper):  # type: ignore[type-arg]
    """The AEC environment under other observation, info and illegal-action conventions."""

    agents = _forwarded("agents")
    agent_selection = _forwarded("agent_selection")
    rewards = _forwarded("rewards")
    terminations = _forwarded("terminations")
    truncations = _forwarded("truncations")
    num_agents = _forwarded("num_agents")

    def __init__(
        self,
        env: AECEnv,
        observation_format: str = "dict",
        info_format: str = "numeric",
        illegal_action: str = "disagree",
    ) -> None:
        super().__init__(env)
        self.conventions = _Conventions(env.unwrapped, observation_format, info_format, illegal_action)

    def observation_space(self, agent: str) -> gymnasium.Space:
        return self.conventions.space

    def observe(self, agent: str) -> Any:
        return self.conventions.observation(self.env.observe(agent))

    @property
    def infos(self) -> dict[str, dict[str, Any]]:  # type: ignore[override]
        return {agent: self.conventions.info(agent) for agent in self.env.unwrapped.infos}

    def last(self, observe: bool = True) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        conventions = self.conventions
        game = conventions.game
        agent = game.agent_selection
        observation = game.observe(agent) if observe else None
        if observation is not None and conventions.observation_format != "dict":
            observation = conventions.observation(observation)
        return (
            observation,
            game._cumulative_rewards[agent],
            game.terminations[agent],
            game.truncations[agent],
            conventions.info(agent),
        )

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        self.conventions.offender = None
        self.env.reset(seed=seed, options=options)

    def step(self, action: Any) -> None:
        if self.conventions.illegal_action == "raise":
            self.env.step(action)
            return
        try:  # raw_env checks the action before it changes anything
            self.env.step(action)
        except ActionError as error:
            if not self.conventions.forgive(self.env.unwrapped.agent_selection, error):
                self.env.step(ACCEPT)  # the realization stage's only move


class ParallelConventionsWrapper(BaseParallelWrapper):  # type: ignore[type-arg]
    """The Parallel environment under other observation, info and illegal-action conventions."""

    def __init__(
        self,
        env: ParallelEnv,
        observation_format: str = "dict",
        info_format: str = "numeric",
        illegal_action: str = "disagree",
    ) -> None:
        super().__init__(env)
        self.conventions = _Conventions(env.unwrapped, observation_format, info_format, illegal_action)

    def observation_space(self, agent: str) -> gymnasium.Space:
        return self.conventions.space

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        self.conventions.offender = None
        observations, infos = self.env.reset(seed=seed, options=options)
        self.agents = self.env.agents
        return self._converted(observations, infos)

    def step(
        self, actions: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, float], dict[str, bool], dict[str, bool], dict[str, Any]]:
        lenient = self.conventions.illegal_action == "disagree"
        returned = self._lenient_step(actions) if lenient else self.env.step(actions)
        observations, rewards, terminations, truncations, infos = returned
        self.agents = self.env.agents
        converted, infos = self._converted(observations, infos)
        return converted, rewards, terminations, truncations, infos

    def _lenient_step(
        self, actions: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, float], dict[str, bool], dict[str, bool], dict[str, Any]]:
        """One step under ``illegal_action="disagree"``: the acting agent's illegal action ends the episode
        (bargaining) or passes (realization); a waiting agent's action only has to lie in the action space."""
        if not self.env.agents:
            raise RuntimeError("step() called after the episode ended (no live agents); call reset()")
        check_action_dict(actions, self.env.agents)
        acting = self.conventions.game.acting_agent
        try:
            self.conventions.game.check_action(acting, actions[acting])
        except ActionError as error:
            if self.conventions.forgive(acting, error):
                return self.env.returns()  # type: ignore[no-any-return]
            actions = {**actions, acting: ACCEPT}
        return self.env.step(actions)  # type: ignore[no-any-return]

    def _converted(self, observations: dict[str, Any], infos: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        conventions = self.conventions
        return (
            {agent: conventions.observation(o) for agent, o in observations.items()},
            {agent: conventions.info(agent) for agent in infos},
        )


def with_conventions(
    env: AECEnv | ParallelEnv,
    observation_format: str = "dict",
    info_format: str = "numeric",
    illegal_action: str = "disagree",
) -> AECEnv | ParallelEnv:
    """``env`` under the given conventions; ``env`` itself under ``raw_env``'s own (``"dict"``, ``"full"``,
    ``"raise"``)."""
    check_conventions(observation_format, info_format, illegal_action)
    if observation_format == "dict" and {"info_format": info_format, "illegal_action": illegal_action} == STRICT:
        return env
    wrapper = ParallelConventionsWrapper if isinstance(env, ParallelEnv) else ConventionsWrapper
    return wrapper(env, observation_format, info_format, illegal_action)
