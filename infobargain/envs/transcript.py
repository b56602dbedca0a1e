"""The episode transcript that ``render()`` shows: offers, decisions, breakdowns and payoffs, one line each.

Offer lines are formatted only when the transcript is read, since most training episodes are never rendered.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from infobargain.game.protocol import Role
from infobargain.game.state import Offer
from infobargain.theory.problem import BargainingProblem


class Transcript:
    """One episode's events, in order, and the payoffs of every offer made (for the ``rgb_array`` picture)."""

    def __init__(self) -> None:
        self._entries: list[str | Callable[[], str]] = []
        self.offers: list[tuple[Role, NDArray[np.float64]]] = []
        """``(proposer, payoffs)`` of every offer made, in order."""
        self.printed = 0
        """How many lines ``render_mode="human"`` has printed."""
        self.add: Callable[[str], None] = self._entries.append
        """Add one line (the entry list's own ``append``: the env logs on every step)."""

    def add_offer(self, round_index: int, role: Role, offer: Offer) -> None:
        self.offers.append((role, offer.payoffs.copy()))
        self._entries.append(lambda: f"round {round_index}: {role} offers {offer_text(offer)}")

    @property
    def lines(self) -> list[str]:
        return [entry if isinstance(entry, str) else entry() for entry in self._entries]

    def unprinted(self) -> list[str]:
        """The lines not printed yet, now counted as printed."""
        lines = self.lines
        new, self.printed = lines[self.printed :], len(lines)
        return new


def offer_text(offer: Offer) -> str:
    """An offer in words: the kept share or the scheme, and what it pays both players."""
    payoffs = f"(U_S, U_R) = ({offer.payoffs[0]:.4f}, {offer.payoffs[1]:.4f})"
    if offer.keep is not None:
        return f"to keep {offer.keep:.4f} → {payoffs}"
    assert offer.scheme is not None
    scheme = np.round(offer.scheme, 4).tolist()
    return f"φ = {scheme} → {payoffs}"


def offers_picture(problem: BargainingProblem, transcript: Transcript, title: str) -> NDArray[np.uint8]:
    """The bargaining set with the transcript's offers drawn on it, as an RGB image (needs matplotlib)."""
    from infobargain.theory.plot import draw_bargaining_set, require_matplotlib

    plt = require_matplotlib()
    figure = draw_bargaining_set(problem, {}, offers=transcript.offers, title=title)
    figure.canvas.draw()
    image = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()  # type: ignore[attr-defined]
    plt.close(figure)
    return image
