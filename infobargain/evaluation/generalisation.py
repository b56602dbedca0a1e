"""The leaderboard's generalisation track: train on a distribution of games, score zero-shot, exactly per instance.

A generalisation cell (algorithm, task, distribution, seed) trains the algorithm with the task's protocol on a
distribution of games (``random:2x2``, a folder of instances, any ``game`` the env takes that is a distribution),
then scores its two players, without further training:

- on held-out instances of the distribution, drawn from the stream no training draws from
  (:func:`~infobargain.evaluation.generalist.held_out_instances`), each exactly against its own SPE
  (:func:`~infobargain.evaluation.generalist.score_instance`: distance of the pair's exact expected payoffs to the
  SPE as played and to the continuous SPE, NashConv);
- on each of the task's paper games of the same shape, exactly as a leaderboard cell is
  (:func:`~infobargain.evaluation.leaderboard.score_players`).

Cells run, resume and fail exactly as leaderboard cells (:func:`~infobargain.evaluation.leaderboard.run_cells`),
under ``OUT/general/``. The table gives per algorithm and task the mean over seeds (± sd) of each seed's mean
distance to the SPE as played on the held-out instances and on the paper's games.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from infobargain.evaluation.benchmarks import benchmarks
from infobargain.evaluation.cell_runner import CellSpec, Runner, serial_runner
from infobargain.evaluation.cells import CellError, OtherSettings, read_json_cell
from infobargain.evaluation.generalist import held_out_instances, score_instance
from infobargain.evaluation.leaderboard import (
    TaskGame,
    cell_budget,
    cell_path,
    cell_spec,
    check_algorithms,
    run_cells,
    score_players,
    select_games,
    spread,
    write_json,
)
from infobargain.evaluation.suite import TASKS, Task
from infobargain.game.distributions import InstanceDistribution, resolve_game, shape_of
from infobargain.game.instance import Instance

DEFAULT_HELD_OUT = 50
"""Held-out instances per cell (each scored exactly: a few tenths of a second each for a 2x2 game)."""
HELD_OUT_SEED = 0
"""The held-out draws' seed: the same instances for every algorithm and training seed."""


def general_tasks(distribution: str, names: Sequence[str] | None = None) -> list[Task]:
    """The tasks (matching the patterns ``names``, or all) whose paper games have the distribution's shape: their protocols train on
    it. ``ValueError`` when ``distribution`` is one game, or no task fits."""
    source = resolve_game(distribution)
    if not isinstance(source, InstanceDistribution):
        raise ValueError(f"--train-on: {distribution!r} is one game, not a distribution of games (e.g. random:2x2)")
    selected = {pair.task.name for pair in select_games(names)}
    fitting = [
        task
        for task in TASKS
        if task.name in selected
        and task.signaling
        and all(
            isinstance(game := resolve_game(name), Instance) and shape_of(game) == source.shape for name in task.games
        )
    ]
    if not fitting:
        raise ValueError(
            f"--train-on: no selected task plays games of the shape of {distribution} ({source.describe()})"
        )
    return fitting


def train_and_score_general(spec: CellSpec) -> dict[str, Any]:
    """Train one generalisation cell on its distribution and score it zero-shot (see the module)."""
    from infobargain.training.runner import run_config, run_training

    task = next(task for task in TASKS if task.name == spec.task)
    settings = spec.settings
    env_kwargs = task.env_kwargs(spec.game, settings["offer_space"], settings["grid_size"])
    run_dir = Path(spec.run_dir)
    if run_dir.exists():
        shutil.rmtree(run_dir)  # an interrupted training: start the cell again
    config = run_config(
        spec.algorithm, env_kwargs, budget=settings["budget"], seed=spec.seed, run_dir=run_dir, name="generalisation"
    )
    started = time.perf_counter()
    summary, trained = run_training(config, run_dir, show_progress=False)
    wall = time.perf_counter() - started
    sender, receiver = summary["players"]["sender"], summary["players"]["receiver"]
    distribution = resolve_game(spec.game)
    assert isinstance(distribution, InstanceDistribution)  # general_tasks admits distributions only
    held_out = []
    for index, instance in enumerate(held_out_instances(distribution, settings["held_out"], HELD_OUT_SEED)):
        for row in score_instance(sender, receiver, env_kwargs, instance):
            held_out.append({"instance": index, **{key: row[key] for key in FIGURES}, "trivial": row["trivial"]})
    paper_rows = []
    for game in task.games:
        kwargs = task.env_kwargs(game, settings["offer_space"], settings["grid_size"])
        for row in score_players(
            TaskGame(task, game),
            kwargs,
            benchmarks(kwargs),
            sender,
            receiver,
            episodes=settings["episodes"],
            seed=spec.seed,
        ):
            paper_rows.append({key: row[key] for key in ("game", "first_proposer", *FIGURES)})
    cell = {
        **spec.identity,
        "settings": dict(settings),
        "decisions": trained.decisions,
        "wall_s": wall,
        "held_out": held_out,
        "paper_games": paper_rows,
    }
    cell = json.loads(json.dumps(cell, default=str))
    return check_general_cell(cell, spec.identity, settings)


FIGURES = ("distance_to_spe_played", "distance_to_spe_continuous", "nash_conv")
"""The figures a generalisation cell keeps per instance and per paper game (never negative)."""


def check_general_cell(cell: Any, identity: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """``cell`` when it is a sound generalisation cell for ``identity`` and ``settings`` (every figure a finite,
    non-negative number); else ``CellError``."""
    if not isinstance(cell, dict):
        raise CellError("expected an object")
    for key, expected in identity.items():
        if cell.get(key) != expected:
            raise CellError(f"{key}: expected {expected!r}")
    if cell.get("settings") != dict(settings):
        raise OtherSettings("it was computed with other settings")
    for part in ("held_out", "paper_games"):
        rows = cell.get(part)
        if not isinstance(rows, list) or not rows:
            raise CellError(f"{part}: expected a non-empty list")
        for row in rows:
            for key in FIGURES:
                value = row.get(key) if isinstance(row, dict) else None
                if (
                    isinstance(value, bool)
                    or not isinstance(value, (int, float))
                    or not math.isfinite(value)
                    or value < 0
                ):
                    raise CellError(f"{part}.{key}: expected a finite number >= 0, got {value!r}")
    return cell


def _seed_means(cells: Sequence[Mapping[str, Any]], part: str, key: str) -> dict[str, Any]:
    return spread([float(np.mean([row[key] for row in cell[part]])) for cell in cells])


def run_generalisation(
    algorithms: Sequence[str],
    distribution: str,
    *,
    tasks: Sequence[str] | None = None,
    budget: int = 200_000,
    seeds: Sequence[int] = (0, 1, 2),
    out: str | Path = Path("runs", "benchmark"),
    offer_space: str = "frontier",
    grid_size: int = 25,
    episodes: int = 20,
    held_out: int = DEFAULT_HELD_OUT,
    show_progress: bool = True,
    skip_unavailable: bool = False,
    runner: Runner | None = None,
    plugins: Sequence[str] = (),
) -> dict[str, Any]:
    """Every algorithm trained on ``distribution`` with every fitting task's protocol and every seed, scored zero-shot
    (see the module); the document, also written to ``out/generalisation.json``."""
    chosen, skipped = check_algorithms(list(algorithms), skip_unavailable=skip_unavailable)
    if held_out < 1:
        raise ValueError(f"held_out: must be at least 1, got {held_out}")
    folder = Path(out)
    settings = {
        "budget": budget,
        "offer_space": offer_space,
        "grid_size": grid_size,
        "episodes": episodes,
        "held_out": held_out,
    }
    specs = [
        cell_spec(
            algorithm,
            (task.name, distribution, seed),
            settings,
            folder / "general_runs" / algorithm.name / task.name / f"seed{seed}",
            plugins,
        )
        for algorithm in chosen
        for task in general_tasks(distribution, tasks)
        for seed in seeds
    ]

    def read_back(spec: CellSpec) -> dict[str, Any] | None:
        return read_json_cell(
            cell_path(folder, spec, "general"), lambda cell: check_general_cell(cell, spec.identity, spec.settings)
        )

    computed = run_cells(
        specs,
        runner or serial_runner,
        compute=train_and_score_general,
        read_back=read_back,
        path_of=lambda spec: cell_path(folder, spec, "general"),
        show_progress=show_progress,
    )
    cells = [cell for cell in computed if not cell.get("failed")]
    failed = [cell for cell in computed if cell.get("failed")]
    rows = []
    for algorithm in chosen:
        for task in general_tasks(distribution, tasks):
            mine = [cell for cell in cells if cell["algorithm"] == algorithm.name and cell["task"] == task.name]
            if not mine:
                continue
            rows.append(
                {
                    "algorithm": algorithm.name,
                    "task": task.name,
                    "seeds": sorted(cell["seed"] for cell in mine),
                    "budget": cell_budget(algorithm, budget),
                    **{f"held_out_{key}": _seed_means(mine, "held_out", key) for key in FIGURES},
                    **{f"paper_{key}": _seed_means(mine, "paper_games", key) for key in FIGURES},
                }
            )
    document = {
        "generalisation": f"trained on {distribution}, scored zero-shot on held-out instances and the paper's games",
        "distribution": distribution,
        "settings": {**settings, "seeds": list(seeds), "held_out_seed": HELD_OUT_SEED},
        "rows": rows,
        "cells": {"total": len(specs), "resumed": sum(cell["resumed"] for cell in cells), "failed": len(failed)},
        "failed": [{key: cell[key] for key in ("algorithm", "task", "game", "seed", "error")} for cell in failed],
        "notes": skipped,
        "cell_results": [{key: value for key, value in cell.items() if key != "resumed"} for cell in cells],
    }
    write_json(folder / "generalisation.json", document)
    return document


def render_generalisation_markdown(document: Mapping[str, Any]) -> str:
    """The generalisation table: per algorithm and task, held-out and paper-game distances and NashConv."""

    def spread(entry: Mapping[str, Any]) -> str:
        if entry.get("mean") is None:
            return "–"
        return f"{entry['mean']:.4f} ± {entry['sd']:.4f}" if entry["n"] > 1 else f"{entry['mean']:.4f}"

    settings = document["settings"]
    lines = [
        f"# Generalisation: trained on {document['distribution']}, scored zero-shot",
        "",
        f"Each cell trains on {document['distribution']} with the task's protocol, then plays, without more "
        f"training, {settings['held_out']} held-out instances (a stream no training draws from, seed "
        f"{settings['held_out_seed']}) and the task's paper games, each scored exactly against its own SPE. "
        "Figures: per seed the mean over instances (or games × first proposers), then mean ± sd over seeds "
        f"{', '.join(map(str, settings['seeds']))}. *Distance*: to the SPE of the game as played.",
        "",
        "| algorithm | task | budget | held-out distance | held-out NashConv | paper-games distance | paper-games NashConv |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in sorted(document["rows"], key=lambda r: (r["task"], r["held_out_distance_to_spe_played"]["mean"] or 0)):
        lines.append(
            f"| {row['algorithm']} | {row['task']} | {row['budget']:,} | "
            f"{spread(row['held_out_distance_to_spe_played'])} | {spread(row['held_out_nash_conv'])} | "
            f"{spread(row['paper_distance_to_spe_played'])} | {spread(row['paper_nash_conv'])} |"
        )
    for cell in document["failed"]:
        lines.append(f"\nFailed: {cell['algorithm']} on {cell['task']} seed {cell['seed']}: {cell['error']}")
    lines += [f"\nNote: {note}" for note in document["notes"]]
    return "\n".join(lines) + "\n"
