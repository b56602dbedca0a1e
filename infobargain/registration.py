"""Environment ids, registered on ``import infobargain`` by name only.

The Gymnasium views go into Gymnasium's registry, the game into PettingZoo's AEC and Parallel registries
(``pettingzoo.make("aec", "infobargain/InformationBargaining-v0")``, PettingZoo ≥ 1.27). Entry points are
strings, so registering imports neither the environments nor the rest of the package: ``import infobargain``
and ``infobargain --help`` stay fast, and ``infobargain.game`` can be imported without the layers above it.
"""

from __future__ import annotations

import gymnasium

PETTINGZOO_ID = "infobargain/InformationBargaining-v0"
SENDER_ID = "infobargain/Sender-v0"
RECEIVER_ID = "infobargain/Receiver-v0"
GAME_MODULE = "infobargain.envs.information_bargaining_v0"


def register_envs() -> None:
    """Register the Gymnasium ids and, where PettingZoo has a registry, the PettingZoo id (idempotent)."""
    for env_id, entry_point in (
        (SENDER_ID, "infobargain.agents.views:SenderEnv"),  # with opponents named as players
        (RECEIVER_ID, "infobargain.agents.views:ReceiverEnv"),
    ):
        if env_id not in gymnasium.registry:
            gymnasium.register(env_id, entry_point=entry_point, disable_env_checker=False)
    try:
        from pettingzoo.env_registry.registration import aec_registry, parallel_registry, register
    except ImportError:  # PettingZoo < 1.27: infobargain.envs.make is the registry
        return
    for env_type, registry, factory in (("aec", aec_registry, "env"), ("parallel", parallel_registry, "parallel_env")):
        if PETTINGZOO_ID not in registry:
            register(env_type, PETTINGZOO_ID, entry_point=f"{GAME_MODULE}:{factory}")
