"""Worker processes that never outlive their command, and SIGTERM treated like Ctrl-C.

Every process pool of the library comes from :func:`worker_pool`. Its workers end with the process that
started them, however it ends (``kill -9`` included): on Linux the kernel sends them SIGKILL when their parent
dies (``PR_SET_PDEATHSIG``); everywhere a watchdog thread in each worker polls the parent's id and exits once
the worker has been re-parented. Workers ignore SIGINT, so a Ctrl-C in a terminal (which reaches the whole
process group) is handled once, by the parent, which then stops its workers without waiting for their tasks.
:func:`sigterm_as_interrupt` makes SIGTERM raise ``KeyboardInterrupt`` in the main thread, so a command stopped
by a service manager or ``kill`` saves what it can and cleans up exactly as after Ctrl-C.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from types import FrameType

PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: the signal a process receives when its parent dies."""
WATCH_INTERVAL_S = 0.5
"""How often a worker's watchdog checks that its parent is alive."""
EXIT_ORPHANED = 70
"""The exit status of a worker that found its parent gone."""


def die_with_parent(parent_pid: int) -> None:
    """Run first in a worker started by ``parent_pid``: the worker ends when that process ends, and leaves
    Ctrl-C to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no usable libc: the watchdog below still covers it
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(EXIT_ORPHANED)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watchdog", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(WATCH_INTERVAL_S)
        if os.getppid() != parent_pid:
            os._exit(EXIT_ORPHANED)


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A ``spawn`` process pool of ``workers`` processes that die with this one (see the module docstring).

    Leaving the block normally waits for the submitted tasks; leaving it by an exception (``KeyboardInterrupt``
    included) cancels what has not started and terminates the workers at once."""
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        started = [child for child in multiprocessing.active_children() if child not in before]
        for child in started:
            child.terminate()
        for child in started:
            child.join(timeout=5)
        raise
    pool.shutdown(wait=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises ``KeyboardInterrupt`` in the main thread inside the block (elsewhere: no change)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
