"""The progress bar of every long loop (trainings, rollouts, suites, leaderboards): tqdm when it is installed,
else one line on stderr with the count, rate and time left, rewritten at most twice a second."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

REDRAW_S = 0.5
"""The plain line is rewritten at most this often."""


class Progress:
    """``with Progress(total, "episodes", enabled) as bar: bar.update(k)``; nothing is shown when not ``enabled``.

    ``initial`` is the work already done (a resumed training), ``unit`` what is counted; ``update`` takes the
    figures to show beside the bar as keywords (tqdm only)."""

    def __init__(
        self, total: int, description: str, enabled: bool = True, *, initial: int = 0, unit: str = "it"
    ) -> None:
        self.total, self.count, self.description, self.enabled = total, initial, description, enabled
        self.initial = initial
        self.started = self.shown = time.monotonic()
        self._bar: Any = None
        if enabled:
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

    def update(self, count: int = 1, **figures: float) -> None:
        self.count += count
        if self._bar is not None:
            self._bar.update(count)
            if figures:
                self._bar.set_postfix({key: f"{value:.3f}" for key, value in figures.items()}, refresh=False)
        elif self.enabled:
            now = time.monotonic()
            if now - self.shown >= REDRAW_S or self.count >= self.total:
                self.shown = now
                print(f"\r{self.line(now)}", end="", file=sys.stderr, flush=True)

    def line(self, now: float) -> str:
        """The plain progress line at time ``now``: count, rate and time left."""
        elapsed = now - self.started
        rate = (self.count - self.initial) / elapsed if elapsed > 0 else 0.0
        left = f"{(self.total - self.count) / rate:,.0f} s left" if rate > 0 else "time left unknown"
        return f"{self.description}: {self.count:,}/{self.total:,}, {rate:,.0f}/s, {left}"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled:
            print(file=sys.stderr)
            self.enabled = False


def wanted(progress: bool | None, work: int, threshold: int = 2000) -> bool:
    """Show a bar when asked to, or (``None``) when the work is long and stderr is a terminal."""
    if progress is not None:
        return progress
    return work >= threshold and sys.stderr.isatty()
