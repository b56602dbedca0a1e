"""The zero-shot report of a generalist: one player pair trained across protocols and sizes, on games never seen.

A generalist run trains on a mixture (:mod:`infobargain.envs.mixture`: protocol variants × the sizes of a
mixed-size game, with ``observation="menu"``). Its report scores the pair, exactly, per protocol variant:

- **held out**: ``instances`` random instances of every trained size and of sizes it never trained on
  (:func:`unseen_sizes`: 2×3 and 3×2 when it trained on square games only, and sizes one larger than its largest),
  each size drawn from its own stream ``default_rng([seed, HELD_OUT_STREAM, states, actions])``, which no training
  draws from (training streams are seeded by single integers); trivial instances (the feasible set is ``d``
  alone) are summarised separately;
- **structured**: games that are not uniform noise, none in any training stream: the named scenarios beyond the
  paper's, the instance files of ``examples/`` (when the source tree is there), and held-out draws of the
  ``binary:SxA`` family (utilities 0 or 1, the textbook kind);
- **the paper's 18 signaling rows** (the suite's signaling tasks, :func:`~infobargain.evaluation.suite.run_suite`
  with the run as players): each row's distance to the exact SPE as played on the grid, and the MAE against the
  continuous SPE beside it;
- **hardness**: per protocol and size, the worst held-out instances, and a histogram of the distances
  (``zero_shot.png``).

Every score is :func:`~infobargain.evaluation.generalist.score_instance`'s: the pair's exact expected payoffs
against the instance's exact SPE (the solver only evaluates; training never calls it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from infobargain.agents import player_label
from infobargain.agents.registry import bind_policy
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.envs.mixture import protocol_variants, variant_label
from infobargain.evaluation.generalist import HELD_OUT_STREAM, distance_stats, score_instance
from infobargain.evaluation.players import PlayerSpec
from infobargain.game.distributions import RandomInstances, RandomSizes, resolve_game
from infobargain.game.instance import Instance
from infobargain.game.protocol import ROLES, Role
from infobargain.game.scenarios import PAPER_SCENARIOS, SCENARIOS, scenario
from infobargain.progress import Progress, wanted
from infobargain.theory.plot import require_matplotlib, save_figure

DEFAULT_PER_SIZE = 20
"""Held-out instances per protocol variant and size."""
STRUCTURED_DRAWS = 10
"""Held-out draws of each ``binary:SxA`` family."""
WORST_SHOWN = 3
"""The worst held-out instances listed per protocol and size."""
SIGNALING_TASKS = ("sig_ultimatum_sender", "sig_ultimatum_coin", "sig_fixed_role_5", "sig_alternating_10")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
"""The source tree's example instance files (absent in an installed package: then left out)."""
Size = tuple[int, int]


def trained_sizes(game: Any) -> list[Size]:
    """The ``(states, actions)`` sizes of a random-instance training distribution."""
    source = resolve_game(game)
    if isinstance(source, RandomSizes):
        return [(member.n_states, member.n_actions) for member in source.members]
    if isinstance(source, RandomInstances):
        return [(source.n_states, source.n_actions)]
    raise ValueError(f"game: a generalist's report needs random training instances (random:SxA), got {game!r}")


def unseen_sizes(trained: Sequence[Size]) -> list[Size]:
    """Sizes the players never trained on: 2×3 and 3×2 (when not trained), and one more state and action than the
    largest trained size, alone and with the smallest."""
    largest = max(max(size) for size in trained) + 1
    smallest = min(min(size) for size in trained)
    candidates = [(2, 3), (3, 2), (largest, largest), (smallest, largest), (largest, smallest)]
    return sorted(set(candidates) - set(trained), key=lambda size: (size[0] * size[1], size))


def size_draws(size: Size, count: int, seed: int) -> list[Instance]:
    """``count`` random instances of ``size`` from that size's held-out stream."""
    rng = np.random.default_rng([seed, HELD_OUT_STREAM, *size])
    return [RandomInstances(*size).sample(rng) for _ in range(count)]


def binary_instance(rng: np.random.Generator, size: Size) -> Instance:
    """A random instance with utilities 0 or 1 (a Dirichlet(1) prior floored like ``random:SxA``'s)."""
    states, actions = size
    prior = np.maximum(rng.dirichlet(np.ones(states)), 1e-3)
    utilities = rng.integers(0, 2, (2, states, actions)).astype(np.float64)
    return Instance(prior / prior.sum(), utilities[0], utilities[1], name=f"binary:{states}x{actions} draw")


def structured_games(seed: int) -> list[Instance]:
    """The structured held-out games (module docstring)."""
    games = [
        game
        for name, build in SCENARIOS.items()
        if name not in PAPER_SCENARIOS and isinstance(game := build(), Instance)
    ]
    games += [Instance.load(path) for path in sorted(EXAMPLES.glob("*.json"))] if EXAMPLES.is_dir() else []
    for size in ((2, 2), (3, 3)):
        rng = np.random.default_rng([seed, HELD_OUT_STREAM, 0, *size])
        games += [binary_instance(rng, size) for _ in range(STRUCTURED_DRAWS)]
    return games


def variants_of(env_kwargs: Mapping[str, Any], protocols: str) -> list[dict[str, Any]]:
    """The env arguments of each protocol variant the run trained on (without a game)."""
    base = {key: value for key, value in env_kwargs.items() if key != "game"}
    return [{**base, **variant} for variant in protocol_variants(protocols)] if protocols else [base]


def _loaded(spec: PlayerSpec, env_kwargs: Mapping[str, Any], role: Role) -> PlayerSpec:
    """A saved learned player, loaded once (its ``"menu"`` observation reads every game alike), not once per
    instance; other players as given (an analytic player is built for each game)."""
    if isinstance(spec, (str, Path)) and Path(spec).suffix == ".pt":
        return bind_policy(spec, raw_env(**env_kwargs), role)
    return spec


def _scored(
    sender: PlayerSpec, receiver: PlayerSpec, kwargs: Mapping[str, Any], game: Instance, **labels: Any
) -> list[dict[str, Any]]:
    return [{**labels, **row, "game": game.to_dict()} for row in score_instance(sender, receiver, kwargs, game)]


def evaluate_generalist(
    sender: PlayerSpec,
    receiver: PlayerSpec,
    env_kwargs: Mapping[str, Any],
    protocols: str = "",
    *,
    instances: int = DEFAULT_PER_SIZE,
    seed: int = 0,
    paper_rows: bool = True,
    progress: bool | None = None,
) -> dict[str, Any]:
    """The zero-shot report's document (module docstring) for a pair trained on ``env_kwargs`` (its ``game`` a
    random-instance distribution) under the variants ``protocols``."""
    if instances < 1:
        raise ValueError(f"instances: must be at least 1, got {instances}")
    trained = trained_sizes(env_kwargs.get("game"))
    variants = variants_of(env_kwargs, protocols)
    sender, receiver = (
        _loaded(spec, {**variants[0], "game": env_kwargs["game"]}, role)
        for spec, role in zip((sender, receiver), ROLES, strict=True)
    )
    sizes = [(size, True) for size in trained] + [(size, False) for size in unseen_sizes(trained)]
    structured = structured_games(seed)
    draws = {size: size_draws(size, instances, seed) for size, _ in sizes}
    held_out: list[dict[str, Any]] = []
    structured_rows: list[dict[str, Any]] = []
    work = len(variants) * (len(sizes) * instances + len(structured))
    with Progress(work, "zero-shot instances", wanted(progress, work, threshold=20)) as bar:
        for kwargs in variants:
            label = variant_label(kwargs)
            for size, seen in sizes:
                for index, game in enumerate(draws[size]):
                    held_out += _scored(
                        sender, receiver, kwargs, game, protocol=label, size=_size(size), trained=seen, instance=index
                    )
                    bar.update(1)
            for game in structured:
                structured_rows += _scored(sender, receiver, kwargs, game, protocol=label, name=game.name)
                bar.update(1)
    document: dict[str, Any] = {
        "players": {"sender": player_label(sender), "receiver": player_label(receiver)},
        "distribution": str(env_kwargs.get("game")),
        "protocols": [variant_label(kwargs) for kwargs in variants],
        "held_out": {"instances_per_size": instances, "seed": seed, "stream": HELD_OUT_STREAM},
        "env": {key: value for key, value in env_kwargs.items() if key != "game"},
        "cells": cell_summaries(held_out),
        "totals": totals(held_out, structured_rows),
        "hardest": hardest(held_out),
        "structured": {"summary": _summary(structured_rows), "rows": structured_rows},
        "rows": held_out,
    }
    if paper_rows:
        document["paper"] = paper_signaling_rows(sender, receiver, env_kwargs, protocols, seed)
    return document


def _size(size: Size) -> str:
    return f"{size[0]}x{size[1]}"


def _summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts and the statistics of each distance over ``rows`` (one per instance and first proposer)."""
    return {
        "rows": len(rows),
        "non_trivial_rows": sum(not row["trivial"] for row in rows),
        **{
            key: distance_stats([row[key] for row in rows])
            for key in ("distance_to_spe_played", "distance_to_spe_continuous", "nash_conv")
        },
        "non_trivial_distance_to_spe_played": distance_stats(
            [row["distance_to_spe_played"] for row in rows if not row["trivial"]]
        ),
    }


def cell_summaries(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One summary per (protocol, size), in the order the rows came."""
    keys = list(dict.fromkeys((row["protocol"], row["size"], row["trained"]) for row in rows))
    return [
        {
            "protocol": protocol,
            "size": size,
            "trained": trained,
            **_summary([row for row in rows if (row["protocol"], row["size"]) == (protocol, size)]),
        }
        for protocol, size, trained in keys
    ]


def totals(held_out: Sequence[Mapping[str, Any]], structured: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The headline figures: trained sizes, unseen sizes, structured games (over every protocol)."""
    return {
        "trained_sizes": _summary([row for row in held_out if row["trained"]]),
        "unseen_sizes": _summary([row for row in held_out if not row["trained"]]),
        "structured": _summary(structured),
    }


def hardest(rows: Sequence[Mapping[str, Any]], count: int = WORST_SHOWN) -> list[dict[str, Any]]:
    """Per (protocol, size): the ``count`` rows farthest from the SPE as played (ties: the first drawn)."""
    cells: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in rows:
        cells.setdefault((row["protocol"], row["size"]), []).append(row)
    worst = []
    for (protocol, size), mine in cells.items():
        ranked = sorted(mine, key=lambda row: -row["distance_to_spe_played"])[:count]
        worst += [
            {
                "protocol": protocol,
                "size": size,
                **{key: row[key] for key in ("instance", "first_proposer", "trivial", "outcome", "spe_played")},
                **{key: row[key] for key in ("distance_to_spe_played", "distance_to_spe_continuous", "nash_conv")},
                "game": row["game"],
            }
            for row in ranked
        ]
    return worst


def paper_signaling_rows(
    sender: PlayerSpec, receiver: PlayerSpec, env_kwargs: Mapping[str, Any], protocols: str, seed: int
) -> dict[str, Any]:
    """The paper's signaling rows played by the pair in each task's own protocol (the variant that plays it;
    tasks no variant plays are left out with a note): distances to the exact SPE as played, MAE vs continuous."""
    from infobargain.evaluation.suite import TASKS, unlike

    variants = variants_of(env_kwargs, protocols)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for task in (task for task in TASKS if task.name in SIGNALING_TASKS):
        for game in task.games:
            task_env = {
                **task.env_kwargs(game, env_kwargs.get("offer_space", "frontier"), env_kwargs["grid_size"]),
                "observation": env_kwargs.get("observation", "full"),
            }
            if all(unlike({**kwargs, "game": env_kwargs["game"]}, task_env) for kwargs in variants):
                notes.append(f"{task.name}, {game}: no protocol the run trained on plays it")
                continue
            for first in task.firsts():
                kwargs = {**task_env, "first_proposer": first}
                (row,) = score_instance(sender, receiver, kwargs, scenario(game))  # type: ignore[arg-type]
                rows.append({"task": task.name, "game": game, **row})
    played = [row["distance_to_spe_played"] for row in rows]
    continuous = [
        abs(row["outcome"][key] - row["spe_continuous"][key]) for row in rows for key in ("sender", "receiver")
    ]
    return {
        "rows": rows,
        "max_distance_to_spe_played": max(played) if played else None,
        "within_0.02": sum(distance <= 0.02 for distance in played),
        "mae_vs_spe_continuous": float(np.mean(continuous)) if continuous else None,
        "notes": notes,
    }


def _format(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def format_zero_shot(result: Mapping[str, Any]) -> str:
    """A few lines for the terminal: the headline figures."""
    players = result["players"]
    lines = [f"{players['sender']} vs {players['receiver']}, zero-shot ({'; '.join(result['protocols'])}):"]
    for name, summary in result["totals"].items():
        played = summary["distance_to_spe_played"]
        lines.append(
            f"  {name.replace('_', ' ')}: mean distance to the SPE as played {_format(played['mean'])} (max "
            f"{_format(played['max'])}; non-trivial {_format(summary['non_trivial_distance_to_spe_played']['mean'])}),"
            f" to the continuous SPE {_format(summary['distance_to_spe_continuous']['mean'])}"
        )
    if "paper" in result:
        paper = result["paper"]
        lines.append(
            f"  paper's signaling rows: {paper['within_0.02']}/{len(paper['rows'])} within 0.02 of the SPE as played "
            f"(max {_format(paper['max_distance_to_spe_played'])}), MAE vs the continuous SPE "
            f"{_format(paper['mae_vs_spe_continuous'])}"
        )
    return "\n".join(lines)


def write_zero_shot(result: Mapping[str, Any], target: Path, *, figures: bool = True) -> list[Path]:
    """``evaluation.json``, ``report.md`` and (with matplotlib) ``zero_shot.png``."""
    target.mkdir(parents=True, exist_ok=True)
    written = [target / "evaluation.json", target / "report.md"]
    written[0].write_text(json.dumps(result, indent=2, default=str) + "\n")
    held = result["held_out"]
    lines = [
        f"# Zero-shot evaluation of a generalist trained on {result['distribution']}",
        "",
        f"Players: {result['players']['sender']} (sender), {result['players']['receiver']} (receiver). Protocols: "
        f"{'; '.join(result['protocols'])}. {held['instances_per_size']} held-out instances per protocol and size, "
        f"from streams no training draws from (seed {held['seed']}), each scored exactly against its own SPE. "
        "Distances are Euclidean in (U_S, U_R), per first proposer; 'as played' is the SPE on the offer grid.",
        "",
        "## Headline",
        "",
        "| games | rows | to SPE as played: mean | max | non-trivial mean | to continuous SPE: mean | NashConv: mean |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, summary in result["totals"].items():
        lines.append(_summary_line(name.replace("_", " "), summary))
    if "paper" in result:
        paper = result["paper"]
        lines += [
            "",
            "## The paper's signaling rows (never seen in training)",
            "",
            f"{paper['within_0.02']} of {len(paper['rows'])} rows within 0.02 of the exact SPE as played (max "
            f"{_format(paper['max_distance_to_spe_played'])}); MAE against the continuous SPE "
            f"{_format(paper['mae_vs_spe_continuous'])}.",
            "",
            "| task | game | first | outcome (U_S, U_R) | SPE as played | distance | to continuous SPE |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in paper["rows"]:
            lines.append(
                f"| {row['task']} | {row['game']} | {row['first_proposer']} | {_point(row['outcome'])} | "
                f"{_point(row['spe_played'])} | {row['distance_to_spe_played']:.4f} | "
                f"{row['distance_to_spe_continuous']:.4f} |"
            )
        lines += [f"- {note}" for note in paper["notes"]]
    lines += [
        "",
        "## Per protocol and size",
        "",
        "| protocol | size | rows | to SPE as played: mean | max | non-trivial mean | to continuous SPE: mean "
        "| NashConv: mean |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cell in result["cells"]:
        seen = cell["size"] + ("" if cell["trained"] else " (unseen)")
        lines.append(_summary_line(f"{cell['protocol']} | {seen}", cell))
    lines += ["", "## Structured games (never seen in training)", ""]
    lines += [
        "| protocol | game | first | distance to SPE as played | to continuous SPE | NashConv |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["structured"]["rows"]:
        lines.append(
            f"| {row['protocol']} | {row['name']} | {row['first_proposer']} | {row['distance_to_spe_played']:.4f} | "
            f"{row['distance_to_spe_continuous']:.4f} | {row['nash_conv']:.4f} |"
        )
    lines += [
        "",
        f"## Hardest held-out instances ({WORST_SHOWN} per protocol and size)",
        "",
        "| protocol | size | instance | first | outcome | SPE as played | distance | NashConv |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["hardest"]:
        lines.append(
            f"| {row['protocol']} | {row['size']} | {row['instance']} | {row['first_proposer']} | "
            f"{_point(row['outcome'])} | {_point(row['spe_played'])} | {row['distance_to_spe_played']:.4f} | "
            f"{row['nash_conv']:.4f} |"
        )
    if figures and plot_distances(result, target / "zero_shot.png"):
        written.append(target / "zero_shot.png")
        lines += ["", "![distances to the exact SPE as played, per protocol](zero_shot.png)"]
    written[1].write_text("\n".join(lines) + "\n")
    return written


def _summary_line(label: str, summary: Mapping[str, Any]) -> str:
    played = summary["distance_to_spe_played"]
    return (
        f"| {label} | {summary['rows']} | {_format(played['mean'])} | {_format(played['max'])} | "
        f"{_format(summary['non_trivial_distance_to_spe_played']['mean'])} | "
        f"{_format(summary['distance_to_spe_continuous']['mean'])} | {_format(summary['nash_conv']['mean'])} |"
    )


def _point(point: Mapping[str, float]) -> str:
    return f"({point['sender']:.3f}, {point['receiver']:.3f})"


FLOOR = 1e-4
"""Distances below this (exact play, up to rounding) are drawn in the histogram's first bin."""


def plot_distances(result: Mapping[str, Any], path: Path) -> bool:
    """One panel per protocol: histograms of the distances to the SPE as played on trained sizes, unseen sizes
    and structured games, on log axes (distances below :data:`FLOOR` in the first bin; dotted lines at 0.01 and
    0.02, the targets), so the few bad instances show beside the many exact ones. ``False`` without matplotlib."""
    try:
        plt = require_matplotlib()
    except ImportError:
        return False
    protocols = result["protocols"]
    every = [row["distance_to_spe_played"] for row in [*result["rows"], *result["structured"]["rows"]]]
    bins = np.geomspace(FLOOR, max(max(every, default=0.0), 0.05) * 1.01, 31)
    figure, axes = plt.subplots(1, len(protocols), figsize=(4.2 * len(protocols), 3.4), squeeze=False, sharey=True)
    for ax, protocol in zip(axes[0], protocols, strict=True):
        groups = {
            "trained sizes": [r for r in result["rows"] if r["protocol"] == protocol and r["trained"]],
            "unseen sizes": [r for r in result["rows"] if r["protocol"] == protocol and not r["trained"]],
            "structured": [r for r in result["structured"]["rows"] if r["protocol"] == protocol],
        }
        for label, rows in groups.items():
            distances = np.maximum([r["distance_to_spe_played"] for r in rows], FLOOR * 1.001)
            ax.hist(distances, bins=bins, histtype="step", linewidth=1.5, label=label)
        for target in (0.01, 0.02):
            ax.axvline(target, color="grey", linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(protocol, fontsize=9)
        ax.set_xlabel(f"distance to the SPE as played (< {FLOOR:g}: first bin)", fontsize=8)
    axes[0][0].set_ylabel("instances × first proposers")
    axes[0][-1].legend(fontsize=8)
    save_figure(figure, path)
    return True
