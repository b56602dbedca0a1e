"""Naming the players an evaluation plays: a short name, a saved-player path or a ``Policy`` object.

Evaluation builds its own environments (one per worker process, one per rollout chunk):

- a name (``"spe"``, ``"nash"``, ``"threshold:0.2"``, …) or a path goes through
  :func:`~infobargain.agents.make_policy` / :func:`~infobargain.agents.load_policy` for each env;
- a ``Policy`` object is used as it is: players that read the game get each env's public view at every
  decision (:func:`~infobargain.envs.view.act`).

Only names and paths can be sent to worker processes; ``Policy`` objects make the rollout serial.
"""

from __future__ import annotations

from pathlib import Path

from infobargain.agents import PlayerSpec, bind_policy

__all__ = ["PlayerSpec", "bind_player", "picklable", "player_name"]


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
