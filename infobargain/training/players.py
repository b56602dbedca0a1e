"""Players during training: fixed opponents bound to each env, pools of past players, and the exact outcome of a pair.

An opponent is named the way :func:`~infobargain.agents.make_policy` knows (``"spe"``, ``"threshold:0.2"``, a
saved player's path), or given as a :class:`~infobargain.agents.Policy` object, or as a list of those: a
**pool**, which plays one member per episode, drawn uniformly at random (:class:`PolicyPool`). Players that
read the game get each env's public view at every decision, so one player object serves every env.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.agents import PlayerSpec, Policy, bind_policy
from infobargain.agents.base import Observation
from infobargain.envs.information_bargaining_v0 import AGENTS, raw_env
from infobargain.envs.view import GameView, act
from infobargain.game import protocol
from infobargain.game.config import ENV_DEFAULTS
from infobargain.game.protocol import ROLES, Role

__all__ = ["OutcomeProbe", "PlayerSpec", "PolicyPool", "bind_player", "describe", "first_proposers"]


def bind_player(spec: PlayerSpec, env: Any, role: Role) -> Policy:
    """The player ``spec`` playing ``role`` in ``env`` (see :func:`~infobargain.agents.bind_policy`); a list
    becomes a :class:`PolicyPool`."""
    if isinstance(spec, Sequence) and not isinstance(spec, str):
        if not spec:
            raise ValueError("player: an empty list of players")
        return PolicyPool([bind_player(member, env, role) for member in spec], role)
    return bind_policy(spec, env, role)


def describe(spec: PlayerSpec) -> str:
    """A short label (for configs and reports)."""
    if isinstance(spec, (str, Path)):
        return str(spec)
    if isinstance(spec, Sequence):
        return "pool[" + ", ".join(describe(member) for member in spec) + "]"
    return str(getattr(spec, "spec", "") or type(spec).__name__)


class PolicyPool:
    """Plays as one of its members, drawn uniformly at random at every :meth:`reset`.

    Training against a pool of past opponents (fictitious-play style) rather than the latest one keeps a
    learner from over-fitting to its current opponent and cycling.
    """

    def __init__(self, members: Sequence[Policy], role: Role) -> None:
        if not members:
            raise ValueError("pool: needs at least one member")
        self.members = list(members)
        self.role: Role = role
        self.rng = np.random.default_rng(0)  # seeded: deterministic until reset(seed)
        self.current = self.members[-1]

    def reset(self, seed: int | None = None) -> None:
        """Draw the member for the next episode (and reset it with a seed from this draw)."""
        self.rng = np.random.default_rng(seed)
        self.current = self.members[int(self.rng.integers(len(self.members)))]
        self.current.reset(int(self.rng.integers(2**63)))

    reads_view = True  # members that read the game get the env's view

    def act(self, observation: Observation, view: GameView | None = None) -> Any:
        if view is None:
            return self.current.act(observation)
        return act(self.current, observation, view)

    def save(self, path: str | Path) -> None:
        raise TypeError("pool: a pool is not one player; save its members instead")

    def __repr__(self) -> str:
        return f"PolicyPool({len(self.members)} members, role={self.role!r})"


def first_proposers(env_kwargs: Mapping[str, Any]) -> tuple[Role, ...]:
    """The first proposers an env configuration plays (both for ``"coin_flip"``)."""
    return protocol.first_proposers(env_kwargs.get("first_proposer", ENV_DEFAULTS.first_proposer))


class OutcomeProbe:
    """Plays one pair of players once per first proposer in expected mode, on envs and bindings made once.

    For deterministic players (greedy learned players, the analytic ones) one episode in expected mode is
    the exact expected outcome of the pair: nature's moves are replaced by their expectations. A learned
    player that shares its model with a training run always plays the latest weights.
    """

    def __init__(self, env_kwargs: Mapping[str, Any], sender: PlayerSpec, receiver: PlayerSpec) -> None:
        kwargs = {key: value for key, value in env_kwargs.items() if key != "render_mode"}
        self.games: dict[Role, tuple[raw_env, dict[str, Policy]]] = {}
        for first in first_proposers(env_kwargs):
            env = raw_env(**{**kwargs, "first_proposer": first, "realization": "expected"})
            env.reset(seed=0)  # players read the game from a ready env
            players = {
                AGENTS[role]: bind_player(spec, env, role) for role, spec in zip(ROLES, (sender, receiver), strict=True)
            }
            self.games[first] = (env, players)

    def __call__(self) -> dict[Role, NDArray[np.float64]]:
        """``(U_S, U_R)`` of the pair, per first proposer (NaN if an outside ``max_cycles`` cap cut it short)."""
        outcomes = {}
        for first, (env, players) in self.games.items():
            env.reset(seed=0)
            for player in players.values():
                player.reset(0)
            while env.phase != "done" and not any(env.truncations.values()):
                agent = env.agent_selection
                env.step(act(players[agent], env.observe(agent), env.view))
            finished = env.payoffs is not None
            outcomes[first] = np.asarray(env.payoffs, dtype=np.float64) if finished else np.full(2, np.nan)
        return outcomes


def expected_outcome(
    env_kwargs: Mapping[str, Any], sender: PlayerSpec, receiver: PlayerSpec
) -> dict[Role, NDArray[np.float64]]:
    """``(U_S, U_R)`` of one expected-mode episode of the pair, per first proposer of ``env_kwargs``."""
    return OutcomeProbe(env_kwargs, sender, receiver)()
