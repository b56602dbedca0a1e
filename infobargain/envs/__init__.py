"""Environments: the PettingZoo game (AEC and Parallel), its offer encodings and Gymnasium single-agent views."""

from infobargain.envs import information_bargaining_v1
from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT
from infobargain.envs.registration import PETTINGZOO_ID, RECEIVER_ID, SENDER_ID, make, register_envs
from infobargain.envs.single_agent import ReceiverEnv, SenderEnv, SingleAgentView

__all__ = [
    "ACCEPT",
    "FIRST_OFFER",
    "PETTINGZOO_ID",
    "RECEIVER_ID",
    "REJECT",
    "SENDER_ID",
    "ReceiverEnv",
    "SenderEnv",
    "SingleAgentView",
    "information_bargaining_v1",
    "make",
    "register_envs",
]
