"""The learning gate: what the README promises the library's agents learn, checked at fixed seeds.

A change that makes the default learner land somewhere else fails here, naming the row and its distance:

- the main job (``configs/paper_selfplay.toml``, as ``scripts/main.sh`` trains it) reaches the exact SPE of the
  game as played for both first proposers, with seeds 0, 1 and 2, as the README says;
- the default ``infobargain suite`` (seed 0, its default budget) reaches the rows of :data:`GATE_TASKS`, and its
  players' mean absolute error against the continuous game's SPE on them stays within 0.02.

:data:`GATE_TASKS` is a subset of the suite that covers every protocol (ultimatum, fixed-role, alternating) on
both game kinds (signaling games and pies), both first proposers of every coin-flip task, at 19 of its 28 rows
and 50 of its 83 rounds of training (the budget is per round). It leaves out ``sig_ultimatum_sender`` (the same
one-offer protocol as ``sig_ultimatum_coin``'s sender-first rows) and ``sig_alternating_10`` (the
alternating-offers protocol on a signaling game, which the main job already checks on ``pure_math`` with three
seeds); together those are 40 % of the suite's training, which the CI budget cannot spare.

One known gap is held to a looser bound rather than left out: in ``barg_alternating_10`` on
``split_pie_bounded`` every responder of the discrete SPE is exactly indifferent, and self-play lands one or two
grid steps from it (0.0177 or 0.0354: the proposer offers one or two steps more than the responder needs). Where
a responder accepts the largest claim, accepting pays exactly 0 and so does each of its 25 counter-offers; the
greedy choice compares accepting plus ``accept_bonus`` (0.002) with the largest of 25 estimates of 0, whose
errors (measured on the final networks: systematic, the same at the last checkpoints, spread 0.001-0.0017) put
that largest one 0.002-0.005 above 0, so the responder rejects the claim during part of training and its
proposer's value of the claim is a mixture of the two outcomes. A second step came from estimates lagging
behind values still being backed up (an offer or counter-offer is taken only when exploring); the dueling head
of the Q-networks cut that lag (the final networks' Bellman residuals 20-40 % smaller, seeds 0 and 1) and with it the
second step on seeds 0 and 1 (both first proposers one step, 0.0177), but with seed 2 the sender first still
lands two steps away (issue 26). :data:`KNOWN_GAPS` bounds those rows at two steps, so the gap cannot silently
widen; remove the entry once the learner reaches them on every seed.

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
KNOWN_GAPS = {("barg_alternating_10", "split_pie_bounded"): 0.036}
"""(task, game) → the largest distance to the SPE as played its rows may have (see the module docstring)."""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("INFOBARGAIN_LEARNING_GATE") == "skip",
        reason="INFOBARGAIN_LEARNING_GATE=skip (scripts/test.sh: the second install repeats the first's learning)",
    ),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
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
    lost = [
        row
        for row in summary["missed"]
        if row["distance_to_spe_played"] is None
        or row["distance_to_spe_played"] > KNOWN_GAPS.get((row["task"], row["game"]), DEFAULT_TOLERANCE)
    ]
    assert not lost, format_suite_verdict({**summary, "missed": lost})
    assert summary["mae_vs_spe_continuous"] <= DEFAULT_TOLERANCE, format_suite_verdict(summary)
