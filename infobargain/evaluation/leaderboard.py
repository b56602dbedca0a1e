"""The leaderboard: learning algorithms trained on the same tasks, budget and seeds, scored against exact theory.

For every **cell** (algorithm, task, game, seed) the algorithm (:mod:`infobargain.training.algorithms`) trains
on the game for the same budget in decisions; its two players are then scored, per first proposer the task
allows (one **row** each):

- ``outcome``: the pair's exact expected payoffs (backward induction over its recorded decisions,
  :func:`~infobargain.evaluation.exploitability.exact_exploitability`; the rollouts' mean if the figure is not
  exact), and its ``distance_to_spe_played``: to the exact SPE of the offer space played (discrete offers),
  the target a learner can reach; ``distance_to_spe_continuous`` to the continuous game's SPE;
- ``nash_conv`` and each side's ``gain`` (exact best response);
- ``deal_rate``, ``agreement_round`` (rollouts, expected mode) beside the SPE's agreement round;
- the training's wall time and the decisions it used, with the options it reports.

Rows aggregate over seeds (mean and sample standard deviation). The summary per algorithm scores the same
rows as the paper's LLM results (reference rows), on the paper's own metric per row (docs/theory.md §5,
:mod:`~infobargain.evaluation.paper`): mean absolute error against the exact SPE.

**Resuming.** Each finished cell is written to ``OUT/cells/ALGORITHM/TASK-GAME/seedN.json`` (atomically); a
run with the same budget, offer space and grid reads it back instead of training again. A cell interrupted
mid-training restarts from scratch (its folder ``OUT/runs/...`` is cleared).
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from infobargain import __version__
from infobargain.evaluation import paper
from infobargain.evaluation.benchmarks import Benchmarks, benchmarks, point_json, spe_json
from infobargain.evaluation.cell_runner import CellSpec, Compute, Runner, serial_runner
from infobargain.evaluation.cells import check_cell, payoff_box, read_cell
from infobargain.evaluation.exploitability import exact_exploitability
from infobargain.evaluation.leaderboard_baselines import LEADERBOARD_FORMAT, BaselineError, baseline_cells, mismatch
from infobargain.evaluation.leaderboard_curves import score_curve
from infobargain.evaluation.metrics import REACHED, distance, score_group
from infobargain.evaluation.players import PlayerSpec
from infobargain.evaluation.rollout import rollout
from infobargain.evaluation.suite import DEFAULT_GRID, TASKS, Task
from infobargain.files import atomic_write
from infobargain.game.protocol import ROLES
from infobargain.progress import Progress

if TYPE_CHECKING:
    from infobargain.training.registry import Algorithm

DEFAULT_ALGORITHMS = ("qlearning", "mappo", "ippo", "sb3_ibr", "rllib_ppo", "regret")
"""The default grid's algorithms: every self-play algorithm of the library's own. The field's baselines that run
another library's implementation (``Algorithm.library``: OpenSpiel's CFR+, BenchMARL's) join with
``--algorithms``."""
CELL_SETTINGS: dict[str, dict[str, Any]] = {"rllib_ppo": {"num_env_runners": 0}}
"""Where a cell departs from an algorithm's defaults: RLlib samples in the driver, since env-runner processes
only contend for the few cores a cell has."""
ROW_METRICS = (
    "distance_to_spe_played",
    "distance_to_spe_continuous",
    "nash_conv",
    "gain_sender",
    "gain_receiver",
    "deal_rate",
    "agreement_round",
    "paper_metric_error",
    "wall_s",
    "decisions",
)


@dataclass(frozen=True)
class TaskGame:
    """One game of one task: a leaderboard training target."""

    task: Task
    game: str

    @property
    def name(self) -> str:
        return f"{self.task.name}:{self.game}"


def select_games(patterns: Sequence[str] | None = None) -> list[TaskGame]:
    """The suite's (task, game) pairs matching any of ``patterns`` (shell globs on ``TASK``, ``GAME`` or
    ``TASK:GAME``; all pairs when none). ``ValueError`` when the patterns match nothing."""
    every = [TaskGame(task, game) for task in TASKS for game in task.games]
    if not patterns:
        return every
    chosen = [
        pair
        for pair in every
        if any(
            fnmatch.fnmatchcase(name, pattern)
            for pattern in patterns
            for name in (pair.name, pair.task.name, pair.game)
        )
    ]
    if not chosen:
        known = ", ".join(task.name for task in TASKS)
        raise ValueError(f"tasks: {','.join(patterns)} matches no task (tasks: {known}; or TASK:GAME, globs allowed)")
    return chosen


def check_algorithms(names: Sequence[str], *, skip_unavailable: bool = False) -> tuple[list[Any], list[str]]:
    """The registered algorithms named that can run here, and why the others cannot. ``ValueError`` (before
    anything trains) for an unknown name, and for a missing extra unless ``skip_unavailable``."""
    from infobargain.training.registry import get_algorithm

    if not names:
        raise ValueError("algorithms: name at least one")
    chosen, skipped = [], []
    for algorithm in [get_algorithm(name) for name in names]:
        if not algorithm.self_play:
            raise ValueError(
                f"algorithm {algorithm.name!r} does not train both players by self-play ({algorithm.description}); "
                "the leaderboard compares self-play algorithms"
            )
        missing = algorithm.missing()
        if missing and not skip_unavailable:
            raise ValueError(missing)
        if missing:
            skipped.append(f"skipped: {missing}")
        else:
            chosen.append(algorithm)
    if not chosen:
        raise ValueError(f"algorithms: none of {', '.join(names)} can run here ({'; '.join(skipped)})")
    return chosen, skipped


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(data, indent=2, default=str) + "\n").encode())


def score_players(
    pair: TaskGame,
    env_kwargs: Mapping[str, Any],
    bench: Benchmarks,
    sender: PlayerSpec,
    receiver: PlayerSpec,
    *,
    episodes: int,
    seed: int,
) -> list[dict[str, Any]]:
    """One row per first proposer of the task: the players' outcome and exact exploitability (see the module)."""
    exploit = exact_exploitability(sender, receiver, env_kwargs) if bench.discrete else None
    rows = []
    for first in pair.task.firsts():
        kwargs = {**env_kwargs, "first_proposer": first}
        group = score_group(rollout(sender, receiver, kwargs, episodes=episodes, seed=seed, workers=1), bench, first)
        exact = exploit is not None and exploit.exact
        if exact:
            assert exploit is not None
            value = exploit.by_first[first].value
            outcome = {"sender": float(value[0]), "receiver": float(value[1])}
        else:
            outcome = group["mean_outcome"]
        point = (outcome["sender"], outcome["receiver"])
        spe_played, spe_continuous = bench.spe_played[first], bench.spe_continuous[first]
        row: dict[str, Any] = {
            "task": pair.task.name,
            "game": pair.game,
            "first_proposer": first,
            "outcome": outcome,
            "outcome_source": "exact expected payoffs of the pair" if exact else "rollout mean",
            "spe_played": point_json(spe_played.payoffs),
            "spe_continuous": point_json(spe_continuous.payoffs),
            "distance_to_spe_played": distance(point, spe_played.payoffs),
            "distance_to_spe_continuous": distance(point, spe_continuous.payoffs),
            "nash_conv": None if exploit is None else exploit.by_first[first].nash_conv,
            "gain_sender": None if exploit is None else exploit.by_first[first].gains["sender"],
            "gain_receiver": None if exploit is None else exploit.by_first[first].gains["receiver"],
            "deal_rate": group["deal_rate"]["mean"],
            "agreement_round": group["agreement_round"]["mean"],
            "spe_agreement_round": spe_played.agreement_round,
            "proposer_payoff": group["proposer_payoff"]["mean"],
        }
        figure = row["outcome"] if pair.task.signaling else {"proposer_payoff": row["proposer_payoff"]}
        row["paper_metric_error"] = paper.metric_error(figure, spe_json(spe_continuous, bench.protocol))
        rows.append(row)
    return rows


def cell_path(out: Path, spec: CellSpec, folder: str = "cells") -> Path:
    return out / folder / spec.algorithm / f"{spec.task}-{spec.game.replace(':', '_')}" / f"seed{spec.seed}.json"


def cell_budget(algorithm: Algorithm, budget: int) -> int:
    """The decisions a cell of ``algorithm`` trains for: the leaderboard's ``budget``, capped by the algorithm's
    own :attr:`~infobargain.training.registry.Algorithm.leaderboard_budget`."""
    cap = algorithm.leaderboard_budget
    return budget if cap is None else min(budget, cap)


def cell_spec(
    algorithm: Algorithm,
    identity: tuple[str, str, int],
    settings: Mapping[str, Any],
    run_dir: Path,
    plugins: Sequence[str],
) -> CellSpec:
    """The cell of ``algorithm`` on ``identity`` (task, game, seed) with ``settings`` at the algorithm's own
    budget (:func:`cell_budget`), training in ``run_dir``, asking for the algorithm's cores."""
    task, game, seed = identity
    budget = cell_budget(algorithm, settings["budget"])
    return CellSpec(
        algorithm.name,
        task,
        game,
        seed,
        {**settings, "budget": budget},
        str(run_dir.resolve()),
        tuple(plugins),
        algorithm.cpus,
    )


def train_and_score_cell(spec: CellSpec) -> dict[str, Any]:
    """Train and score one cell (any process may run it, through a
    :data:`~infobargain.evaluation.cell_runner.Runner`); the cell document, checked like a cell read back from
    disk (``CellError`` for players whose figures are not finite or lie outside the game)."""
    from infobargain.training.registry import get_algorithm
    from infobargain.training.rundir import numbered_checkpoints
    from infobargain.training.runner import run_config, run_training

    pair = TaskGame(next(task for task in TASKS if task.name == spec.task), spec.game)
    settings = spec.settings
    env_kwargs = pair.task.env_kwargs(pair.game, settings["offer_space"], settings["grid_size"])
    run_dir = Path(spec.run_dir)
    if run_dir.exists():
        shutil.rmtree(run_dir)  # an interrupted training: start the cell again
    bench = benchmarks(env_kwargs)
    algorithm = get_algorithm(spec.algorithm)
    curve = bool(settings.get("curves")) and algorithm.checkpoint_players is not None
    config = run_config(
        spec.algorithm,
        env_kwargs,
        budget=settings["budget"],
        seed=spec.seed,
        run_dir=run_dir,
        settings=CELL_SETTINGS.get(spec.algorithm),
        keep_history=curve,
        name=f"leaderboard-{spec.algorithm}",
    )
    if curve:  # a checkpoint after every update, all kept: the curve picks its points among them
        config.run.checkpoint_every = 1
    started = time.perf_counter()
    summary, trained = run_training(config, run_dir, show_progress=False)
    wall = time.perf_counter() - started

    def score(sender: PlayerSpec, receiver: PlayerSpec) -> list[dict[str, Any]]:
        return score_players(pair, env_kwargs, bench, sender, receiver, episodes=settings["episodes"], seed=spec.seed)

    players = summary["players"]
    rows = score(players["sender"], players["receiver"])
    for row in rows:
        row.update(algorithm=spec.algorithm, seed=spec.seed, wall_s=wall, decisions=trained.decisions)
    cell = {
        **spec.identity,
        "settings": dict(settings),
        "decisions": trained.decisions,
        "wall_s": wall,
        "options": trained.options,
        "notes": trained.notes,
        "rows": rows,
    }
    if curve:
        checkpoints = numbered_checkpoints(run_dir / "checkpoints")
        players_at = partial(algorithm.players_at, run_dir)
        cell["curve"] = score_curve(checkpoints, players_at, settings["budget"], settings["curves"], score)
    # JSON round trip first: what is checked is what the file will hold (NaN, numpy scalars, ...).
    cell = json.loads(json.dumps(cell, default=str))
    return check_cell(cell, spec.identity, settings, payoff_box(env_kwargs))


def out_of_reach_pairs(
    chosen: Sequence[Algorithm], games: Sequence[TaskGame], settings: Mapping[str, Any]
) -> list[dict[str, str]]:
    """The (algorithm, task, game) an algorithm says it cannot train on (``Algorithm.fits``: e.g. CFR+'s game tree
    over its limit), each with its one-line reason: the table lists them as out of reach, no cell is run."""
    return [
        {"algorithm": algorithm.name, "task": pair.task.name, "game": pair.game, "reason": reason}
        for algorithm in chosen
        for pair in games
        if (reason := algorithm.fits(pair.task.env_kwargs(pair.game, settings["offer_space"], settings["grid_size"])))
    ]


def _cell_specs(
    chosen: Sequence[Algorithm],
    games: Sequence[TaskGame],
    seeds: Sequence[int],
    settings: Mapping[str, Any],
    out: Path,
    plugins: Sequence[str],
) -> list[CellSpec]:
    return [
        cell_spec(
            algorithm,
            (pair.task.name, pair.game, seed),
            settings,
            out / "runs" / algorithm.name / f"{pair.task.name}-{pair.game}" / f"seed{seed}",
            plugins,
        )
        for algorithm in chosen
        for pair in games
        for seed in seeds
    ]


def _read_back(spec: CellSpec, out: Path) -> dict[str, Any] | None:
    """The finished cell on disk for ``spec``, if it can be reused."""
    path = cell_path(out, spec)
    if not path.exists():
        return None
    task = next(task for task in TASKS if task.name == spec.task)
    env_kwargs = task.env_kwargs(spec.game, spec.settings["offer_space"], spec.settings["grid_size"])
    return read_cell(path, spec.identity, spec.settings, payoff_box(env_kwargs))


def _key(spec: CellSpec) -> tuple[str, str, str, int]:
    return (spec.algorithm, spec.task, spec.game, spec.seed)


def run_cells(
    specs: Sequence[CellSpec],
    runner: Runner,
    *,
    compute: Compute,
    read_back: Callable[[CellSpec], dict[str, Any] | None],
    path_of: Callable[[CellSpec], Path],
    show_progress: bool = True,
) -> list[dict[str, Any]]:
    """Every cell of ``specs``, in their order: ``read_back`` when finished on disk, else computed by ``runner``
    with ``compute`` and written to ``path_of(spec)`` as it finishes (failed cells are returned, never written)."""
    results: dict[int, dict[str, Any]] = {}
    pending: list[CellSpec] = []
    with Progress(len(specs), "cells", show_progress) as bar:
        for index, spec in enumerate(specs):
            saved = read_back(spec)
            if saved is None:
                pending.append(spec)
            else:
                results[index] = {**saved, "resumed": True}
                bar.update()
        position = {_key(spec): index for index, spec in enumerate(specs)}
        if pending:  # cells may run at once (--jobs, --ray): name the first, then each one that finishes
            bar.describe(f"training {pending[0].algorithm} on {pending[0].label} (and {len(pending) - 1} more)")
        for spec, cell in runner(compute, pending):
            if not cell.get("failed"):
                write_json(path_of(spec), cell)
                cell["resumed"] = False
            results[position[_key(spec)]] = cell
            bar.describe(f"finished {spec.algorithm} on {spec.label}")
            bar.update()
    return [results[index] for index in range(len(specs))]


def spread(values: Sequence[float | None]) -> dict[str, Any]:
    usable = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not usable:
        return {"mean": None, "sd": None, "n": 0}
    sd = float(np.std(usable, ddof=1)) if len(usable) > 1 else 0.0
    return {"mean": float(np.mean(usable)), "sd": sd, "n": len(usable)}


def aggregate_rows(cells: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows grouped by (algorithm, task, game, first proposer), each metric's mean and sd over seeds."""
    groups: dict[tuple[str, str, str, str], list[Mapping[str, Any]]] = {}
    for cell in cells:
        for row in cell["rows"]:
            groups.setdefault((row["algorithm"], row["task"], row["game"], row["first_proposer"]), []).append(row)
    result = []
    for (algorithm, task, game, first), rows in groups.items():
        entry: dict[str, Any] = {
            "algorithm": algorithm,
            "task": task,
            "game": game,
            "first_proposer": first,
            "seeds": sorted(row["seed"] for row in rows),
            "spe_played": rows[0]["spe_played"],
            "spe_continuous": rows[0]["spe_continuous"],
            "spe_agreement_round": rows[0]["spe_agreement_round"],
            "reached_all_seeds": all(row["distance_to_spe_played"] <= REACHED for row in rows),
            "outcome": {side: spread([row["outcome"][side] for row in rows]) for side in ROLES},
        }
        for metric in ROW_METRICS:
            entry[metric] = spread([row[metric] for row in rows])
        result.append(entry)
    return result


def summarize_algorithms(cells: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per algorithm: per-seed averages over its rows, then their mean and sd over seeds; rows reached in
    every seed; total training wall time per seed; the options it reported."""
    by_algorithm: dict[str, list[Mapping[str, Any]]] = {}
    for cell in cells:
        by_algorithm.setdefault(cell["algorithm"], []).append(cell)
    summary: dict[str, dict[str, Any]] = {}
    for algorithm, mine in by_algorithm.items():
        seeds = sorted({cell["seed"] for cell in mine})
        per_seed: dict[str, list[float | None]] = {}
        for seed in seeds:
            rows = [row for cell in mine if cell["seed"] == seed for row in cell["rows"]]
            walls = [cell["wall_s"] for cell in mine if cell["seed"] == seed]
            for metric in ("distance_to_spe_played", "nash_conv", "deal_rate", "paper_metric_error"):
                values = [row[metric] for row in rows if row[metric] is not None]
                per_seed.setdefault(metric, []).append(float(np.mean(values)) if values else None)
            per_seed.setdefault("max_distance_to_spe_played", []).append(
                max(row["distance_to_spe_played"] for row in rows)
            )
            per_seed.setdefault("wall_s", []).append(float(sum(walls)))
            per_seed.setdefault("decisions", []).append(float(np.mean([cell["decisions"] for cell in mine])))
        aggregated = aggregate_rows(mine)
        summary[algorithm] = {
            "seeds": seeds,
            "rows": len(aggregated),
            "rows_reached_all_seeds": sum(entry["reached_all_seeds"] for entry in aggregated),
            **{metric: spread(values) for metric, values in per_seed.items()},
            "options": mine[0]["options"],
            "notes": sorted({note for cell in mine for note in cell["notes"]}),
        }
    return summary


def paper_reference(
    games: Sequence[TaskGame], grid: Mapping[str, Any], rows_paper: Sequence[paper.PaperRow]
) -> dict[str, Any]:
    """The paper's LLM results on the same rows: per row each model's figure and error on the paper's metric, and
    per model the mean absolute error over the rows it covers."""
    rows = []
    errors: dict[str, list[float]] = {}
    for pair in games:
        bench = benchmarks(pair.task.env_kwargs(pair.game, grid["offer_space"], grid["grid_size"]))
        families = pair.task.families[pair.game]
        for first in pair.task.firsts():
            models = paper.pooled(rows_paper, families, first, pair.task.signaling)
            spe = spe_json(bench.spe_continuous[first], bench.protocol)
            for model, entry in models.items():
                error = paper.metric_error(entry, spe)
                errors.setdefault(model, []).append(error)
                rows.append(
                    {
                        "task": pair.task.name,
                        "game": pair.game,
                        "first_proposer": first,
                        "model": model,
                        **entry,
                        "error": error,
                    }
                )
    return {
        "rows": rows,
        "mae": {model: float(np.mean(values)) for model, values in errors.items()},
        "rows_covered": {model: len(values) for model, values in errors.items()},
    }


def random_play_distances(games: Sequence[TaskGame], grid: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per row, the distance of uniform random play (both players uniform over their legal actions; its exact
    expected payoffs where the offer space is discrete, else a rollout mean) to the SPE as played: the zero of the
    normalised score (:mod:`~infobargain.evaluation.leaderboard_stats`)."""
    rows = []
    for pair in games:
        env_kwargs = pair.task.env_kwargs(pair.game, grid["offer_space"], grid["grid_size"])
        bench = benchmarks(env_kwargs)
        for row in score_players(pair, env_kwargs, bench, "random", "random", episodes=grid["episodes"], seed=0):
            rows.append({key: row[key] for key in ("task", "game", "first_proposer", "distance_to_spe_played")})
    return rows


def leaderboard_statistics(
    cells: Sequence[Mapping[str, Any]], random_rows: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The rliable statistics of the cells, or a note saying why there are none."""
    try:
        from infobargain.evaluation.leaderboard_stats import aggregate
    except ImportError as error:
        return {"notes": [f"statistics: need rliable ({error}); pip install 'infobargain[train]'"]}
    baseline = {(r["task"], r["game"], r["first_proposer"]): r["distance_to_spe_played"] for r in random_rows}
    return aggregate(cells, baseline)


def sample_efficiency(cells: Sequence[Mapping[str, Any]], count: int) -> dict[str, Any]:
    """The cells' sample-efficiency curves at ``count`` budget fractions, or a note saying why there are none."""
    from infobargain.evaluation.leaderboard_curves import curve_statistics

    try:
        return curve_statistics(cells, count)
    except ImportError as error:
        return {"notes": [f"curves: need rliable ({error}); pip install 'infobargain[train]'"]}


def _baseline_cells(
    document: Mapping[str, Any],
    settings: Mapping[str, Any],
    seeds: Sequence[int],
    games: Sequence[TaskGame],
    chosen: Sequence[Any],
) -> list[dict[str, Any]]:
    """The cells of the baseline ``document`` joining this run (see :mod:`.leaderboard_baselines`), every one
    checked; ``BaselineError`` when they are not comparable."""
    names = [pair.name for pair in games]
    reason = mismatch(document, {**settings, "seeds": list(seeds)}, names)
    if reason is not None:
        raise BaselineError(
            f"baselines: not comparable with this run: {reason} (run with their settings, or --baselines retrain)"
        )
    tasks = {task.name: task for task in TASKS}
    budgets = {name: entry.get("budget") for name, entry in document.get("algorithms", {}).items()}

    def check(cell: Mapping[str, Any]) -> dict[str, Any]:
        identity = {key: cell.get(key) for key in ("algorithm", "task", "game", "seed")}
        task = tasks[str(cell.get("task"))]
        env_kwargs = task.env_kwargs(str(cell.get("game")), settings["offer_space"], settings["grid_size"])
        # a published run keeps no curves: its cells join a --curves run as final figures only
        expected = {key: value for key, value in settings.items() if key != "curves"}
        expected["budget"] = budgets.get(str(cell.get("algorithm")))
        return check_cell(cell, identity, expected, payoff_box(env_kwargs))

    return baseline_cells(document, [algorithm.name for algorithm in chosen], names, check)


def provenance() -> dict[str, Any]:
    """Where and when a leaderboard ran: UTC date, the library's git commit (when it runs from a checkout), the
    command line, the machine."""
    import datetime
    import platform
    import shlex
    import subprocess
    import sys

    try:
        commit: str | None = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "command": shlex.join(sys.argv),
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }


def run_leaderboard(
    algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
    *,
    tasks: Sequence[str] | None = None,
    budget: int = 200_000,
    seeds: Sequence[int] = (0, 1, 2),
    out: str | Path = Path("runs", "benchmark"),
    offer_space: str = "frontier",
    grid_size: int = DEFAULT_GRID,
    episodes: int = 20,
    show_progress: bool = True,
    skip_unavailable: bool = False,
    runner: Runner | None = None,
    plugins: Sequence[str] = (),
    baselines: Mapping[str, Any] | None = None,
    curves: int | None = None,
) -> dict[str, Any]:
    """Train every algorithm on every selected game with every seed (resuming finished cells from ``out``), score
    them and return the leaderboard document (also written to ``out/leaderboard.json``).

    ``skip_unavailable``: leave out algorithms whose extra is not installed (listed in the document's ``notes``)
    instead of refusing to start. ``runner`` computes the cells not on disk yet (default: one after the other
    here; :mod:`~infobargain.evaluation.cell_runner` has worker processes and Ray), after importing ``plugins``.
    A cell that fails is listed in the document's ``failed`` and left out of every figure. ``baselines``: a
    published leaderboard document (:mod:`~infobargain.evaluation.leaderboard_baselines`) whose cells join this
    run's for every algorithm not trained here; ``BaselineError`` (before anything trains) when it was run with
    other settings. ``curves``: score about this many checkpoints of each training for the sample-efficiency
    curves (:mod:`~infobargain.evaluation.leaderboard_curves`; a cell setting, so cells without are not reused)."""
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget: must be a positive number of decisions, got {budget!r}")
    if not seeds:
        raise ValueError("seeds: give at least one seed")
    if episodes < 1:
        raise ValueError(f"episodes: must be >= 1, got {episodes}")
    games = select_games(tasks)
    chosen, skipped = check_algorithms(list(algorithms), skip_unavailable=skip_unavailable)
    folder = Path(out)
    if curves is not None and (isinstance(curves, bool) or not isinstance(curves, int) or curves < 2):
        raise ValueError(f"curves: must be a whole number of points >= 2, got {curves!r}")
    settings: dict[str, Any] = {"budget": budget, "offer_space": offer_space, "grid_size": grid_size}
    settings.update(episodes=episodes, **({} if curves is None else {"curves": curves}))
    joined = [] if baselines is None else _baseline_cells(baselines, settings, seeds, games, chosen)
    started = time.perf_counter()
    out_of_reach = out_of_reach_pairs(chosen, games, settings)
    unreachable = {(entry["algorithm"], entry["task"], entry["game"]) for entry in out_of_reach}
    specs = [
        spec
        for spec in _cell_specs(chosen, games, seeds, settings, folder, plugins)
        if (spec.algorithm, spec.task, spec.game) not in unreachable
    ]
    computed = run_cells(
        specs,
        runner or serial_runner,
        compute=train_and_score_cell,
        read_back=lambda spec: _read_back(spec, folder),
        path_of=lambda spec: cell_path(folder, spec),
        show_progress=show_progress,
    )
    cells = [cell for cell in computed if not cell.get("failed")] + joined
    failed = [cell for cell in computed if cell.get("failed")]
    total = len(specs)
    from_baselines = sorted({cell["algorithm"] for cell in joined})
    if from_baselines:
        run = (baselines or {}).get("run", {})
        skipped.append(
            f"baselines: {', '.join(from_baselines)} read from a published run ({run.get('date', 'undated')}, commit "
            f"{str(run.get('commit'))[:10]}), not trained again"
        )
    path = paper.default_path()
    rows_paper = paper.load(path) if path.exists() else []
    random_rows = random_play_distances(games, settings)
    document = {
        "leaderboard": "learning algorithms against the exact SPE on the paper's task grid",
        "settings": {**settings, "seeds": list(seeds), "tasks": [pair.name for pair in games]},
        "format": LEADERBOARD_FORMAT,
        "infobargain_version": __version__,
        "run": provenance(),
        "algorithms": {
            **{
                name: entry for name, entry in (baselines or {}).get("algorithms", {}).items() if name in from_baselines
            },
            **{
                algorithm.name: {
                    "description": algorithm.description,
                    "extra": algorithm.extra,
                    "budget": cell_budget(algorithm, budget),
                }
                for algorithm in chosen
            },
        },
        "summary": summarize_algorithms(cells),
        "rows": aggregate_rows(cells),
        "random_play": random_rows,
        "statistics": leaderboard_statistics(cells, random_rows),
        **({} if curves is None else {"curves": sample_efficiency(cells, curves)}),
        "paper": {
            "citation": paper.CITATION,
            "source_commit": paper.source_commit(path) if rows_paper else None,
            **paper_reference(games, settings, rows_paper),
        },
        "cells": {"total": total, "resumed": sum(cell["resumed"] for cell in cells), "failed": len(failed)},
        "failed": [{key: cell[key] for key in ("algorithm", "task", "game", "seed", "error")} for cell in failed],
        "out_of_reach": out_of_reach,
        "notes": skipped,
        "reached_threshold": REACHED,
        "elapsed_s": time.perf_counter() - started,
        "cpu_cores": os.cpu_count(),
        "cell_results": [{key: value for key, value in cell.items() if key != "resumed"} for cell in cells],
    }
    write_json(folder / "leaderboard.json", document)
    return document
