"""infobargain: information bargaining between a sender and a receiver, as a game, a theory and an RL environment.

Importing the package registers ``infobargain/Sender-v1`` and ``infobargain/Receiver-v1`` with Gymnasium and
``infobargain/InformationBargaining-v1`` with PettingZoo; ``infobargain.envs.make`` builds any of them.
"""

__version__ = "0.1.0"

from infobargain.registration import register_envs as _register_envs

_register_envs()
