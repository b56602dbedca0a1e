"""Naming the players an evaluation plays: a short name, a saved-player path or a ``Policy`` object.

Evaluation builds its own environments (one per worker process, one per situation it probes), so a player
must be bound to each of them:

- a name (``"spe"``, ``"nash"``, ``"threshold:0.2"``, …) or a path goes through
  :func:`~infobargain.agents.make_policy` / :func:`~infobargain.agents.load_policy`;
- a :class:`~infobargain.agents.BoundPolicy` (an analytic player built for some other env) is shallow-copied
  and re-bound to the evaluation env, because analytic players read the game from the env they are bound to;
- any other ``Policy`` (e.g. a learned model acting on observations alone) is used as it is.

Only names and paths can be sent to worker processes; ``Policy`` objects make the rollout serial.
"""

from __future__ import annotations

from pathlib import Path

from infobargain.agents import Policy, bind_policy

PlayerSpec = str | Path | Policy
"""A player name as :func:`~infobargain.agents.make_policy` knows it, a saved-player path, or a ``Policy``."""


bind_player = bind_policy
"""The player ``spec`` playing ``role`` in ``env`` (see :func:`~infobargain.agents.bind_policy`)."""


def player_name(spec: PlayerSpec) -> str:
    """A short label for reports."""
    if isinstance(spec, Path):
        return f"{spec.parent.parent.name}/{spec.name}" if spec.parent.name == "players" else str(spec)
    if isinstance(spec, str):
        return spec
    return str(getattr(spec, "spec", "") or type(spec).__name__)


def picklable(spec: PlayerSpec) -> bool:
    """Whether ``spec`` can be rebuilt in a worker process (names and paths can)."""
    return isinstance(spec, (str, Path))
