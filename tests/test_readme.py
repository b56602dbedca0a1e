"""Every example of the README and the docs pages runs as written, in order, in a fresh copy of the repository.

Fenced ``bash`` and ``python`` blocks are executed; ``console`` blocks are shown to readers but not run here
(the set-up scripts themselves, an interactive human player, a chat-model endpoint, a Ray cluster), and the
page says so where it matters. The ``infobargain`` command is the one installed beside this interpreter.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```(bash|python)\n(.*?)^```", re.MULTILINE | re.DOTALL)


PAGES = ("README.md", *(f"docs/{page}.md" for page in ("cli", "guide", "training", "generalists", "leaderboard")))
"""The pages with examples, in the order a reader meets them (later pages may use what earlier ones made)."""
MAIN_JOB_RUN = "runs/selfplay"
"""Where the README's example trains the main job (``configs/paper_selfplay.toml``, seed 0)."""


def page_blocks(page: str) -> list[tuple[str, str]]:
    return [(match[1], match[2]) for match in BLOCK.finditer((ROOT / page).read_text())]


def readme_blocks() -> list[tuple[str, str]]:
    return page_blocks("README.md")


def test_every_page_with_examples_is_run() -> None:
    """A docs page with runnable blocks that :data:`PAGES` leaves out would never be checked."""
    with_examples = {f"docs/{path.name}" for path in (ROOT / "docs").glob("*.md") if page_blocks(f"docs/{path.name}")}
    assert with_examples <= set(PAGES)


def fresh_copy(target: Path) -> Path:
    """The files a clone would have (tracked, and untracked ones git does not ignore), nothing built."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_readme_has_runnable_examples() -> None:
    languages = [language for language, _ in readme_blocks()]
    assert languages.count("bash") >= 1 and languages.count("python") >= 1


@pytest.mark.slow
def test_every_readme_example_runs_in_order(tmp_path: Path) -> None:
    workdir = fresh_copy(tmp_path / "repo")
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "MPLBACKEND": "Agg",
    }
    blocks = [(page, language, code) for page in PAGES for language, code in page_blocks(page)]
    for index, (page, language, code) in enumerate(blocks):
        if language == "bash":
            command = ["bash", "-euo", "pipefail", "-c", code]
        else:
            script = tmp_path / f"block_{index}.py"
            script.write_text(code)
            command = [sys.executable, str(script)]
        result = subprocess.run(
            command, cwd=workdir, env=environment, capture_output=True, text=True, timeout=900, check=False
        )
        assert result.returncode == 0, f"{page} block {index} ({language}) failed:\n{code}\n{result.stderr[-3000:]}"
    # The README's main job is the learning gate's seed 0 (tests/test_learning_gate.py trains seeds 1 and 2): its
    # verdict, scored exactly against the SPE as played by `train` itself, must be reached for both first proposers.
    assert f"--config configs/paper_selfplay.toml --out {MAIN_JOB_RUN}" in (ROOT / "README.md").read_text()
    verdict = json.loads((workdir / MAIN_JOB_RUN / "evaluation.json").read_text())["verdict"]
    distances = {first: row["distance_to_spe_played"] for first, row in verdict["by_first_proposer"].items()}
    assert verdict["reached"] and len(distances) == 2, f"the main job (seed 0) missed the SPE as played: {distances}"
