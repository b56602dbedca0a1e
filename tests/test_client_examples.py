"""Every example under ``examples/clients/`` runs with its library (skipped only where the library is not installed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

CLIENTS = Path(__file__).resolve().parents[1] / "examples" / "clients"


def load_example(name: str, *libraries: str) -> ModuleType:
    """Import ``examples/clients/<name>.py``; skip when one of ``libraries`` is not installed."""
    for library in libraries:
        pytest.importorskip(library, reason=f"{library} is not installed (pip install 'infobargain[clients]')")
    spec = importlib.util.spec_from_file_location(f"client_example_{name}", CLIENTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("run", range(3))
def test_tianshou_collector_collects_every_time(run: int) -> None:
    example = load_example("tianshou_collector", "tianshou")
    collected = example.main(episodes=20)
    assert collected["episodes"] == 20
    assert collected["steps"] >= 40  # every episode has at least an offer and an answer
