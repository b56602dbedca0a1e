"""Players: the ``Policy`` protocol, analytic players and adapters for learned models."""

from infobargain.agents.analytic import RandomPolicy, SPEPolicy, TargetPolicy
from infobargain.agents.base import BoundPolicy, Policy, ViewPolicy
from infobargain.agents.registry import (
    POLICY_NAMES,
    PlayerSpec,
    bind_policy,
    load_policy,
    make_policy,
    player_label,
    register_player,
)
from infobargain.envs.single_agent import set_player_factory

set_player_factory(bind_policy)  # the Gymnasium views can name their opponent once this layer is loaded

__all__ = [
    "POLICY_NAMES",
    "BoundPolicy",
    "PlayerSpec",
    "Policy",
    "RandomPolicy",
    "SPEPolicy",
    "TargetPolicy",
    "ViewPolicy",
    "bind_policy",
    "load_policy",
    "make_policy",
    "player_label",
    "register_player",
]
