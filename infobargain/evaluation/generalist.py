"""Zero-shot evaluation: players trained on a distribution of games, scored on held-out instances of it.

The instances are drawn from their own stream, ``numpy.random.default_rng([seed, HELD_OUT_STREAM])``, which no
training run draws from (training streams are seeded by single integers), so for continuous distributions such
as ``random:2x2`` the players have never met them. Each instance is scored exactly: the pair's expected payoffs
(from the exact tree walk of :func:`~infobargain.evaluation.exploitability.exact_exploitability`, so discrete
offer spaces only) against the instance's exact SPE, continuous and as played on the offer grid, with the pair's
NashConv. A finite set (a family, a folder, a list) has no unseen members: its draws are games the players
trained on, and the result says so (``held_out.unseen``). About half of random 2×2 instances are *trivial*: the receiver's best action is the same in every
state, no scheme changes what it does and the feasible set is the single point ``d``. Summaries are given over
all instances and over the non-trivial ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from infobargain.agents import player_label
from infobargain.evaluation.benchmarks import benchmarks, point_json
from infobargain.evaluation.exploitability import exact_exploitability
from infobargain.evaluation.metrics import distance
from infobargain.evaluation.players import PlayerSpec
from infobargain.game.distributions import InstanceDistribution, InstanceSet, resolve_game
from infobargain.game.instance import Instance
from infobargain.game.protocol import ROLES
from infobargain.progress import Progress, wanted
from infobargain.theory.plot import require_matplotlib, save_figure

HELD_OUT_STREAM = 0x5EED_0E7A
"""The spawn key of the held-out draws (see the module docstring)."""
DEFAULT_INSTANCES = 200


def held_out_instances(distribution: InstanceDistribution, count: int, seed: int = 0) -> list[Instance]:
    """``count`` instances of ``distribution`` from the held-out stream."""
    rng = np.random.default_rng([seed, HELD_OUT_STREAM])
    return [distribution.sample(rng) for _ in range(count)]


def score_instance(
    sender: PlayerSpec, receiver: PlayerSpec, env_kwargs: Mapping[str, Any], instance: Instance
) -> list[dict[str, Any]]:
    """One row per first proposer: the pair's exact outcome on ``instance`` against its exact SPE."""
    kwargs = {**env_kwargs, "game": instance}
    bench = benchmarks(kwargs)
    exploit = exact_exploitability(sender, receiver, kwargs)
    trivial = len(bench.problem.feasible.vertices) == 1
    rows = []
    for first, result in exploit.by_first.items():
        outcome = np.asarray(result.value, dtype=np.float64)
        played, continuous = bench.spe_played[first].payoffs, bench.spe_continuous[first].payoffs
        rows.append(
            {
                "first_proposer": first,
                "trivial": trivial,
                "outcome": point_json(outcome),
                "spe_played": point_json(played),
                "spe_continuous": point_json(continuous),
                "distance_to_spe_continuous": distance(outcome, continuous),
                "distance_to_spe_played": distance(outcome, played),
                "nash_conv": result.nash_conv,
            }
        )
    return rows


def summarize(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mean, median and max of each distance per first proposer, over all instances and the non-trivial ones."""
    summary: dict[str, Any] = {}
    for first in [role for role in ROLES if any(row["first_proposer"] == role for row in rows)]:
        mine = [row for row in rows if row["first_proposer"] == first]
        groups = {"all": mine, "non_trivial": [row for row in mine if not row["trivial"]]}
        summary[first] = {
            group: {
                "instances": len(chosen),
                **{
                    key: distance_stats([row[key] for row in chosen])
                    for key in ("distance_to_spe_continuous", "distance_to_spe_played", "nash_conv")
                },
            }
            for group, chosen in groups.items()
        }
    return summary


def distance_stats(values: Sequence[float]) -> dict[str, float | None]:
    """Mean, median and max of ``values`` (None each when there are none)."""
    if not values:
        return {"mean": None, "median": None, "max": None}
    array = np.asarray(values, dtype=np.float64)
    return {"mean": float(array.mean()), "median": float(np.median(array)), "max": float(array.max())}


def evaluate_across(
    sender: PlayerSpec,
    receiver: PlayerSpec,
    env_kwargs: Mapping[str, Any],
    *,
    instances: int = DEFAULT_INSTANCES,
    seed: int = 0,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Score the pair on ``instances`` held-out draws of the distribution ``env_kwargs["game"]``."""
    distribution = resolve_game(env_kwargs.get("game"))
    if not isinstance(distribution, InstanceDistribution):
        raise ValueError(f"game: {env_kwargs.get('game')!r} is one game, not a distribution; evaluate it directly")
    if instances < 1:
        raise ValueError(f"instances: must be at least 1, got {instances}")
    rows: list[dict[str, Any]] = []
    drawn = held_out_instances(distribution, instances, seed)
    with Progress(len(drawn), "held-out instances", wanted(progress, len(drawn), threshold=20)) as bar:
        for index, instance in enumerate(drawn):
            for row in score_instance(sender, receiver, env_kwargs, instance):
                rows.append({"instance": index, **row, "game": instance.to_dict()})
            bar.update(1)
    return {
        "players": {"sender": player_label(sender), "receiver": player_label(receiver)},
        "distribution": distribution.describe(),
        "held_out": {
            "instances": instances,
            "seed": seed,
            "stream": HELD_OUT_STREAM,
            "unseen": not isinstance(distribution, InstanceSet),
        },
        "env": {key: value for key, value in env_kwargs.items() if key != "game"},
        "summary": summarize(rows),
        "rows": rows,
    }


def format_summary(result: Mapping[str, Any]) -> str:
    """A few lines for the terminal: mean distances per first proposer."""
    lines = [
        f"{result['players']['sender']} vs {result['players']['receiver']} on {result['distribution']}, "
        f"{result['held_out']['instances']} held-out instances:"
    ]
    for first, groups in result["summary"].items():
        every, hard = groups["all"], groups["non_trivial"]
        mean = hard["distance_to_spe_continuous"]["mean"]
        lines.append(
            f"  {first} first: mean distance to the exact SPE {every['distance_to_spe_continuous']['mean']:.4f} "
            f"(max {every['distance_to_spe_continuous']['max']:.4f}); non-trivial instances ({hard['instances']}): "
            + ("-" if mean is None else f"{mean:.4f}")
        )
    return "\n".join(lines)


def write_across(result: Mapping[str, Any], target: Path, *, figures: bool = True) -> list[Path]:
    """``evaluation.json``, ``report.md`` and (with matplotlib) ``held_out.png``, the distances' histograms."""
    target.mkdir(parents=True, exist_ok=True)
    written = [target / "evaluation.json", target / "report.md"]
    written[0].write_text(json.dumps(result, indent=2, default=str) + "\n")
    lines = [
        f"# Zero-shot evaluation on {result['distribution']}",
        "",
        f"Players: {result['players']['sender']} (sender), {result['players']['receiver']} (receiver). "
        f"{result['held_out']['instances']} instances drawn from a stream no training draws from (seed "
        f"{result['held_out']['seed']}), each scored exactly against its own SPE."
        + (
            ""
            if result["held_out"]["unseen"]
            else " The distribution is a finite set: these games were seen in training."
        ),
        "",
        "| first proposer | instances | distance to SPE: mean | median | max | to SPE as played: mean | NashConv: mean |",
        "|---|---|---|---|---|---|---|",
    ]
    for first, groups in result["summary"].items():
        for group, stats in groups.items():
            if not stats["instances"]:
                continue
            distance, played, conv = (
                stats["distance_to_spe_continuous"],
                stats["distance_to_spe_played"],
                stats["nash_conv"],
            )
            lines.append(
                f"| {first} ({group.replace('_', '-')}) | {stats['instances']} | {distance['mean']:.4f} | "
                f"{distance['median']:.4f} | {distance['max']:.4f} | {played['mean']:.4f} | {conv['mean']:.4f} |"
            )
    if figures and _plot_histograms(result, target / "held_out.png"):
        written.append(target / "held_out.png")
        lines += ["", "![distances to the exact SPE](held_out.png)"]
    written[1].write_text("\n".join(lines) + "\n")
    return written


def _plot_histograms(result: Mapping[str, Any], path: Path) -> bool:
    try:
        plt = require_matplotlib()
    except ImportError:
        return False
    figure, ax = plt.subplots(figsize=(6, 3.5))
    for first in result["summary"]:
        distances = [row["distance_to_spe_continuous"] for row in result["rows"] if row["first_proposer"] == first]
        ax.hist(distances, bins=30, alpha=0.6, label=f"{first} first")
    ax.set_xlabel("distance of the players' outcome to the exact SPE")
    ax.set_ylabel("held-out instances")
    ax.set_title(result["distribution"])
    ax.legend()
    save_figure(figure, path)
    return True
