"""Running leaderboard cells: in this process, in ``--jobs N`` worker processes, or as Ray tasks on a cluster.

A cell (:class:`CellSpec`: algorithm, task, game, seed and settings) is computed by a module-level function
that any process can run (the leaderboard's): it trains, scores and checks the cell and returns it as a plain
document; it writes nothing outside its own scratch run folder, so the process that collects the results (the
leaderboard's) alone writes cell files, wherever the cell ran. Every training is single-threaded and seeded by
its cell alone, so the cells, and the table, are the same however many workers run them.

**Failures stay in their cell.** An algorithm that raises (at import, mid-training or while its players are
scored), reports more decisions than its budget allows, or returns players whose figures are not finite or lie
outside the game comes back as a *failed* cell: ``{"failed": true, "error": ...}`` and one line on stderr naming
the algorithm and the cell. Failed cells are never written to disk, so the next run computes them again. A worker
process that dies (killed, out of memory) fails the cells it took with it.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from infobargain.processes import worker_pool

RAY_CONNECT_TIMEOUT_S = 10.0
"""How long a Ray address may take to accept a connection before the run is refused."""


@dataclass(frozen=True)
class CellSpec:
    """One cell to compute: what it trains and where its scratch run folder goes."""

    algorithm: str
    task: str
    game: str
    seed: int
    settings: Mapping[str, Any]
    """The cell's settings (budget in decisions, offer space, grid, episodes), as its file records them."""
    run_dir: str
    """Its training's folder (absolute; cleared first: an interrupted training starts again)."""
    plugins: tuple[str, ...] = ()
    """Plug-ins to import first (``--import``), in whichever process computes the cell."""
    cpus: float = 1.0
    """Cores it asks a Ray cluster for (the algorithm's :attr:`~infobargain.training.registry.Algorithm.cpus`)."""

    @property
    def identity(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "task": self.task, "game": self.game, "seed": self.seed}

    @property
    def label(self) -> str:
        return f"{self.task}:{self.game} seed {self.seed}"


def failure_line(spec: CellSpec, reason: str) -> str:
    """The one line that reports a failed cell."""
    return f"benchmark: algorithm {spec.algorithm!r} failed on cell {spec.label}: {reason}"


def _reason(error: BaseException) -> str:
    cause = getattr(error, "cause", None)  # a Ray task's own error, inside Ray's wrapper
    if isinstance(cause, BaseException):
        return _reason(cause)
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:300]}" if text else type(error).__name__


def failed_cell(spec: CellSpec, reason: str) -> dict[str, Any]:
    """A failed cell's record (kept in the document, never on disk), its line printed on stderr."""
    print(failure_line(spec, reason), file=sys.stderr, flush=True)
    return {**spec.identity, "settings": dict(spec.settings), "failed": True, "error": reason, "resumed": False}


def guarded(compute: Compute, spec: CellSpec) -> dict[str, Any]:
    """``compute(spec)`` with every failure kept in its cell (see the module), single-threaded, after the cell's
    plug-ins are imported; module level, so worker processes and Ray tasks run it by name."""
    import torch

    from infobargain.plugins import import_plugin

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for plugin in spec.plugins:
            import_plugin(plugin)
        return compute(spec)
    except Exception as error:  # any failure of a user's algorithm stays in its cell
        return failed_cell(spec, _reason(error))
    finally:
        torch.set_num_threads(threads)


Compute = Callable[[CellSpec], dict[str, Any]]
"""Trains and scores one cell (module level: processes and Ray tasks receive it by name)."""
Runner = Callable[[Compute, Sequence[CellSpec]], Iterator[tuple[CellSpec, dict[str, Any]]]]
"""Computes cells (each through :func:`guarded`) and yields each (spec, cell) as it finishes, in any order."""


def serial_runner(compute: Compute, specs: Sequence[CellSpec]) -> Iterator[tuple[CellSpec, dict[str, Any]]]:
    """One cell after the other, in this process."""
    for spec in specs:
        yield spec, guarded(compute, spec)


def process_runner(jobs: int) -> Runner:
    """``jobs`` worker processes (:func:`~infobargain.processes.worker_pool`: they die with this process)."""

    def run(compute: Compute, specs: Sequence[CellSpec]) -> Iterator[tuple[CellSpec, dict[str, Any]]]:
        if jobs <= 1 or len(specs) <= 1:
            yield from serial_runner(compute, specs)
            return
        with worker_pool(min(jobs, len(specs))) as pool:
            futures: dict[Future[dict[str, Any]], CellSpec] = {
                pool.submit(guarded, compute, spec): spec for spec in specs
            }
            for future in as_completed(futures):
                spec = futures[future]
                try:
                    yield spec, future.result()
                except BrokenProcessPool as error:
                    yield spec, failed_cell(spec, f"its worker process died ({_reason(error)})")

    return run


def check_ray_address(address: str) -> None:
    """``ConnectionError`` (one line) when ``address`` (``HOST:PORT``, ``ray://HOST:PORT``) accepts no connection
    within :data:`RAY_CONNECT_TIMEOUT_S`; ``auto`` and ``local`` are left to Ray."""
    if address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConnectionError(f"--ray: expected HOST:PORT, ray://HOST:PORT, auto or local, got {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=RAY_CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        raise ConnectionError(f"--ray: cannot reach a Ray cluster at {address} ({error})") from None


@contextmanager
def ray_session(address: str, local_cpus: int) -> Iterator[None]:
    """Connected to the Ray cluster at ``address``, or to a local Ray instance of ``local_cpus`` cores started for
    the block (``address == "local"``) and shut down after it; a session already open is used as it is."""
    import ray

    check_ray_address(address)
    if ray.is_initialized():
        yield
        return
    if address == "local":
        ray.init(num_cpus=local_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
    else:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


def ray_map(
    function: Callable[..., Any], calls: Sequence[tuple[Any, ...]], cpus: Sequence[float]
) -> Iterator[tuple[int, Any, str | None]]:
    """``function(*calls[i])`` as Ray tasks of ``cpus[i]`` cores each (inside :func:`ray_session`), yielding
    ``(i, result, None)`` as each finishes, or ``(i, None, why)`` for a task that failed (its error, or its worker
    died)."""
    import ray
    from ray.exceptions import RayError

    remote = ray.remote(function)
    pending = {
        remote.options(num_cpus=cores).remote(*call): index
        for index, (call, cores) in enumerate(zip(calls, cpus, strict=True))
    }
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        index = pending.pop(done[0])
        try:
            yield index, ray.get(done[0]), None
        except RayError as error:
            yield index, None, _reason(error)


def ray_runner(address: str, local_cpus: int) -> Runner:
    """Cells as Ray tasks, each asking for its algorithm's cores (:func:`ray_session` says where)."""

    def run(compute: Compute, specs: Sequence[CellSpec]) -> Iterator[tuple[CellSpec, dict[str, Any]]]:
        with ray_session(address, local_cpus):
            calls = [(compute, spec) for spec in specs]
            for index, cell, failure in ray_map(guarded, calls, [spec.cpus for spec in specs]):
                spec = specs[index]
                yield spec, cell if failure is None else failed_cell(spec, f"its Ray task failed ({failure})")

    return run
