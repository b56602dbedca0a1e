"""The progress display of every long loop (trainings, rollouts, suites, leaderboards).

On a terminal: tqdm when it is installed, else one line on stderr with the count, rate and time left, rewritten in
place at most twice a second. Into a file (stderr redirected): a whole line now and then (every
:data:`SPARSE_S` seconds, when the current item changes, and at the end), never one per update. The CLI's one
rule for when it is on: ``--progress/--no-progress``, by default on when stderr is a terminal (:func:`wanted`).
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

REDRAW_S = 0.5
"""The line on a terminal is rewritten at most this often."""
SPARSE_S = 30.0
"""Into a file, a progress line is written at most this often (plus one per new item and one at the end)."""


class Progress:
    """``with Progress(total, "episodes", enabled) as bar: bar.update(k)``; nothing is shown when not ``enabled``.

    ``initial`` is the work already done (a resumed training), ``unit`` what is counted; ``update`` takes the
    figures to show beside the bar as keywords (tqdm only); :meth:`describe` names the item now running
    (``benchmark``'s current cell), shown beside the count until the next one."""

    def __init__(
        self, total: int, description: str, enabled: bool = True, *, initial: int = 0, unit: str = "it"
    ) -> None:
        self.total, self.count, self.description, self.enabled = total, initial, description, enabled
        self.initial = initial
        self.started = self.shown = time.monotonic()
        self.current = ""
        self.terminal = sys.stderr.isatty()
        self._bar: Any = None
        if enabled and self.terminal:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                pass
            else:
                self._bar = tqdm(
                    total=total,
                    initial=initial,
                    desc=description,
                    unit=unit,
                    unit_scale=True,
                    dynamic_ncols=True,
                    file=sys.stderr,
                )

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def describe(self, item: str) -> None:
        """Name the item that runs now (``"qlearning on ultimatum:pure_math, seed 0"``); shown at once."""
        self.current = item
        if self._bar is not None:
            self._bar.set_postfix_str(item)
        elif self.enabled:
            self._show(time.monotonic())

    def update(self, count: int = 1, **figures: float) -> None:
        self.count += count
        if self._bar is not None:
            self._bar.update(count)
            if figures:
                self._bar.set_postfix({key: f"{value:.3f}" for key, value in figures.items()}, refresh=False)
        elif self.enabled:
            now = time.monotonic()
            if now - self.shown >= (REDRAW_S if self.terminal else SPARSE_S) or self.count >= self.total:
                self._show(now)

    def _show(self, now: float) -> None:
        self.shown = now
        if self.terminal:
            print(f"\r{self.line(now)}", end="", file=sys.stderr, flush=True)
        else:
            print(self.line(now), file=sys.stderr, flush=True)

    def line(self, now: float) -> str:
        """The plain progress line at time ``now``: count, rate, time left and the item running."""
        elapsed = now - self.started
        rate = (self.count - self.initial) / elapsed if elapsed > 0 else 0.0
        left = f"{(self.total - self.count) / rate:,.0f} s left" if rate > 0 else "time left unknown"
        running = f"; now: {self.current}" if self.current and self.count < self.total else ""
        return f"{self.description}: {self.count:,}/{self.total:,}, {rate:,.0f}/s, {left}{running}"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled:
            if self.terminal:
                print(file=sys.stderr)
            else:
                print(self.line(time.monotonic()), file=sys.stderr, flush=True)
            self.enabled = False


def wanted(progress: bool | None, work: int = 0, threshold: int = 0) -> bool:
    """Show progress when asked to, or (``None``) when stderr is a terminal and the work reaches ``threshold``."""
    if progress is not None:
        return progress
    return work >= threshold and sys.stderr.isatty()
