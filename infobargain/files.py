"""Atomic writes: every file or folder the library saves appears whole or not at all.

Data is written under a temporary name beside its target (``.NAME.PID.tmp``, so the rename never crosses a file
system), flushed to disk and renamed over the target: a reader sees the old version or the new one, never a mix,
and a failure (a full disk, an interrupt) removes the temporary again.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _flush_to_disk(path: Path) -> None:
    if path.is_file():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for the block to write a file or a folder to; when the block ends without
    an error it is flushed and renamed over ``path`` (a folder only replaces a missing or empty one), otherwise
    removed."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _remove(temporary)  # left by a process of the same id killed mid-write
    try:
        yield temporary
        _flush_to_disk(temporary)
        os.replace(temporary, target)
    except BaseException:
        _remove(temporary)
        raise


def atomic_write(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see the module docstring); an ``OSError`` names the file."""
    try:
        with atomic_path(path) as temporary, open(temporary, "wb") as handle:
            handle.write(data)
    except OSError as error:
        raise OSError(error.errno, f"cannot write {path} ({error.strerror or error})") from None
