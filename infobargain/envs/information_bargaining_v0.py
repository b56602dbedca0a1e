"""Alias of :mod:`infobargain.envs.information_bargaining_v1`, kept so that code written for v0 still runs.

v1 is the same game; its version was bumped because the ``"frontier"`` observation gained the offer menu. The
``-v0`` ids (``infobargain/InformationBargaining-v0``, ``infobargain/Sender-v0``, ``infobargain/Receiver-v0``)
build the v1 environments too.
"""

from infobargain.envs.information_bargaining_v1 import env, parallel_env, raw_env

__all__ = ["env", "parallel_env", "raw_env"]
