"""Environment ids, registered on ``import infobargain`` by name only.

The Gymnasium views go into Gymnasium's registry, the game into PettingZoo's AEC and Parallel registries
(``pettingzoo.make("aec", "infobargain/InformationBargaining-v1")``, PettingZoo ≥ 1.27). Entry points are
strings, so registering imports neither the environments nor the rest of the package: ``import infobargain``
and ``infobargain --help`` stay fast, and ``infobargain.game`` can be imported without the layers above it.
"""

from __future__ import annotations

import gymnasium

PETTINGZOO_ID = "infobargain/InformationBargaining-v1"
SENDER_ID = "infobargain/Sender-v1"
RECEIVER_ID = "infobargain/Receiver-v1"
GAME_MODULE = "infobargain.envs.information_bargaining_v1"
ALIASES: dict[str, str] = {
    "infobargain/InformationBargaining-v0": PETTINGZOO_ID,
    "infobargain/Sender-v0": SENDER_ID,
    "infobargain/Receiver-v0": RECEIVER_ID,
}
"""Older ids, each building the environment of the current id it maps to."""


def register_envs() -> None:
    """Register the Gymnasium ids and, where PettingZoo has a registry, the PettingZoo id (idempotent)."""
    views = {SENDER_ID: "infobargain.agents.views:SenderEnv", RECEIVER_ID: "infobargain.agents.views:ReceiverEnv"}
    for env_id, current in (*((env_id, env_id) for env_id in views), *ALIASES.items()):
        if current in views and env_id not in gymnasium.registry:  # the views take opponents named as players
            gymnasium.register(env_id, entry_point=views[current], disable_env_checker=False)
    try:
        from pettingzoo.env_registry.registration import aec_registry, parallel_registry, register
    except ImportError:  # PettingZoo < 1.27: infobargain.envs.make is the registry
        return
    for env_type, registry, factory in (("aec", aec_registry, "env"), ("parallel", parallel_registry, "parallel_env")):
        for env_id in (PETTINGZOO_ID, *(alias for alias, current in ALIASES.items() if current == PETTINGZOO_ID)):
            if env_id not in registry:
                register(env_type, env_id, entry_point=f"{GAME_MODULE}:{factory}")
