"""Run directories (docs/design.md contract 5) and what every training backend shares.

::

    RUN/
      config.toml          the resolved configuration (what was actually run)
      checkpoints/         step_N.pt (the latest run.keep_checkpoints and the best) and latest.pt, independent files
      metrics.csv          one row per update: step, wall time, losses, payoffs, ...
      tensorboard/         the same metrics as TensorBoard events
      players/             sender.* and receiver.*: the trained players (loadable with load_policy)
      evaluation.json      the closing evaluation against theory
      report.md
      inputs/              copies of the instance file or folder named by env.game: the run needs no other file
      .lock                who holds the directory (a second process into it stops with that name)

The directory is transactional, so a run killed at any moment (kill -9 included) resumes as if it had never
stopped:

- **One writer**: the first process takes an exclusive lock (``fcntl.flock`` on ``.lock``, released by the
  kernel even after kill -9); a second one stops at once with a message naming the holder.
- **Checkpoints** are independent files, each written to a temporary name, flushed and renamed (a reader never
  sees half a file; an error such as a full disk leaves no temporary file behind). Resuming reads the newest
  readable one and falls back to the previous one when it is corrupt, saying so on stderr.
- **Metrics** are rewritten up to the restored step on resume (rows written after that checkpoint, or by a run
  killed before its first checkpoint, are dropped), so no row is duplicated or stale; TensorBoard events after
  that step are purged the same way.
- **Non-finite training** (NaN or infinity in the weights or optimizer state) stops with
  :class:`TrainingDiverged` before it is saved, so the last checkpoint stays the last finite one.
- **Retention**: the latest ``run.keep_checkpoints`` numbered checkpoints are kept (0 keeps all), plus the one
  with the highest ``run.best_metric`` column (``-NAME``: the lowest), when the run logs that column.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import socket
import sys
import time
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from infobargain.files import atomic_write
from infobargain.training.config import INPUTS, RunConfig

NUMBERED = re.compile(r"step_(\d+)\.pt")
"""The name of a numbered checkpoint (``step_000001024.pt``)."""


def numbered_checkpoints(folder: Path) -> dict[int, Path]:
    """The numbered checkpoints in ``folder`` (a run's ``checkpoints/``), by step, oldest first; none when it is
    absent."""
    if not folder.is_dir():
        return {}
    found = {int(match[1]): path for path in folder.iterdir() if (match := NUMBERED.fullmatch(path.name))}
    return dict(sorted(found.items()))


class RunInUseError(ValueError):
    """Another process holds the run directory."""


class TrainingDiverged(ValueError):
    """Training produced NaN or infinite values; nothing non-finite was saved."""


class RunLock:
    """An exclusive lock on a run directory, held until :meth:`release` or the process ends (however it ends).
    ``option`` is the command-line option that chose the folder, named in the message when it is taken."""

    def __init__(self, folder: Path, option: str = "--out") -> None:
        import fcntl

        self.path = folder / ".lock"
        handle = open(self.path, "a+")  # noqa: SIM115 - held open: the open file is the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise RunInUseError(
                f"{option}: {folder} is in use by {holder}; wait for it to finish, stop it, or choose another {option}"
            ) from None
        except OSError as error:  # a file system without locks: say so rather than run unprotected
            handle.close()
            raise OSError(error.errno, f"run directory: cannot lock {self.path} ({error.strerror})") from None
        command = " ".join(sys.argv)[:200]
        since = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} on {socket.gethostname()} since {since} ({command})\n")
        handle.flush()
        self._handle: IO[str] | None = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


OUTPUT_MARK = ".infobargain-output"
"""The file that names the command whose output a folder holds (``suite``, ``benchmark``, ``evaluate``)."""
OUTPUTS: dict[str, tuple[str, ...]] = {
    "suite": ("suite.json", "suite.md", "players"),
    "benchmark": ("cells", "runs", "leaderboard.json", "leaderboard.md", "leaderboard.png"),
    "evaluate": ("evaluation.json", "report.md", "*.png", "cross_play.*", "episodes.jsonl"),
}
"""What each command writes into its folder: an unmarked folder holding only these is taken as its own (written
before folders were marked)."""


def make_folder(folder: Path, option: str) -> None:
    """Create ``folder`` (and its parents); a link to nothing, a link loop or a file there is refused in one line
    naming ``option``."""
    if folder.is_symlink() and not folder.exists():
        raise ValueError(f"{option}: {folder} is a symbolic link to nothing (or a loop); remove it or choose another")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{option}: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a parent is a file or a broken link
        raise ValueError(f"{option}: cannot create {folder}: a part of the path is a file or a broken link") from None


@contextmanager
def output_folder(path: str | Path, command: str, option: str = "--out") -> Iterator[Path]:
    """Hold ``path`` for ``command`` while the block runs: create it, take its lock (a second process stops at once,
    naming the first), refuse it when it holds another command's output or other files (naming them), and mark it
    as ``command``'s, so that the same command run again resumes or rewrites it."""
    import fnmatch

    folder = Path(path)
    make_folder(folder, option)
    lock = RunLock(folder, option)
    try:
        mark = folder / OUTPUT_MARK
        owner = mark.read_text(errors="replace").strip()[:40] if mark.is_file() else None
        if owner is not None and owner != command:
            raise ValueError(f"{option}: {folder} holds the output of `infobargain {owner}`; choose another {option}")
        if owner is None:
            own = OUTPUTS.get(command, ())
            foreign = sorted(
                entry.name
                for entry in folder.iterdir()
                if entry.name not in (".lock", OUTPUT_MARK) and not any(fnmatch.fnmatch(entry.name, p) for p in own)
            )
            if foreign:
                what = "a training run" if "config.toml" in foreign else f"files it did not write ({foreign[0]}, …)"
                raise ValueError(f"{option}: {folder} holds {what}; choose another {option} (an empty or new folder)")
            atomic_write(mark, f"{command}\n".encode())
        yield folder
    finally:
        lock.release()


class RunDirectory:
    """One training run's directory, held exclusively while it is open (see the module docstring).

    With ``resume`` the newest readable checkpoint is read here, before anything is written, so that a resume
    that cannot go on (no run, ``--total-steps`` below the steps already done) changes nothing on disk.
    """

    def __init__(self, path: str | Path, config: RunConfig, *, resume: bool = False) -> None:
        self.path = Path(path)
        self.config = config
        make_folder(self.path, "--out")
        self._lock = RunLock(self.path)
        self._tensorboard: Any = None
        self._fields: list[str] | None = None
        self._scores: dict[int, float] = {}
        self._restored: dict[str, Any] | None = None
        self.restored_step = 0
        """The step of the checkpoint this run continues from (0 for a fresh start)."""
        self.resumed = resume
        """Whether this continues an earlier run in the same folder."""
        try:
            if resume:
                self._resume()
            elif self.numbered_checkpoints() or self.latest_checkpoint.exists():
                raise ValueError(f"run directory: {self.path} already holds a run; pass --resume to continue it")
            for folder in (self.checkpoints, self.players):
                folder.mkdir(parents=True, exist_ok=True)
            self._keep_inputs()
            self._restart_metrics()
            config_text = config.to_toml().encode()
            atomic_write(self.path / "config.toml", config_text)
        except BaseException:
            self._lock.release()
            raise

    def _keep_inputs(self) -> None:
        """Copy the instance file or folder that ``env.game`` names into ``inputs/`` (a resumed run keeps the copy
        it made at the start), so moving or changing the original changes nothing for this run."""
        import shutil

        game = self.config.env.get("game")
        source = Path(game) if isinstance(game, str) else None
        if source is None or not (source.is_dir() or (source.suffix == ".json" and source.is_file())):
            return
        kept = self.path / INPUTS / source.name
        if kept.exists():
            return
        kept.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, kept)

    def _resume(self) -> None:
        if not (self.path / "config.toml").exists():
            raise ValueError(f"--resume: {self.path} holds no run to resume (no config.toml)")
        restored = self._newest_readable_checkpoint()
        if restored is None:
            print(f"--resume: {self.path} has no checkpoint yet; starting from step 0", file=sys.stderr)
            return
        self._restored, self.restored_step = restored
        total = self.config.run.total_steps
        if self.restored_step >= total:
            print(
                f"--resume: {self.path} finished already ({self.restored_step:,} of {total:,} steps): nothing left to "
                "train; its players are saved and evaluated again (pass a larger --total-steps to extend it)",
                file=sys.stderr,
            )
        saved_total = RunConfig.load(self.path / "config.toml").run.total_steps
        # A finished run may have overshot its own budget by part of a batch; only a smaller budget is an error.
        if total < saved_total and self.restored_step > total:
            raise ValueError(
                f"--resume: the run has already done {self.restored_step} steps; --total-steps {total} is below "
                "that (leave it out to finish the run, or pass a larger value to extend it)"
            )

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

    def numbered_checkpoints(self) -> dict[int, Path]:
        """The numbered checkpoints on disk, by step, oldest first."""
        return numbered_checkpoints(self.checkpoints)

    @property
    def best_checkpoint(self) -> Path | None:
        """The kept checkpoint with the best ``run.best_metric`` (None when the run logs no such column)."""
        scored = [(score, step) for step, score in self._scores.items() if step in self.numbered_checkpoints()]
        return self.numbered_checkpoints()[max(scored)[1]] if scored else None

    def save_checkpoint(self, state: Mapping[str, Any], step: int) -> None:
        """Write ``state`` as ``step_N.pt`` and ``latest.pt`` (independent files, each atomic), then drop the
        numbered checkpoints that retention no longer keeps. Raises :class:`TrainingDiverged` instead of saving
        non-finite values."""
        import torch

        self.ensure_finite(state, step)
        buffer = io.BytesIO()
        torch.save({**state, "run_step": step}, buffer)
        data = buffer.getvalue()
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        atomic_write(self.checkpoints / f"step_{step:09d}.pt", data)
        atomic_write(self.latest_checkpoint, data)
        self._retain()

    def load_checkpoint(self) -> dict[str, Any] | None:
        """The checkpoint this run continues from (read when the directory was opened with ``resume``), or None."""
        return self._restored

    def _newest_readable_checkpoint(self) -> tuple[dict[str, Any], int] | None:
        """The newest checkpoint that reads back (``weights_only``: a planted file cannot run code), falling back
        to older ones, each fallback said on stderr; None when there is none at all."""
        from infobargain.agents.learned import read_torch_file

        candidates = [(step, path) for step, path in reversed(self.numbered_checkpoints().items())]
        if self.latest_checkpoint.exists():  # a run directory written before numbered checkpoints were independent
            candidates.append((-1, self.latest_checkpoint))
        failures: list[str] = []
        for step, path in candidates:
            try:
                state = read_torch_file(path, "checkpoint")
                if not isinstance(state, dict):
                    raise ValueError(f"checkpoint: {path} is not a checkpoint")
            except ValueError as error:
                failures.append(str(error))
                continue
            for failure in failures:
                print(f"{failure}; resuming from the previous checkpoint, {path.name}", file=sys.stderr)
            saved_step = state.get("run_step", state.get("step", step))
            return state, int(saved_step) if isinstance(saved_step, int) and saved_step >= 0 else max(step, 0)
        if failures:
            raise ValueError(f"--resume: no readable checkpoint in {self.checkpoints} ({'; '.join(failures)})")
        return None

    def _retain(self) -> None:
        keep = self.config.run.keep_checkpoints
        numbered = self.numbered_checkpoints()
        kept = set(list(numbered)[-keep:] if keep else numbered)
        best = self.best_checkpoint
        for step, path in numbered.items():
            if step not in kept and path != best:
                path.unlink(missing_ok=True)

    def ensure_finite(self, state: Mapping[str, Any], step: int) -> None:
        """Raise :class:`TrainingDiverged` if any tensor in ``state`` (SB3 model zips included) is NaN or
        infinite; the message names the first such entry and the last finite checkpoint, which is kept."""
        bad = _first_non_finite(state, "")
        if bad is None:
            return
        numbered = [s for s in self.numbered_checkpoints() if s <= step]
        kept = f"the last finite checkpoint (step {numbered[-1]}) is kept" if numbered else "no checkpoint was saved"
        raise TrainingDiverged(
            f"training diverged: NaN or infinity in {bad} at step {step}; stopped, {kept} in {self.checkpoints} "
            "(check the config for NaN or extreme values, or lower the learning rate)"
        )

    # metrics

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.csv"

    def _restart_metrics(self) -> None:
        """Metrics and TensorBoard events up to the restored step only (nothing for a fresh start)."""
        self.truncate_metrics(self.restored_step)
        if self._restored is None:
            import shutil

            shutil.rmtree(self.path / "tensorboard", ignore_errors=True)

    def truncate_metrics(self, after_step: int) -> None:
        """Drop metric rows logged after ``after_step`` (they will be logged again on resume); a fresh start
        (``after_step`` 0 with nothing restored) drops every row."""
        if not self.metrics_path.exists():
            return
        try:
            with open(self.metrics_path, newline="") as handle:
                reader = csv.DictReader(handle)
                fieldnames, rows = list(reader.fieldnames or []), list(reader)
        except (UnicodeDecodeError, csv.Error):  # kept aside, never deleted: the rows are logged again from here
            aside = self.metrics_path.with_name(f"metrics.unreadable-{time.strftime('%Y%m%d-%H%M%S')}.csv")
            os.replace(self.metrics_path, aside)
            print(f"run directory: {self.metrics_path} is not CSV text; moved to {aside.name}", file=sys.stderr)
            fieldnames, rows = [], []
        # A row cut short by a kill has missing fields: it was written after the checkpoint anyway.
        complete = [row for row in rows if None not in row.values() and row.get("step")]
        kept = [row for row in complete if _is_number(row["step"]) and int(float(row["step"])) <= after_step]
        if self._restored is None:
            kept = []
        self._write_rows(fieldnames, kept)
        self._fields = fieldnames or None
        self._scores = {}
        for row in kept:
            self._score(int(float(row["step"])), row)

    def _write_rows(self, fieldnames: list[str], rows: list[dict[str, Any]]) -> None:
        if not fieldnames or not rows:
            self.metrics_path.unlink(missing_ok=True)
            return
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        encoded = text.getvalue().encode()
        atomic_write(self.metrics_path, encoded)

    def _score(self, step: int, row: Mapping[str, Any]) -> None:
        name = self.config.run.best_metric
        column = name.removeprefix("-")
        if not column or not _is_number(str(row.get(column, ""))):
            return
        value = float(row[column]) * (-1.0 if name.startswith("-") else 1.0)
        if math.isfinite(value):
            self._scores[step] = value

    def log(self, step: int, metrics: Mapping[str, float]) -> None:
        """Append one row to metrics.csv and the same scalars to TensorBoard."""
        row = {"step": step, **metrics}
        new_file = not self.metrics_path.exists()
        if self._fields is None or new_file:
            self._fields = list(row)
        with open(self.metrics_path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self._fields, extrasaction="ignore")
            if new_file:
                writer.writeheader()
            writer.writerow(row)
            handle.flush()
        self._score(step, row)
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
                # Events after the restored step were written by the killed run: purge them (TensorBoard hides
                # events at or after purge_step from earlier files).
                purge = self.restored_step + 1 if self._restored is not None else None
                self._tensorboard = SummaryWriter(str(self.path / "tensorboard"), purge_step=purge)
        return self._tensorboard or None

    def close(self) -> None:
        if self._tensorboard:
            self._tensorboard.close()
        self._lock.release()


def _first_non_finite(value: Any, where: str) -> str | None:
    """The path of the first NaN or infinite tensor or float in ``value`` (nested containers, SB3 zips)."""
    import torch

    if isinstance(value, torch.Tensor):
        finite = not value.is_floating_point() or bool(torch.isfinite(value).all())
        return None if finite else where or "a tensor"
    if isinstance(value, float):
        return None if math.isfinite(value) else where or "a value"
    if isinstance(value, Mapping):
        items: Any = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    elif isinstance(value, bytes) and value[:2] == b"PK":
        items = _zip_tensors(value)
    else:
        return None
    for key, item in items:
        found = _first_non_finite(item, f"{where}.{key}" if where else str(key))
        if found is not None:
            return found
    return None


def _zip_tensors(data: bytes) -> Iterator[tuple[str, Any]]:
    """The ``.pth`` entries of a model zip (an SB3 model inside a checkpoint), read weights-only."""
    import torch

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith(".pth"):
                with archive.open(name) as handle:
                    yield name, torch.load(io.BytesIO(handle.read()), weights_only=True, map_location="cpu")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
