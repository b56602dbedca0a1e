"""Conventions of other libraries, as options of ``env()`` and ``parallel_env()``.

Multi-agent libraries read a PettingZoo environment in slightly different ways. Three options adapt the
environment to them without changing the game; their defaults are PettingZoo's classic conventions, and
with every option at its default no wrapper is added at all.

``observation_format``
    ``"dict"`` (default): ``{"observation": float64 vector, "action_mask": int8 vector}`` (PettingZoo's
    classic envs, Tianshou, TorchRL's ``use_mask``). ``"box"``: the vector alone as a ``float32`` Box, for
    tools that need Box observations (SuperSuit's ``black_death_v3`` and vector-env conversion, SB3's
    ``MlpPolicy``); the mask stays available in ``infos[agent]["action_mask"]`` (``info_format="full"``)
    and from ``env.unwrapped.action_mask(agent)``. ``"rllib"``: ``{"observations": float32 vector,
    "action_mask": float32 vector}``, the keys and dtypes RLlib's action-masking RL module reads.

``info_format``
    ``"full"`` (default): descriptive infos (strings, nested dicts, keys that appear once something
    happens; see the env card). ``"numeric"``: the same facts as numbers under the same keys on every step
    (:data:`NUMERIC_INFO_KEYS`), without the mask (it is in the observation), for libraries that store
    infos in tensors or batches (TorchRL, Tianshou's ``Collector``).

``illegal_action``
    What a Discrete action outside the acting agent's mask or the action space (including ``None``, NaN or
    a huge integer) does. ``"raise"``
    (default, and always ``raw_env``'s behaviour): a ``ValueError`` naming the legal actions, so a bug in
    a masking pipeline surfaces at once. ``"disagree"``: the offender walks away, bargaining ends without
    a deal and both players get the disagreement outcome, as in the Gymnasium single-agent views;
    ``infos[agent]["illegal_action"]`` says so. It keeps unmasked samplers (RLlib's env pre-check,
    SuperSuit + plain PPO) inside the game's own outcomes instead of an arbitrary penalty such as
    PettingZoo's ``TerminateIllegalWrapper``'s ``-1``, which has no meaning in a general-sum game whose
    payoffs have their own scale. A malformed action (:mod:`infobargain.envs.actions`: a wrong shape, values
    that are not real numbers, a ``"scheme"`` vector outside ``[-1, 1]``) and a malformed Parallel action dict
    raise under both, as in the Gymnasium views. A waiting agent's action in the Parallel form only has to lie
    in the action space.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium
import numpy as np
from numpy.typing import NDArray
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils.wrappers import BaseParallelWrapper, BaseWrapper

from infobargain.envs.actions import ActionError
from infobargain.envs.parallel import check_action_dict
from infobargain.game.protocol import ROLE_INDEX

OBSERVATIONS = "observations"
"""RLlib's key for the observation vector inside a dict observation."""
ACTION_MASK = "action_mask"
"""The action mask's key, in the env's observations and in RLlib's."""
OBSERVATION_FORMATS = ("dict", "box", "rllib")
INFO_FORMATS = ("full", "numeric")
ILLEGAL_ACTIONS = ("raise", "disagree")

PHASES = {"bargaining": 0, "realization": 1, "done": 2}
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
    "illegal_action": "1 if the episode ended because an agent sent an illegal action",
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


def numeric_info(info: dict[str, Any], illegal: bool) -> dict[str, float]:
    """A full info as numbers under :data:`NUMERIC_INFO_KEYS` (every key, every step)."""
    offer = info.get("offer")
    outcome = info.get("outcome")
    payoffs = outcome.get("payoffs") if outcome else None
    return {
        "acting": float(info["acting"]),
        "phase": float(PHASES[info["phase"]]),
        "round": float(info["round"]),
        "proposer": float(ROLE_INDEX[info["proposer"]]),
        "first_proposer": float(ROLE_INDEX[info["first_proposer"]]),
        "offer_on_table": float(offer is not None),
        "offer_sender_payoff": float(offer["payoffs"][0]) if offer else 0.0,
        "offer_receiver_payoff": float(offer["payoffs"][1]) if offer else 0.0,
        "bargaining_over": float(outcome is not None),
        "deal": float(bool(outcome and outcome["deal"])),
        "end_round": float(outcome["end_round"]) if outcome else -1.0,
        "sender_payoff": float(payoffs[0]) if payoffs is not None else 0.0,
        "receiver_payoff": float(payoffs[1]) if payoffs is not None else 0.0,
        "illegal_action": float(illegal),
    }


class _Conventions:
    """The observation, info and legality conventions shared by the AEC and Parallel wrappers."""

    def __init__(self, game: Any, observation_format: str, info_format: str, illegal_action: str) -> None:
        check_conventions(observation_format, info_format, illegal_action)
        self.game = game  # the raw_env that plays the game
        self.observation_format = observation_format
        self.info_format = info_format
        self.illegal_action = illegal_action
        self.illegal = False
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

    def info(self, raw: dict[str, Any]) -> dict[str, Any]:
        if self.info_format == "numeric":
            return numeric_info(raw, self.illegal)
        return {**raw, "illegal_action": self.illegal} if self.illegal_action == "disagree" else raw

    def is_illegal(self, agent: str, action: Any) -> bool:
        """Whether the acting ``agent`` walks away with ``action`` (only asked under ``"disagree"``): a Discrete
        action the game cannot play. As in the Gymnasium views, a malformed action (a wrongly shaped array, a
        ``"scheme"`` vector outside ``[-1, 1]``) is a programming error and still raises."""
        try:
            self.game.check_action(agent, action)
        except ActionError as error:
            if error.malformed or not isinstance(self.game.action_space(agent), gymnasium.spaces.Discrete):
                raise
            return True
        return False


class ConventionsWrapper(BaseWrapper):  # type: ignore[type-arg]
    """The AEC environment under other observation, info and illegal-action conventions."""

    def __init__(
        self, env: AECEnv, observation_format: str = "dict", info_format: str = "full", illegal_action: str = "raise"
    ) -> None:
        super().__init__(env)
        self.conventions = _Conventions(env.unwrapped, observation_format, info_format, illegal_action)

    def observation_space(self, agent: str) -> gymnasium.Space:
        return self.conventions.space

    def observe(self, agent: str) -> Any:
        return self.conventions.observation(self.env.observe(agent))

    @property
    def infos(self) -> dict[str, dict[str, Any]]:  # type: ignore[override]
        return {agent: self.conventions.info(info) for agent, info in self.env.infos.items()}

    def last(self, observe: bool = True) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        agent = self.env.agent_selection
        observation = self.observe(agent) if observe else None
        game = self.env.unwrapped
        return (
            observation,
            game._cumulative_rewards[agent],
            game.terminations[agent],
            game.truncations[agent],
            self.conventions.info(game.infos[agent]),
        )

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        self.conventions.illegal = False
        self.env.reset(seed=seed, options=options)

    def step(self, action: Any) -> None:
        game, agent = self.env.unwrapped, self.env.agent_selection
        live = not (game.terminations[agent] or game.truncations[agent])
        if live and self.conventions.illegal_action == "disagree" and self.conventions.is_illegal(agent, action):
            self.conventions.illegal = True
            game.disagree(agent, "illegal action")
            return
        self.env.step(action)


class ParallelConventionsWrapper(BaseParallelWrapper):  # type: ignore[type-arg]
    """The Parallel environment under other observation, info and illegal-action conventions."""

    def __init__(
        self,
        env: ParallelEnv,
        observation_format: str = "dict",
        info_format: str = "full",
        illegal_action: str = "raise",
    ) -> None:
        super().__init__(env)
        self.conventions = _Conventions(env.unwrapped, observation_format, info_format, illegal_action)

    def observation_space(self, agent: str) -> gymnasium.Space:
        return self.conventions.space

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        self.conventions.illegal = False
        observations, infos = self.env.reset(seed=seed, options=options)
        self.agents = self.env.agents
        return self._converted(observations, infos)

    def step(
        self, actions: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, float], dict[str, bool], dict[str, bool], dict[str, Any]]:
        conventions, game = self.conventions, self.env.unwrapped
        if conventions.illegal_action == "raise":
            observations, rewards, terminations, truncations, infos = self.env.step(actions)
        else:
            if not self.env.agents:
                raise RuntimeError("step() called after the episode ended (no live agents); call reset()")
            check_action_dict(actions, self.env.agents)
            acting = game.acting_agent
            if conventions.is_illegal(acting, actions[acting]):
                conventions.illegal = True
                game.disagree(acting, "illegal action")
                observations, rewards, terminations, truncations, infos = self.env.returns()
            else:
                observations, rewards, terminations, truncations, infos = self.env.step(actions)
        self.agents = self.env.agents
        converted, infos = self._converted(observations, infos)
        return converted, rewards, terminations, truncations, infos

    def _converted(self, observations: dict[str, Any], infos: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        conventions = self.conventions
        return (
            {agent: conventions.observation(o) for agent, o in observations.items()},
            {agent: conventions.info(i) for agent, i in infos.items()},
        )


def with_conventions(
    env: AECEnv | ParallelEnv,
    observation_format: str = "dict",
    info_format: str = "full",
    illegal_action: str = "raise",
) -> AECEnv | ParallelEnv:
    """``env`` under the given conventions; ``env`` itself when every option is its default."""
    check_conventions(observation_format, info_format, illegal_action)
    if (observation_format, info_format, illegal_action) == ("dict", "full", "raise"):
        return env
    wrapper = ParallelConventionsWrapper if isinstance(env, ParallelEnv) else ConventionsWrapper
    return wrapper(env, observation_format, info_format, illegal_action)
