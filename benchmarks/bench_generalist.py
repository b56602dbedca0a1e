"""The generalist: training time and zero-shot figures of one pair trained across protocols and sizes, per seed.

Usage::

    .venv/bin/python benchmarks/bench_generalist.py [--config configs/generalist.toml] [--seeds 0,1,2]
        [--steps N] [--instances 20] [--out runs/bench_generalist] [--evaluate-only]

For each seed: trains the config (``run.seed`` set; ``--steps`` overrides ``run.total_steps``) into
``OUT/seed_N`` with ``run_training`` (the same path as ``infobargain train``), then writes its zero-shot report
(:func:`~infobargain.evaluation.runs.evaluate_run`: held-out instances of every trained and unseen size per
protocol, structured games, the paper's 18 signaling rows). ``--evaluate-only`` re-scores runs already in
``OUT``. Prints, per seed, the training wall time (the run's own ``wall_time``, setup and evaluation excluded),
the machine's load before and after (``os.getloadavg``), and the figures against the targets of issue 25: every
paper row within 0.02 of the exact SPE as played, held-out mean distance <= 0.01 on trained sizes, unseen sizes
and structured games, training <= 20 minutes. Then one line per protocol and size group.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from pathlib import Path
from typing import Any

import torch

from infobargain.evaluation.runs import evaluate_run
from infobargain.training.config import RunConfig
from infobargain.training.runner import run_training

ROW_TARGET = 0.02
MEAN_TARGET = 0.01
TRAINING_TARGET_S = 20 * 60


def load() -> str:
    """The 1-, 5- and 15-minute load averages (the machine is shared: say how busy it was)."""
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def wall_time(run: Path) -> float:
    """The run's training wall time: the last ``wall_time`` of its metrics."""
    with open(run / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return float(rows[-1]["wall_time"])


def train(config_path: Path, seed: int, steps: int | None, run: Path) -> dict[str, Any]:
    config = RunConfig.load(config_path)
    overrides = [f"run.seed={seed}"] + ([f"run.total_steps={steps}"] if steps else [])
    config.override(overrides)
    before = load()
    summary, _ = run_training(config, run, show_progress=False)
    return {"decisions": summary["decisions"], "load_before": before, "load_after": load()}


def mean(summary: dict[str, Any], key: str = "distance_to_spe_played") -> float:
    value = summary[key]["mean"]
    return float("nan") if value is None else float(value)


def verdict(ok: bool) -> str:
    return "holds" if ok else "MISSED"


def report(seed: int, result: dict[str, Any], trained: dict[str, Any] | None, seconds: float) -> list[str]:
    totals, paper = result["totals"], result["paper"]
    lines = [f"seed {seed}:"]
    if trained is not None:
        lines.append(
            f"  training {seconds:.0f} s for {trained['decisions']:,} decisions (target <= {TRAINING_TARGET_S} s: "
            f"{verdict(seconds <= TRAINING_TARGET_S)}), load {trained['load_before']} -> {trained['load_after']}"
        )
    worst = paper["max_distance_to_spe_played"]
    lines.append(
        f"  paper's signaling rows: {paper['within_0.02']}/{len(paper['rows'])} within {ROW_TARGET} of the SPE as "
        f"played, worst {worst:.4f} ({verdict(worst <= ROW_TARGET)}); MAE vs continuous SPE "
        f"{paper['mae_vs_spe_continuous']:.4f}"
    )
    for name, summary in totals.items():
        value = mean(summary)
        lines.append(
            f"  {name.replace('_', ' ')}: mean distance {value:.4f} ({verdict(value <= MEAN_TARGET)}), non-trivial "
            f"{mean(summary, 'non_trivial_distance_to_spe_played'):.4f}, max {summary['distance_to_spe_played']['max']:.4f}"
            f" over {summary['rows']} rows"
        )
    for protocol in result["protocols"]:
        for seen in (True, False):
            cells = [c for c in result["cells"] if c["protocol"] == protocol and c["trained"] == seen]
            rows = sum(c["rows"] for c in cells)
            average = sum(mean(c) * c["rows"] for c in cells) / rows
            worst_cell = max(cells, key=lambda c: c["distance_to_spe_played"]["max"])
            lines.append(
                f"    {protocol}, {'trained' if seen else 'unseen'} sizes: mean {average:.4f}; worst size "
                f"{worst_cell['size']} (max {worst_cell['distance_to_spe_played']['max']:.4f})"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/generalist.toml"))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", type=int, default=None, help="run.total_steps (default: the config's)")
    parser.add_argument("--instances", type=int, default=None, help="held-out instances per protocol and size")
    parser.add_argument("--out", type=Path, default=Path("runs/bench_generalist"))
    parser.add_argument("--evaluate-only", action="store_true", help="score the runs already in --out")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for seed in (int(seed) for seed in args.seeds.split(",")):
        run = args.out / f"seed_{seed}"
        trained = None if args.evaluate_only else train(args.config, seed, args.steps, run)
        started = time.perf_counter()
        result = evaluate_run(run, seed=seed, instances=args.instances, progress=False)
        scored = time.perf_counter() - started
        print("\n".join(report(seed, result, trained, wall_time(run))), flush=True)
        print(f"  (zero-shot evaluation: {scored:.0f} s; report in {run / 'report.md'})", flush=True)
        (run / "bench.json").write_text(json.dumps({"seed": seed, "training": trained, "wall_time": wall_time(run)}))


if __name__ == "__main__":
    main()
