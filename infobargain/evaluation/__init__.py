"""Evaluation: play any players against each other and score them against the exact game theory.

- :func:`rollout` plays a pair for many episodes (in parallel where it helps, deterministic per episode);
- :func:`evaluate_players` scores a pair: deal rate, round of agreement, payoffs with 95 % CIs, distances to
  the SPE / Nash / Kalai–Smorodinsky / BP points, the gap to the Pareto frontier, fairness, the realized
  advantage split (all per first proposer) and exploitability;
- :func:`exact_exploitability` (discrete offer spaces) and :func:`rl_exploitability` (a lower bound);
- :func:`cross_play` plays every pair from a set of players;
- :func:`run_suite` runs the paper's task grid against exact theory and the paper's LLM results;
- :func:`evaluate_run` evaluates a training run directory and writes ``evaluation.json`` and ``report.md``.
"""

from infobargain.evaluation.benchmarks import Benchmarks, benchmarks
from infobargain.evaluation.crossplay import CrossPlay, cross_play
from infobargain.evaluation.evaluate import evaluate_players
from infobargain.evaluation.exploitability import Exploitability, exact_exploitability, rl_exploitability
from infobargain.evaluation.metrics import frontier_distance, receiver_shortfall, score
from infobargain.evaluation.report import render_markdown, write_evaluation
from infobargain.evaluation.rollout import Episode, play_episode, rollout
from infobargain.evaluation.run_files import read_run
from infobargain.evaluation.runs import evaluate_run
from infobargain.evaluation.stats import Estimate, mean_ci
from infobargain.evaluation.suite import TASKS, run_suite
from infobargain.evaluation.suite_report import render_suite_markdown

__all__ = [
    "TASKS",
    "Benchmarks",
    "CrossPlay",
    "Episode",
    "Estimate",
    "Exploitability",
    "benchmarks",
    "cross_play",
    "evaluate_players",
    "evaluate_run",
    "exact_exploitability",
    "frontier_distance",
    "mean_ci",
    "play_episode",
    "read_run",
    "receiver_shortfall",
    "render_markdown",
    "render_suite_markdown",
    "rl_exploitability",
    "rollout",
    "run_suite",
    "score",
    "write_evaluation",
]
