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

import copy
from pathlib import Path
from typing import Any

from infobargain.agents import BoundPolicy, Policy, load_policy, make_policy
from infobargain.game.protocol import Role

PlayerSpec = str | Path | Policy
"""A player name as :func:`~infobargain.agents.make_policy` knows it, a saved-player path, or a ``Policy``."""


def bind_player(spec: PlayerSpec, env: Any, role: Role) -> Policy:
    """The player ``spec`` playing ``role`` in ``env``."""
    if isinstance(spec, Path):
        return load_policy(spec, env, role)
    if isinstance(spec, str):
        return make_policy(spec, env, role)
    if isinstance(spec, BoundPolicy):
        if spec.role != role:
            raise ValueError(f"player: {spec!r} plays the {spec.role}, not the {role}")
        bound = copy.copy(spec)
        bound.env = env.unwrapped
        if hasattr(bound, "_cache"):  # an SPE player's plan belongs to the env it was computed for
            bound._cache = {}
        return bound
    if isinstance(spec, Policy):
        if getattr(spec, "role", role) != role:
            raise ValueError(f"player: {spec!r} plays the {spec.role}, not the {role}")
        return spec
    raise ValueError(f"player: expected a name, a path or a Policy, got {spec!r}")


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
