"""The Gymnasium single-agent views with their opponent named as a player: what ``infobargain/Sender-v1`` and
``infobargain/Receiver-v1`` build.

The views live in the envs layer and take a ``Policy`` or a callable; naming a player (``opponent="spe"``, a
saved player's path) needs this layer, whose package installs :func:`~infobargain.agents.bind_policy` as their
player factory on import. The registry's entry points name this module, so ``gymnasium.make`` composes the two
layers and the envs layer never imports this one.
"""

from __future__ import annotations

import infobargain.agents  # noqa: F401  (installs the player factory)
from infobargain.envs.single_agent import ReceiverEnv, SenderEnv, SingleAgentView

__all__ = ["ReceiverEnv", "SenderEnv", "SingleAgentView"]
