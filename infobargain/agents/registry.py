"""Players by short name: ``spe``, ``bp``, ``nash``, ``obedient``, ``ignore``, ``threshold:0.2``, ``random``,
``human`` (the terminal), ``llm:MODEL`` (a chat model, configured by environment variables), or a path to a
saved player (an analytic player's ``.json``, or a trained model)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from infobargain.agents.analytic import RandomPolicy, SPEPolicy, TargetPolicy, best_offer_for, conceding_down_to
from infobargain.agents.base import Policy
from infobargain.game.protocol import ROLE_INDEX, Role
from infobargain.theory.solutions import nash

PlayerSpec = str | Path | Policy | Sequence["PlayerSpec"]
"""A player: a name :func:`make_policy` knows, a saved player's path, a ``Policy`` object, or (in training only)
a list of those, a pool that plays one member per episode. The one definition: evaluation and training use it."""

POLICY_NAMES = ("spe", "bp", "nash", "obedient", "ignore", "threshold:T", "random", "human", "llm:MODEL", "PATH")


def _threshold(spec: str) -> float:
    """The level of ``threshold:T``: a finite number."""
    try:
        level = float(spec.split(":", 1)[1])
    except (IndexError, ValueError):
        level = math.nan
    if not math.isfinite(level):
        raise ValueError(f"policy: {spec!r} is not of the form threshold:NUMBER (e.g. threshold:0.2)")
    return level


def check_reachable_threshold(spec: str, env: Any, role: Role) -> None:
    """For a user choosing a player for one game: ``threshold:T`` above every payoff a deal can give ``role``
    never accepts anything, which is almost surely a typo (``threshold:2`` for 0.2). :func:`make_policy` allows
    it (a fixed threshold may play many games); the command line calls this first."""
    if not spec.startswith("threshold"):
        return
    level = _threshold(spec)
    best = float(env.unwrapped.problem.feasible.vertices[:, ROLE_INDEX[role]].max())
    if level > best + 1e-9:
        raise ValueError(
            f"policy: {spec!r}: no deal gives the {role} that much in this game (at most {best:.4g}); "
            "such a player never accepts ('ignore' is that player)"
        )


BUILT_IN = ("spe", "bp", "nash", "obedient", "ignore", "random", "human")
"""The players named by a word alone (``threshold:T``, ``llm:MODEL`` and paths take an argument)."""


def check_player_spec(spec: str, flag: str = "policy") -> None:
    """Raise ``ValueError`` (naming ``flag``) unless ``spec`` is a name :func:`make_policy` knows or an existing
    path: a cheap check before any work starts, without building the player."""
    if spec in BUILT_IN or spec.startswith(("threshold:", "llm:")) or Path(spec).exists():
        return
    raise ValueError(f"{flag}: unknown player {spec!r} (known: {', '.join(POLICY_NAMES)})")


def make_policy(spec: str, env: Any, role: Role) -> Policy:
    """Build the player named ``spec`` for ``role`` in ``env``."""
    if spec == "spe":
        return SPEPolicy(env, role)
    if spec == "random":
        return RandomPolicy(env, role)
    if spec == "bp":
        if role != "sender":
            raise ValueError("policy: 'bp' (the Bayesian-persuasion sender) plays the sender only")
        return TargetPolicy(env, role, spec, best_offer_for(0), lambda problem, me: problem.disagreement[me])
    if spec == "nash":
        return TargetPolicy(
            env, role, spec, lambda problem, me: nash(problem), lambda problem, me: float(nash(problem)[me])
        )
    if spec == "obedient":
        return TargetPolicy(env, role, spec, best_offer_for(ROLE_INDEX[role]), lambda problem, me: -np.inf)
    if spec == "ignore":
        return TargetPolicy(env, role, spec, best_offer_for(ROLE_INDEX[role]), lambda problem, me: np.inf)
    if spec == "human":
        from infobargain.agents.human import HumanPolicy

        return HumanPolicy(env, role)
    if spec.startswith("llm:"):
        from infobargain.agents.llm import LLMPolicy

        return LLMPolicy.from_spec(spec, env, role)
    if spec.startswith("threshold"):
        level = _threshold(spec)
        return TargetPolicy(env, role, spec, conceding_down_to(level), lambda problem, me: level)
    path = Path(spec)
    if path.exists():
        return load_policy(path, env, role)
    raise ValueError(f"policy: unknown player {spec!r} (known: {', '.join(POLICY_NAMES)})")


def load_policy(path: str | Path, env: Any, role: Role) -> Policy:
    """Rebuild a saved player: an analytic player's JSON, or a trained model through its adapter."""
    path = Path(path)
    if path.suffix == ".json":
        try:
            saved = json.loads(path.read_text())
            spec = saved["policy"]
            if not isinstance(spec, str) or spec.endswith(".json"):  # no chains of saved players, hence no cycles
                raise TypeError
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            raise ValueError(f'policy: {path} is not a saved player (expected {{"policy": NAME}})') from None
        return make_policy(spec, env, role)
    from infobargain.agents.loading import load_learned

    return load_learned(path, env, role)


def bind_policy(spec: PlayerSpec, env: Any, role: Role) -> Policy:
    """The player ``spec`` (a name, a saved player's path, or a ``Policy``) playing ``role`` in ``env``.

    A ``Policy`` object is used as it is, whichever env it was built for: players that read the game get the
    env's public view at every decision (:func:`~infobargain.envs.view.act`).
    """
    if isinstance(spec, Path):
        return load_policy(spec, env, role)
    if isinstance(spec, str):
        return make_policy(spec, env, role)
    if isinstance(spec, Sequence):
        raise ValueError(f"player: a list of players (a pool) plays in training only, got {spec!r}")
    if getattr(spec, "role", role) != role:
        raise ValueError(f"player: {spec!r} plays the {spec.role}, not the {role}")
    if isinstance(spec, Policy):
        return spec
    raise ValueError(f"player: expected a name, a path or a Policy, got {spec!r}")
