"""The learning figures the README and the docs pages quote are the ones the benchmark scripts last wrote to ``benchmarks/results/learning.json``.

``bench_learning.py`` writes the ``"leaderboard"`` section (its ``qlearning`` entry is the main job) and
``bench_suite.py`` the ``"suite"`` section. Each check below builds, from the file, the phrase the README must
contain; a change that moves a figure and reruns the benchmark fails here until the README says the new figure,
and a README edit that quotes a figure the file does not hold fails too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "learning.json"
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
"""Where figures may be quoted: the README and every docs page."""
ROLES = ("sender", "receiver")


def figure(value: float) -> str:
    """How the README writes a distance or an error: four decimals."""
    return f"{value:.4f}"


def listed(values: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} and {values[-1]}"


def seeds_of(count: int) -> str:
    return listed([str(seed) for seed in range(count)])


def main_job_phrase(results: dict[str, Any]) -> str:
    """The main job is the leaderboard's ``qlearning`` entry (its config's settings are the defaults)."""
    row = results["leaderboard"]["qlearning"]
    finals = row["final_by_seed"]
    played = [figure(max(final[first]["distance_to_spe_played"] for first in ROLES)) for final in finals]
    nash_conv = [figure(final["nash_conv"]) for final in finals]
    continuous = [listed([figure(final[first]["distance_to_spe_continuous"]) for first in ROLES]) for final in finals]
    return (
        f"with seeds {seeds_of(len(finals))}: distance to the SPE as played {', '.join(played)} (the worse first "
        f"proposer), NashConv {', '.join(nash_conv)}; from the continuous game's SPE (sender first and receiver "
        f"first) {'; '.join(continuous)}"
    )


def suite_phrase(results: dict[str, Any]) -> str:
    seeds = results["suite"]["seeds"]
    order = sorted(seeds, key=int)
    reached = [f"{seeds[s]['reached']}/{seeds[s]['rows']}" for s in order]
    mae = [figure(seeds[s]["mae_vs_spe_continuous"]) for s in order]
    return (
        f"seed{'s' if len(order) > 1 else ''} {listed(order)}: {', '.join(reached)} rows within 0.02 of the SPE as "
        f"played, MAE against the "
        f"continuous SPE {', '.join(mae)}"
    )


def leaderboard_phrase(name: str, row: dict[str, Any]) -> str:
    """What an algorithm learned (its speed, a performance figure, depends on the machine's load)."""
    seeds = len(row["final_distance"])
    return (
        f"`{name}`: {row['reached_seeds']}/{seeds} seeds within 0.02, final distance "
        f"{', '.join(figure(d) for d in row['final_distance'])}"
    )


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    return json.loads(RESULTS.read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def readme() -> str:
    return " ".join(" ".join(page.read_text().split()) for page in PAGES)  # line breaks and indentation do not matter


def test_the_readme_quotes_the_main_job_figures(results: dict[str, Any], readme: str) -> None:
    assert main_job_phrase(results) in readme


def test_the_readme_quotes_the_suite_figures(results: dict[str, Any], readme: str) -> None:
    assert suite_phrase(results) in readme


@pytest.mark.parametrize("name", ["qlearning", "regret", "mappo"])
def test_the_readme_quotes_each_leaderboard_row(name: str, results: dict[str, Any], readme: str) -> None:
    assert leaderboard_phrase(name, results["leaderboard"][name]) in readme


def test_a_stale_figure_is_caught(results: dict[str, Any], readme: str) -> None:
    """The check can fail: the same README against a file whose suite MAE moved by 0.0001 does not match."""
    moved = json.loads(json.dumps(results))
    first = sorted(moved["suite"]["seeds"], key=int)[0]
    moved["suite"]["seeds"][first]["mae_vs_spe_continuous"] += 0.0001
    assert suite_phrase(moved) not in readme
