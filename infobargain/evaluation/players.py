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

from infobargain.agents import PlayerSpec

__all__ = ["PlayerSpec", "picklable"]


def picklable(spec: PlayerSpec) -> bool:
    """Whether ``spec`` can be rebuilt in a worker process (names and paths can)."""
    return isinstance(spec, (str, Path))
