"""Players during training: the exact outcome of a pair, probed on envs made once.

Players are named as everywhere else (:data:`~infobargain.agents.PlayerSpec`: a name, a saved player's path, a
``Policy``, or a list of those, a pool); :func:`~infobargain.agents.bind_policy` binds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.agents import PlayerSpec, Policy, bind_policy
from infobargain.envs.information_bargaining_v1 import AGENTS, raw_env
from infobargain.envs.view import act
from infobargain.game import protocol
from infobargain.game.config import ENV_DEFAULTS
from infobargain.game.protocol import ROLES, Role

__all__ = ["OutcomeProbe", "first_proposers"]


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
                AGENTS[role]: bind_policy(spec, env, role) for role, spec in zip(ROLES, (sender, receiver), strict=True)
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
