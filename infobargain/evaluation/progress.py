"""A progress bar for long evaluations: tqdm when it is installed, else a plain counter on stderr."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any


class _Plain:
    """A minimal stand-in for tqdm: one line on stderr, rewritten at most twice a second."""

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc, self.count = total, desc, 0
        self.started = self.shown = time.monotonic()

    def update(self, count: int = 1) -> None:
        self.count += count
        now = time.monotonic()
        if now - self.shown >= 0.5 or self.count >= self.total:
            self.shown = now
            print(f"\r{self.desc}: {self.count}/{self.total} ({now - self.started:.1f} s)", end="", file=sys.stderr)

    def close(self) -> None:
        print(file=sys.stderr)


class _Silent:
    def update(self, count: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class Progress:
    """``with Progress(total, "episodes", enabled) as bar: bar.update(k)``."""

    def __init__(self, total: int, desc: str, enabled: bool) -> None:
        self.bar: Any
        if not enabled:
            self.bar = _Silent()
            return
        try:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, file=sys.stderr, leave=False)
        except ImportError:
            self.bar = _Plain(total, desc)

    def __enter__(self) -> Progress:
        return self

    def update(self, count: int = 1) -> None:
        self.bar.update(count)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.bar.close()


def wanted(progress: bool | None, work: int, threshold: int = 2000) -> bool:
    """Show a bar when asked to, or (``None``) when the work is long and stderr is a terminal."""
    if progress is not None:
        return progress
    return work >= threshold and sys.stderr.isatty()
