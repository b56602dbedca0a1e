"""The learning figures the README quotes, kept in one file that the benchmark scripts write.

``benchmarks/results/learning.json`` holds one section per script: ``"leaderboard"`` (``bench_learning.py``:
per algorithm on the main job's game, each seed's final distance to the SPE as played; the ``qlearning`` entry
is the main job itself) and ``"suite"`` (``bench_suite.py``: the default suite's verdict per seed). A script
replaces only its own section, and only for the settings the README quotes. ``tests/test_readme_figures.py``
checks that the README says what the file says, so a change that moves a figure cannot leave a stale claim.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "learning.json"


def read_results(path: Path = RESULTS) -> dict[str, Any]:
    """The whole file (empty when there is none yet)."""
    return json.loads(path.read_text()) if path.exists() else {}


def record(section: str, figures: Mapping[str, Any], path: Path = RESULTS) -> None:
    """Replace ``section`` of the file with ``figures``, keeping the other sections (written atomically)."""
    document = read_results(path)
    document[section] = figures
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)
    print(f"wrote the {section!r} section of {path}")
