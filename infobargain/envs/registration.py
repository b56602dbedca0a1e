"""Building any infobargain environment by id, with older PettingZoo releases too.

The ids themselves are registered on ``import infobargain`` (:mod:`infobargain.registration`).
"""

from __future__ import annotations

from typing import Any

import gymnasium

from infobargain.envs import information_bargaining_v1
from infobargain.registration import ALIASES, PETTINGZOO_ID, RECEIVER_ID, SENDER_ID, register_envs

__all__ = ["PETTINGZOO_ENVS", "PETTINGZOO_ID", "RECEIVER_ID", "SENDER_ID", "make", "register_envs"]

PETTINGZOO_ENVS = {PETTINGZOO_ID: information_bargaining_v1}


def make(env_id: str, *, parallel: bool = False, **kwargs: Any) -> Any:
    """Build any infobargain environment by id (PettingZoo: AEC, or Parallel with ``parallel=True``); the ``-v0``
    ids are aliases of v1."""
    env_id = ALIASES.get(env_id, env_id)
    if env_id in PETTINGZOO_ENVS:
        module = PETTINGZOO_ENVS[env_id]
        return module.parallel_env(**kwargs) if parallel else module.env(**kwargs)
    if env_id in (SENDER_ID, RECEIVER_ID):
        return gymnasium.make(env_id, **kwargs)
    known = ", ".join([*PETTINGZOO_ENVS, SENDER_ID, RECEIVER_ID])
    raise ValueError(f"env id: unknown {env_id!r} (known: {known})")
