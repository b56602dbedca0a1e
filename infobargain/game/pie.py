"""Plain bargaining over a pie: the paper's validation games without any signaling (docs/theory.md §5).

Whoever proposes keeps a share ``x`` in ``[keep_min, keep_max]``; the proposer then gets
``proposer_base + proposer_slope · x`` and the responder ``responder_base + responder_slope · x``.
Because the offers open to a player depend on its role, the two players' offer sets differ in general
(the bounded pie is the paper's example). No deal pays ``disagreement`` to both.
"""

from __future__ import annotations

from dataclasses import dataclass

from infobargain.game.schemes import Payoffs


@dataclass(frozen=True)
class SplitPie:
    """A one-dimensional bargaining problem over the proposer's kept share."""

    name: str
    keep_min: float = 0.0
    keep_max: float = 1.0
    proposer_base: float = 0.0
    proposer_slope: float = 1.0
    responder_base: float = 1.0
    responder_slope: float = -1.0
    disagreement: float = 0.0

    def __post_init__(self) -> None:
        if not self.keep_min <= self.keep_max:
            raise ValueError(f"keep_max: must be at least keep_min ({self.keep_min}), got {self.keep_max}")

    def split(self, keep: float) -> tuple[float, float]:
        """``(proposer, responder)`` payoffs when the proposer keeps ``keep``."""
        if not self.keep_min - 1e-12 <= keep <= self.keep_max + 1e-12:
            raise ValueError(f"keep: must lie in [{self.keep_min}, {self.keep_max}], got {keep}")
        return (self.proposer_base + self.proposer_slope * keep, self.responder_base + self.responder_slope * keep)

    def payoffs(self, keep: float, proposer: str) -> Payoffs:
        """Payoffs by role (``proposer`` is ``"sender"`` or ``"receiver"``)."""
        mine, theirs = self.split(keep)
        return Payoffs(mine, theirs) if proposer == "sender" else Payoffs(theirs, mine)

    @property
    def disagreement_payoffs(self) -> Payoffs:
        return Payoffs(self.disagreement, self.disagreement)


def split_pie() -> SplitPie:
    """The proposer keeps ``x ∈ [0, 1]`` of a unit pie; rejection pays 0."""
    return SplitPie("split_pie")


def split_pie_bounded() -> SplitPie:
    """The paper's bounded pie: the proposer keeps ``x ∈ [0, 1/2]`` and gets ``(1+2x)/3``, the responder ``(1-2x)/3``."""
    return SplitPie(
        "split_pie_bounded",
        keep_max=0.5,
        proposer_base=1 / 3,
        proposer_slope=2 / 3,
        responder_base=1 / 3,
        responder_slope=-2 / 3,
    )
