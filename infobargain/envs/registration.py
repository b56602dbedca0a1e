"""Environment ids: the Gymnasium views in Gymnasium's registry, the game in PettingZoo's.

``import infobargain`` registers ``infobargain/Sender-v0`` and ``infobargain/Receiver-v0`` with Gymnasium and
``infobargain/InformationBargaining-v0`` in PettingZoo's AEC and Parallel registries
(``pettingzoo.make("aec", "infobargain/InformationBargaining-v0")``, PettingZoo ≥ 1.27). :func:`make`
resolves every id in one place, with older PettingZoo releases too.
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
    """Register the Gymnasium ids and, where PettingZoo has a registry, the PettingZoo id (idempotent)."""
    for env_id, entry_point in (
        (SENDER_ID, "infobargain.envs.single_agent:SenderEnv"),
        (RECEIVER_ID, "infobargain.envs.single_agent:ReceiverEnv"),
    ):
        if env_id not in gymnasium.registry:
            gymnasium.register(env_id, entry_point=entry_point, disable_env_checker=False)
    try:
        from pettingzoo.env_registry.registration import aec_registry, parallel_registry, register
    except ImportError:  # PettingZoo < 1.27: make() below is the registry
        return
    module = "infobargain.envs.information_bargaining_v0"
    for env_type, registry, factory in (("aec", aec_registry, "env"), ("parallel", parallel_registry, "parallel_env")):
        if PETTINGZOO_ID not in registry:
            register(env_type, PETTINGZOO_ID, entry_point=f"{module}:{factory}")


def make(env_id: str, *, parallel: bool = False, **kwargs: Any) -> Any:
    """Build any infobargain environment by id (PettingZoo: AEC, or Parallel with ``parallel=True``)."""
    if env_id in PETTINGZOO_ENVS:
        module = PETTINGZOO_ENVS[env_id]
        return module.parallel_env(**kwargs) if parallel else module.env(**kwargs)
    if env_id in (SENDER_ID, RECEIVER_ID):
        return gymnasium.make(env_id, **kwargs)
    known = ", ".join([*PETTINGZOO_ENVS, SENDER_ID, RECEIVER_ID])
    raise ValueError(f"env id: unknown {env_id!r} (known: {known})")
