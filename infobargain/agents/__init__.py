"""Players: the ``Policy`` protocol, analytic players and adapters for learned models."""

from infobargain.agents.analytic import RandomPolicy, SPEPolicy, TargetPolicy
from infobargain.agents.base import BoundPolicy, Policy
from infobargain.agents.registry import POLICY_NAMES, PlayerSpec, bind_policy, load_policy, make_policy

__all__ = [
    "POLICY_NAMES",
    "BoundPolicy",
    "PlayerSpec",
    "Policy",
    "RandomPolicy",
    "SPEPolicy",
    "TargetPolicy",
    "bind_policy",
    "load_policy",
    "make_policy",
]
