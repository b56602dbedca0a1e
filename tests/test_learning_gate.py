"""The learning gate: what the README promises the library's agents learn, checked at fixed seeds.

A change that makes the default learner land somewhere else fails here, naming the row and its distance:

- the main job (``configs/paper_selfplay.toml``, as ``scripts/main.sh`` trains it) reaches the exact SPE of the
  game as played for both first proposers, with seeds 0, 1 and 2, as the README says. Seed 0 is the README's own
  example, which ``tests/test_readme.py`` trains and checks (its run's verdict); this module trains seeds 1 and 2;
- the default ``infobargain suite`` (seed 0, its default budget) reaches the rows of :data:`GATE_TASKS`, and its
  players' mean absolute error against the continuous game's SPE on them stays within 0.02.

:data:`GATE_TASKS` is a subset of the suite that covers every protocol (ultimatum, fixed-role, alternating) on
both game kinds (signaling games and pies), both first proposers of every coin-flip task, at 19 of its 28 rows
and 50 of its 83 rounds of training (the budget is per round). It leaves out ``sig_ultimatum_sender`` (the same
one-offer protocol as ``sig_ultimatum_coin``'s sender-first rows) and ``sig_alternating_10`` (the
alternating-offers protocol on a signaling game, which the main job already checks on ``pure_math`` with three
seeds); together those are 40 % of the suite's training, which the CI budget cannot spare.

Every row is held to the verdict's tolerance. The nearest are ``barg_alternating_10`` on ``split_pie_bounded``,
where every responder of the discrete SPE is exactly indifferent: self-play lands one grid step from it (0.0177)
and closes in one step at a time, each step waiting for the proposer's estimate of a claim its responder has only
just started to accept. Without ``qlearning.lookahead`` (issue 26), epsilon-greedy play tried such a claim a few
times per update and seed 2's sender first ended two steps away (0.0354: ``benchmarks/bench_lookahead.py``).

"Reached" is the verdict's: the players' exact outcome within 0.02 of the SPE as played. Training never calls
the solver; only these checks do. Both tests are slow (a few CPU minutes together). Setting
``INFOBARGAIN_LEARNING_GATE=skip`` skips them. ``scripts/test.sh`` runs them on its first install only: the second
(``.venv-rllib``) differs from the first only in Gymnasium, PettingZoo and Ray, and runs the fast tier and the tests
marked ``install``. The learner plays the
numpy vector env with torch, and the checks use the exact solver; none of them runs through those three
packages (Gymnasium supplies only the env's space objects), so a second run would repeat the same minutes of
training for no new information.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infobargain.evaluation.benchmarks import benchmarks
from infobargain.evaluation.metrics import distance
from infobargain.evaluation.verdict import DEFAULT_TOLERANCE, format_suite_verdict, suite_verdict
from infobargain.game.protocol import ROLES

ROOT = Path(__file__).resolve().parents[1]
MAIN_JOB = ROOT / "configs" / "paper_selfplay.toml"
GATE_TASKS = ("sig_ultimatum_coin", "sig_fixed_role_5", "barg_ultimatum", "barg_fixed_role_5", "barg_alternating_10")
"""The suite's tasks the gate trains (see the module docstring for why these)."""
GATE_ROWS = 19

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("INFOBARGAIN_LEARNING_GATE") == "skip",
        reason="INFOBARGAIN_LEARNING_GATE=skip (scripts/test.sh: the second install repeats the first's learning)",
    ),
]


@pytest.mark.parametrize("seed", [1, 2])  # seed 0: tests/test_readme.py
def test_the_main_job_reaches_the_spe_for_both_first_proposers(seed: int, tmp_path: Path) -> None:
    pytest.importorskip("torch")  # the training extra
    from infobargain.evaluation.exploitability import exact_exploitability
    from infobargain.training.config import RunConfig
    from infobargain.training.runner import run_training

    config = RunConfig.load(MAIN_JOB)
    config.run.seed = seed
    run_training(config, tmp_path / "run", show_progress=False)
    players = tmp_path / "run" / "players"
    pair = exact_exploitability(players / "sender.pt", players / "receiver.pt", config.env)
    bench = benchmarks(config.env)
    distances = {first: distance(pair.by_first[first].value, bench.spe_played[first].payoffs) for first in ROLES}
    missed = [f"{first} first, distance {d:.4f}" for first, d in distances.items() if d > DEFAULT_TOLERANCE]
    assert not missed, f"main job, seed {seed}: not within {DEFAULT_TOLERANCE} of the SPE as played: {missed}"


def test_the_default_suite_reaches_the_gate_rows() -> None:
    pytest.importorskip("torch")  # the training extra
    from infobargain.evaluation.suite import run_suite

    # The same players for any jobs; two cores at the end of the CI run.
    result = run_suite(tasks=GATE_TASKS, seed=0, exploitability=False, jobs=2)
    summary = suite_verdict(result)
    assert summary["rows"] == GATE_ROWS
    assert not summary["missed"], format_suite_verdict(summary)
    assert summary["mae_vs_spe_continuous"] <= DEFAULT_TOLERANCE, format_suite_verdict(summary)
