"""Run directories (docs/design.md contract 5) and what every training backend shares.

::

    RUN/
      config.toml          the resolved configuration (what was actually run)
      checkpoints/         latest.pt (+ one per checkpoint), written atomically
      metrics.csv          one row per update: step, wall time, losses, payoffs, ...
      tensorboard/         the same metrics as TensorBoard events
      players/             sender.* and receiver.*: the trained players (loadable with load_policy)
      evaluation.json      the closing evaluation against theory
      report.md

A run killed at any moment (kill -9 included) resumes from its latest checkpoint: checkpoints are
replaced atomically, and metrics rows written after that checkpoint are dropped on resume, so the
resumed run's metrics file is what an uninterrupted run would have written.
"""

from __future__ import annotations

import csv
import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infobargain.training.config import RunConfig


class RunDirectory:
    """One training run's directory."""

    def __init__(self, path: str | Path, config: RunConfig, *, resume: bool = False) -> None:
        self.path = Path(path)
        self.config = config
        if resume:
            if not (self.path / "config.toml").exists():
                raise ValueError(f"--resume: {self.path} holds no run to resume (no config.toml)")
        elif (self.path / "checkpoints" / "latest.pt").exists():
            raise ValueError(f"run directory: {self.path} already holds a run; pass --resume to continue it")
        for folder in (self.path, self.checkpoints, self.players):
            folder.mkdir(parents=True, exist_ok=True)
        config.save(self.path / "config.toml")
        self._tensorboard: Any = None
        self._fields: list[str] | None = None

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def players(self) -> Path:
        return self.path / "players"

    @property
    def latest_checkpoint(self) -> Path:
        return self.checkpoints / "latest.pt"

    # checkpoints

    def save_checkpoint(self, state: Mapping[str, Any], step: int) -> None:
        """Write ``state`` as the latest checkpoint (and a numbered copy), atomically."""
        import torch

        temporary = self.checkpoints / f".latest.{os.getpid()}.tmp"
        torch.save(dict(state), temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, self.latest_checkpoint)
        numbered = self.checkpoints / f"step_{step:09d}.pt"
        if not numbered.exists():
            os.link(self.latest_checkpoint, numbered)

    def load_checkpoint(self) -> dict[str, Any] | None:
        """The latest checkpoint, read with ``weights_only=True`` (a planted file cannot run code)."""
        from infobargain.agents.learned import read_torch_file

        if not self.latest_checkpoint.exists():
            return None
        state = read_torch_file(self.latest_checkpoint, "--resume")
        if not isinstance(state, dict):
            raise ValueError(f"--resume: {self.latest_checkpoint} is not a checkpoint")
        return state

    # metrics

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.csv"

    def truncate_metrics(self, after_step: int) -> None:
        """Drop metric rows logged after ``after_step`` (they will be logged again on resume)."""
        if not self.metrics_path.exists():
            return
        with open(self.metrics_path, newline="") as handle:
            reader = csv.DictReader(handle)
            fieldnames, rows = list(reader.fieldnames or []), list(reader)
        # A row cut short by a kill has missing fields: it was written after the checkpoint anyway.
        complete = [row for row in rows if None not in row.values() and all(row[name] != "" for name in ("step",))]
        kept = [row for row in complete if _is_number(row["step"]) and int(float(row["step"])) <= after_step]
        if fieldnames:
            self._write_rows(fieldnames, kept)

    def _write_rows(self, fieldnames: list[str], rows: list[dict[str, Any]]) -> None:
        temporary = self.metrics_path.with_suffix(".tmp")
        with open(temporary, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fieldnames)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(temporary, self.metrics_path)

    def log(self, step: int, metrics: Mapping[str, float]) -> None:
        """Append one row to metrics.csv and the same scalars to TensorBoard."""
        row = {"step": step, **metrics}
        new_file = not self.metrics_path.exists()
        if self._fields is None:
            self._fields = list(row) if new_file else _header(self.metrics_path)
        with open(self.metrics_path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self._fields, extrasaction="ignore")
            if new_file:
                writer.writeheader()
            writer.writerow(row)
            handle.flush()
        board = self.tensorboard()
        if board is not None:
            for key, value in metrics.items():
                board.add_scalar(key, value, step)

    def tensorboard(self) -> Any:
        if self._tensorboard is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard is optional; metrics.csv has everything
                self._tensorboard = False
            else:
                self._tensorboard = SummaryWriter(str(self.path / "tensorboard"))
        return self._tensorboard or None

    def close(self) -> None:
        if self._tensorboard:
            self._tensorboard.close()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _header(path: Path) -> list[str]:
    with open(path, newline="") as handle:
        return next(csv.reader(handle))


class Progress:
    """A progress bar with rate and ETA (tqdm when installed, a plain line on stderr otherwise)."""

    def __init__(self, total: int, initial: int = 0, description: str = "training", enabled: bool = True) -> None:
        self.total, self.count, self.enabled = total, initial, enabled
        self.started = time.perf_counter()
        self._bar: Any = None
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                pass
            else:
                self._bar = tqdm(
                    total=total, initial=initial, desc=description, unit="step", unit_scale=True, dynamic_ncols=True
                )

    def update(self, count: int, **postfix: float) -> None:
        self.count += count
        if self._bar is not None:
            self._bar.update(count)
            if postfix:
                self._bar.set_postfix({k: f"{v:.3f}" for k, v in postfix.items()}, refresh=False)
        elif self.enabled:
            elapsed = time.perf_counter() - self.started
            rate = self.count / elapsed if elapsed > 0 else 0.0
            eta = (self.total - self.count) / rate if rate > 0 else float("inf")
            print(
                f"\r{self.count}/{self.total} steps, {rate:,.0f}/s, ETA {eta:,.0f}s",
                end="",
                flush=True,
                file=sys.stderr,
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self.enabled:
            print(file=sys.stderr)


@contextmanager
def progress(total: int, initial: int = 0, description: str = "training", enabled: bool = True) -> Iterator[Progress]:
    bar = Progress(total, initial, description, enabled)
    try:
        yield bar
    finally:
        bar.close()
