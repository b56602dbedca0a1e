"""Size guards: estimate what a game will cost before anything is allocated, and refuse what is too large.

Three estimates, each with a default limit (at most about a minute of work on a laptop core, far below memory
limits):

- **bargaining set**: ``states × actions`` of a persuasion instance, up to 50×50 by default. The exact polygon
  and everything on it grow much faster than this product: at 50×50 ``solve --json`` writes a scheme for each of
  thousands of vertices, over a hundred megabytes (``benchmarks/bench_size_guards.py`` and
  ``bench_theory.py`` print the costs), and a 1000×1000 instance exhausts a workstation's memory;
- **bargaining tree**: ``rounds × width``, the backward induction over the rounds of a protocol, where the
  width is the number of offers per round (the polygon's vertices for exact solving, ``grid_size`` for the
  discretised env);
- **realization**: ``states × signals``, the size of a signaling scheme (an offer of the ``scheme`` encoding,
  the sampled realization stage).

``--max-size N`` on the command line (or ``INFOBARGAIN_MAX_SIZE=N`` in the environment) raises every limit
to at least ``N``; the refusal message says which value would let the request through.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

SIZE_VARIABLE = "INFOBARGAIN_MAX_SIZE"
DEFAULT_LIMITS: dict[str, int] = {
    "bargaining set": 2_500,
    "bargaining tree": 1_000_000,
    "realization": 10_000,
}


SHOWN_CHARS = 80
"""The longest part of a bad value an error message quotes."""


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` for an error message, cut to its first ``limit`` characters (with the full length) so that a
    huge bad value never floods the terminal."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


class SizeLimitError(ValueError):
    """A request is larger than the size limit; the message names the estimate, the limit and the remedy."""


def size_limit(kind: str) -> int:
    """The limit for estimates of ``kind``: its default, or ``INFOBARGAIN_MAX_SIZE`` when that is larger."""
    raised = os.environ.get(SIZE_VARIABLE, "").strip()
    try:
        extra = int(raised) if raised else 0
    except ValueError:
        raise SizeLimitError(f"{SIZE_VARIABLE}: expected a whole number, got {raised!r}") from None
    return max(DEFAULT_LIMITS[kind], extra)


def check_size(kind: str, size: int, estimate: str) -> None:
    """Raise :class:`SizeLimitError` if ``size`` (described as ``estimate``) is above the limit of ``kind``."""
    limit = size_limit(kind)
    if size > limit:
        raise SizeLimitError(
            f"{kind}: {estimate} = {size:,} is above the size limit of {limit:,}; if you have the time and memory, "
            f"raise it with --max-size {size} (or {SIZE_VARIABLE}={size})"
        )


def check_bargaining_set(n_states: int, n_actions: int) -> None:
    check_size("bargaining set", n_states * n_actions, f"{n_states} states × {n_actions} actions")


def check_bargaining_tree(rounds: int, width: int) -> None:
    check_size("bargaining tree", rounds * width, f"{rounds} rounds × {width} offers per round")


def check_realization(n_states: int, signals: int) -> None:
    check_size("realization", n_states * signals, f"{n_states} states × {signals} signals")


def check_env_size(game: object, env_kwargs: Mapping[str, Any]) -> None:
    """The guards of an env on ``game`` with these contract-2 parameters, checked before it is built: the
    bargaining set, the discretised tree (rounds × offers per round, ``grid_size`` per proposer) and, for a
    persuasion instance, the realization."""
    from infobargain.game.config import ENV_DEFAULTS
    from infobargain.game.distributions import InstanceDistribution
    from infobargain.game.instance import Instance

    if isinstance(game, (Instance, InstanceDistribution)):  # a distribution: the shape of all its instances
        n_states, n_actions, signals = (
            (game.n_states, game.n_actions, game.signals) if isinstance(game, Instance) else game.shape
        )
        check_bargaining_set(n_states, n_actions)
        check_realization(n_states, signals)
    rounds = 1 if env_kwargs.get("protocol") == "ultimatum" else env_kwargs.get("max_rounds", 10)
    if env_kwargs.get("offer_space", "frontier") != "scheme" and isinstance(rounds, int):
        grid = env_kwargs.get("grid_size", ENV_DEFAULTS.grid_size)
        if isinstance(grid, int):
            check_bargaining_tree(rounds, 2 * grid)
