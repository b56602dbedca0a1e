"""Environment ids: the Gymnasium views in Gymnasium's registry, the PettingZoo game in ours.

PettingZoo has no global registry, so :func:`make` resolves ``infobargain/InformationBargaining-v0`` (and
the Gymnasium ids) in one place.
"""

from __future__ import annotations

from typing import Any

import gymnasium

from infobargain.envs import information_bargaining_v0

PETTINGZOO_ID = "infobargain/InformationBargaining-v0"
SENDER_ID = "infobargain/Sender-v0"
RECEIVER_ID = "infobargain/Receiver-v0"
PETTINGZOO_ENVS = {PETTINGZOO_ID: information_bargaining_v0}


def register_envs() -> None:
    """Register the Gymnasium ids (idempotent)."""
    for env_id, entry_point in (
        (SENDER_ID, "infobargain.envs.single_agent:SenderEnv"),
        (RECEIVER_ID, "infobargain.envs.single_agent:ReceiverEnv"),
    ):
        if env_id not in gymnasium.registry:
            gymnasium.register(env_id, entry_point=entry_point, disable_env_checker=False)


def make(env_id: str, *, parallel: bool = False, **kwargs: Any) -> Any:
    """Build any infobargain environment by id (PettingZoo: AEC, or Parallel with ``parallel=True``)."""
    if env_id in PETTINGZOO_ENVS:
        module = PETTINGZOO_ENVS[env_id]
        return module.parallel_env(**kwargs) if parallel else module.env(**kwargs)
    if env_id in (SENDER_ID, RECEIVER_ID):
        return gymnasium.make(env_id, **kwargs)
    known = ", ".join([*PETTINGZOO_ENVS, SENDER_ID, RECEIVER_ID])
    raise ValueError(f"env id: unknown {env_id!r} (known: {known})")
