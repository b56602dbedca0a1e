"""Environments: the PettingZoo game (AEC and Parallel), its offer encodings and Gymnasium single-agent views."""

from infobargain.envs import information_bargaining_v0
from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT

__all__ = ["ACCEPT", "FIRST_OFFER", "REJECT", "information_bargaining_v0"]
