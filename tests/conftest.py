"""Fixtures shared by several test modules: a scripted chat server, a local Ray, and a quiet block for the
PettingZoo and Gymnasium checkers."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from fake_chat_server import FakeChatServer

INSTALL_LIBRARIES = re.compile(
    r"^\s*(?:import|from)\s+(?:gymnasium|pettingzoo|ray|supersuit|tianshou|torchrl)\b"
    r"|importorskip\(\s*[\"'](?:gymnasium|pettingzoo|ray|supersuit|tianshou|torchrl)",
    re.MULTILINE,
)
"""A test module that uses one of these directly runs differently on the installs, which differ in exactly these
libraries' versions (``scripts/test.sh``)."""
LONGEST_MODULES = ("test_readme", "test_learning_gate", "test_theory_shadow_vertex")
"""The modules whose tests take minutes each (``scripts/test.sh --durations=25`` lists them): they start first."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``install`` every test of a module that uses Gymnasium, PettingZoo, Ray, SuperSuit, Tianshou or TorchRL
    itself: the second install (``.venv-rllib``) runs the fast tier and these, its own slow ones included."""
    uses: dict[object, bool] = {}
    for item in items:
        if item.path not in uses:
            uses[item.path] = bool(INSTALL_LIBRARIES.search(item.path.read_text()))
        if uses[item.path]:
            item.add_marker(pytest.mark.install)
    # Longest first, so that with two xdist workers the last minutes are not one worker alone in a long test
    # (scripts/test.sh hands out tests two at a time, --maxschedchunk 2, so these go to both workers).
    items.sort(key=lambda item: (item.path.stem not in LONGEST_MODULES, item.get_closest_marker("slow") is None))


Quiet = Callable[[], AbstractContextManager[None]]
"""The type of the ``quiet`` fixture."""


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    """A scripted OpenAI-compatible chat server on 127.0.0.1 (see ``fake_chat_server``)."""
    fake = FakeChatServer().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """Ray on two local CPUs for the module's tests (skipped when Ray is not installed)."""
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'infobargain[rllib]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        yield
    finally:
        ray.shutdown()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


@pytest.fixture
def quiet() -> Quiet:
    """``with quiet(): ...`` keeps the log clean around PettingZoo's and Gymnasium's checkers, which print
    progress and warn about unbounded Box observations and float64 actions."""
    return _quiet
