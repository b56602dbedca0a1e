"""No process outlives its command: workers of a pool end with their parent (SIGKILL and SIGTERM of the parent),
in a bare pool and in the real ``evaluate --workers 2`` and ``suite --jobs 2`` commands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")

POOL_SCRIPT = textwrap.dedent(
    """
    import time
    from infobargain.processes import sigterm_as_interrupt, worker_pool

    if __name__ == "__main__":
        with sigterm_as_interrupt(), worker_pool(2) as pool:
            for future in [pool.submit(time.sleep, 0.3) for _ in range(4)]:  # both workers start and are armed
                future.result()
            print("ready", flush=True)
            for future in [pool.submit(time.sleep, 120) for _ in range(2)]:
                future.result()
    """
)


def state(pid: int) -> str | None:
    """The process's state letter, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rpartition(")")[2].split()[0]


def alive(pid: int) -> bool:
    return state(pid) not in (None, "Z", "X")  # a zombie has exited (a container's PID 1 may never reap it)


def descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def wait_until(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def start(argv: list[str], cwd: Path) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), *sys.path])}
    return subprocess.Popen(
        argv, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )


def assert_workers_end_with(process: subprocess.Popen[str], workers: set[int], how: signal.Signals) -> None:
    assert workers, "the command started no worker"
    process.send_signal(how)
    process.wait(timeout=30)
    assert wait_until(lambda: not any(alive(pid) for pid in workers), timeout=10), [
        (pid, state(pid)) for pid in workers if alive(pid)
    ]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_pool_workers_end_with_their_parent(tmp_path: Path, how: signal.Signals) -> None:
    script = tmp_path / "pool.py"
    script.write_text(POOL_SCRIPT)
    process = start([sys.executable, str(script)], tmp_path)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    workers = descendants(process.pid)
    assert len(workers) >= 2
    started = time.monotonic()
    assert_workers_end_with(process, workers, how)
    assert time.monotonic() - started < 15
    if how == signal.SIGTERM:
        assert process.returncode != 0
        assert process.stderr is not None and "KeyboardInterrupt" in process.stderr.read()  # SIGTERM as Ctrl-C


def command_with_workers(argv: list[str], tmp_path: Path, count: int) -> tuple[subprocess.Popen[str], set[int]]:
    process = start([sys.executable, "-m", "infobargain.cli", *argv], tmp_path)

    def ready() -> bool:  # the workers have started and imported the library (so their guards are armed)
        return len([pid for pid in descendants(process.pid) if _cpu_seconds(pid) > 1.0]) >= count

    assert wait_until(ready, timeout=240), "the workers never started"
    return process, descendants(process.pid)


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_evaluate_workers_end_with_the_command(tmp_path: Path, how: signal.Signals) -> None:
    argv = ["evaluate", "--sender", "random", "--receiver", "random", "--episodes", "5000000", "--workers", "2"]
    process, workers = command_with_workers([*argv, "--out", str(tmp_path / "eval")], tmp_path, 2)
    assert_workers_end_with(process, workers, how)


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_suite_training_jobs_end_with_the_command(tmp_path: Path, how: signal.Signals) -> None:
    argv = ["suite", "--tasks", "sig_ultimatum_sender", "--steps", "50000000", "--jobs", "2", "--episodes", "1"]
    process, workers = command_with_workers(argv, tmp_path, 2)
    assert_workers_end_with(process, workers, how)
    if how == signal.SIGTERM:
        assert process.returncode == 130


@pytest.mark.slow
def test_sigterm_stops_a_training_like_ctrl_c(tmp_path: Path) -> None:
    run = tmp_path / "run"
    flags = ["--total-steps", "400000", "--set", "mappo.num_envs=32", "--set", "mappo.hidden_size=16"]
    flags += ["--set", "run.checkpoint_every=1", "--no-progress"]
    process = start([sys.executable, "-m", "infobargain.cli", "train", "--run-dir", str(run), *flags], tmp_path)
    assert wait_until(lambda: list((run / "checkpoints").glob("step_*.pt")), timeout=120), "no checkpoint written"
    process.send_signal(signal.SIGTERM)
    _, error = process.communicate(timeout=60)
    assert process.returncode == 130, error
    assert error.strip().splitlines()[-1].startswith("infobargain: interrupted; to continue, run: infobargain train")
    assert "Traceback" not in error
