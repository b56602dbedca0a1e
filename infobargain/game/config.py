"""The parameters of a game played as an environment and their defaults, defined once (``docs/design.md``,
contract 2).

``information_bargaining_v1.raw_env``, the command-line flags, the TOML run configs and the suite all take their
defaults from :data:`ENV_DEFAULTS`; the bargaining-stage ones are :class:`~infobargain.game.protocol.Protocol`'s.
A command that deliberately plays another default says so where it does (training plays both first proposers:
``infobargain.training.config.TRAINING_ENV_OVERRIDES``). There is one default offer grid, ``grid_size`` 25 per
frontier, shared by the env, ``train``, the shipped configs, ``suite``, ``benchmark`` and ``evaluate``: with 25
the SPE of every suite task as played is within 0.014 of the continuous SPE. It lives in the game layer, below everything that reads it, and imports nothing heavy, so ``--help``
stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from infobargain.game.instance import Instance
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import Protocol

GameSpec = (
    str | Path | Instance | SplitPie | Sequence[str | Path | Instance] | Callable[[np.random.Generator], Instance]
)
"""One game (a scenario name, an instance file, a game object) or a distribution of them (``"random:SxA"``,
``"family:NAME"``, a folder, a list, a sampler ``f(np_random) -> Instance``): :mod:`infobargain.game.distributions`."""


@dataclass(frozen=True)
class EnvConfig:
    """Every parameter of ``information_bargaining_v1.env`` with its default (the paper's alternating-offers
    experiment on the ``pure_math`` instance). The env card in
    :mod:`infobargain.envs.information_bargaining_v1` documents each one."""

    game: GameSpec = "pure_math"
    protocol: str = Protocol.protocol
    first_proposer: str = Protocol.first_proposer
    max_rounds: int = Protocol.max_rounds
    break_off: float = Protocol.break_off
    discount: float = Protocol.discount
    tie_break: str = "sender"
    obedience_margin: float = 0.0
    receiver_offer: str = "threshold"
    realization: str = "expected"
    realization_rounds: int = 10
    offer_space: str = "frontier"
    grid_size: int = 25
    observation: str = "full"
    max_cycles: int | None = None
    render_mode: str | None = None

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``raw_env`` (``env`` and ``parallel_env`` take the same)."""
        return asdict(self)


ENV_DEFAULTS = EnvConfig()
"""The defaults, as one object: ``ENV_DEFAULTS.grid_size`` and so on."""
ENV_PARAMETERS: tuple[str, ...] = tuple(field.name for field in fields(EnvConfig))
"""Every parameter name, in the env card's order."""
GAME_PARAMETERS: tuple[str, ...] = tuple(name for name in ENV_PARAMETERS if name not in ("max_cycles", "render_mode"))
"""The parameters that define the game played (the run-time caps and rendering excluded)."""
