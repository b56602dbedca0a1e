"""The rules of the bargaining stage (docs/theory.md §3), shared by the theory layer and the environments.

**Timing.** Offers are numbered ``t = 0, 1, ...``; ``max_rounds`` counts offers (an ultimatum has one).
After a rejection in round ``t < max_rounds − 1`` the game breaks down with probability ``break_off``,
otherwise round ``t + 1`` starts; a rejection in the last round ends the game. An episode that ends in
round ``t`` pays ``discount**t`` times the deal's payoffs, or times the disagreement point ``d`` after a
breakdown or the deadline. Responders accept when indifferent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

ProtocolName = Literal["ultimatum", "fixed_role", "alternating"]
FirstProposer = Literal["sender", "receiver", "coin_flip"]
Role = Literal["sender", "receiver"]

PROTOCOLS: tuple[ProtocolName, ...] = ("ultimatum", "fixed_role", "alternating")
FIRST_PROPOSERS: tuple[FirstProposer, ...] = ("sender", "receiver", "coin_flip")
ROLES: tuple[Role, Role] = ("sender", "receiver")
"""Both roles, in the order every payoff pair and array uses: index 0 the sender, 1 the receiver."""
ROLE_INDEX: dict[Role, int] = {"sender": 0, "receiver": 1}
"""A role's position in payoff pairs and arrays."""


def other(role: Role) -> Role:
    return "receiver" if role == "sender" else "sender"


@dataclass(frozen=True)
class Protocol:
    """A bargaining protocol. The defaults are the paper's alternating-offers experiment."""

    protocol: ProtocolName = "alternating"
    first_proposer: FirstProposer = "sender"
    max_rounds: int = 10
    break_off: float = 0.1
    discount: float = 1.0

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol: must be one of {PROTOCOLS}, got {self.protocol!r}")
        if self.first_proposer not in FIRST_PROPOSERS:
            raise ValueError(f"first_proposer: must be one of {FIRST_PROPOSERS}, got {self.first_proposer!r}")
        if isinstance(self.max_rounds, bool) or not isinstance(self.max_rounds, int) or self.max_rounds < 1:
            raise ValueError(f"max_rounds: must be an integer >= 1, got {self.max_rounds!r}")
        for name, low_open in (("break_off", False), ("discount", True)):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or not ((0 < value <= 1) if low_open else (0 <= value <= 1))
            ):
                bounds = "(0, 1]" if low_open else "[0, 1]"
                raise ValueError(f"{name}: must be a number in {bounds}, got {value!r}")

    @property
    def rounds(self) -> int:
        """The number of offers the protocol allows."""
        return 1 if self.protocol == "ultimatum" else self.max_rounds

    @property
    def continuation(self) -> float:
        """``δ' = (1 − p)·δ``: the factor applied to the next round's value after a rejection."""
        return (1.0 - self.break_off) * self.discount

    def proposer(self, round_index: int, first: Role) -> Role:
        """Who proposes in ``round_index`` when ``first`` opened."""
        if self.protocol == "alternating" and round_index % 2 == 1:
            return other(first)
        return first

    def proposer_indices(self, rounds: NDArray[np.intp], first: NDArray[np.intp]) -> NDArray[np.intp]:
        """:meth:`proposer` for arrays of rounds and first proposers given as role indices (0 sender, 1 receiver)."""
        if self.protocol == "alternating":
            return np.asarray(first ^ (rounds & 1), dtype=np.intp)
        return np.asarray(first, dtype=np.intp).copy()

    def first_proposers(self) -> tuple[Role, ...]:
        """The first proposers an episode can have: both for ``"coin_flip"`` (equally likely), else the one set."""
        return first_proposers(self.first_proposer)

    def with_first(self, first: FirstProposer) -> Protocol:
        return Protocol(self.protocol, first, self.max_rounds, self.break_off, self.discount)


def first_proposers(first: FirstProposer) -> tuple[Role, ...]:
    """The first proposers a ``first_proposer`` setting allows: both for ``"coin_flip"``, else that one."""
    if first not in FIRST_PROPOSERS:
        raise ValueError(f"first_proposer: must be one of {FIRST_PROPOSERS}, got {first!r}")
    return ROLES if first == "coin_flip" else (first,)  # type: ignore[return-value]
