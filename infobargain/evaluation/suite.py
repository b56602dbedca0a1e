"""The paper's task suite: its grid of games and protocols as named tasks, scored against exact theory.

Tasks (Lin et al., arXiv 2506.05876; docs/theory.md §5):

==========================  ======================================================  ===================
task                        protocol                                                games
==========================  ======================================================  ===================
``sig_ultimatum_sender``    one offer, the sender proposes (Bayesian persuasion)    pure_math, grading_students, selling_products
``sig_ultimatum_coin``      one offer, coin-flip proposer                           the same three
``sig_fixed_role_5``        fixed-role, 5 offers, the sender proposes                the same three
``sig_alternating_10``      alternating, break-off 0.1, 10 offers, coin flip        the same three
``barg_ultimatum``          one offer, coin-flip proposer                           split_pie, split_pie_bounded
``barg_fixed_role_5``       fixed-role, 5 offers, player 0 proposes                 both pies
``barg_alternating_10``     alternating, break-off 0.1, 10 offers, coin flip        both pies
==========================  ======================================================  ===================

Every task is played separately for each first proposer it allows (one table row each: statistics are
never pooled across first proposers). A row shows the exact SPE of the continuous game (docs/theory.md), the
exact SPE of the offer space played, the limit the finite protocol tends to (T → ∞: Rubinstein for
alternating offers, the ultimatum point otherwise), the Nash point, the authors' reference value, the
outcome of the players evaluated (expected mode) with their exact NashConv, and the paper's LLM results.
The summary gives each column's mean absolute error against the exact SPE.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from infobargain.agents import player_label
from infobargain.envs.mixture import protocol_variants
from infobargain.evaluation import paper
from infobargain.evaluation.benchmarks import Benchmarks, benchmarks, point_json, spe_json
from infobargain.evaluation.exploitability import exact_exploitability
from infobargain.evaluation.metrics import score_group
from infobargain.evaluation.players import PlayerSpec
from infobargain.evaluation.rollout import rollout
from infobargain.evaluation.run_files import read_run
from infobargain.game.config import ENV_DEFAULTS
from infobargain.game.distributions import InstanceDistribution, resolve_game, shape_of
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import ROLES, Protocol, Role
from infobargain.game.scenarios import PAPER_SCENARIOS
from infobargain.processes import worker_pool
from infobargain.progress import Progress, wanted
from infobargain.training.config import split_mixture

PIES = ("split_pie", "split_pie_bounded")


@dataclass(frozen=True)
class Task:
    """One protocol of the paper's grid, on the games it was run on."""

    name: str
    title: str
    signaling: bool
    protocol: str
    first_proposer: str
    max_rounds: int
    break_off: float
    games: tuple[str, ...]
    families: Mapping[str, tuple[str, ...]]
    """game → the task families of ``paper_llm_results.csv`` that played this task on it."""

    def firsts(self) -> tuple[Role, ...]:
        return ROLES if self.first_proposer == "coin_flip" else (self.first_proposer,)  # type: ignore[return-value]

    def env_kwargs(self, game: str, offer_space: str, grid_size: int) -> dict[str, Any]:
        return {
            "game": game,
            "protocol": self.protocol,
            "first_proposer": self.first_proposer,
            "max_rounds": self.max_rounds,
            "break_off": self.break_off,
            "discount": 1.0,
            "offer_space": "frontier" if game in PIES else offer_space,
            "grid_size": grid_size,
            "realization": "expected",
        }


def _same(families: tuple[str, ...], games: Sequence[str]) -> dict[str, tuple[str, ...]]:
    return dict.fromkeys(games, families)


def _pies(unbounded: tuple[str, ...], bounded: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {"split_pie": unbounded, "split_pie_bounded": bounded}


TASKS: tuple[Task, ...] = (
    Task(
        name="sig_ultimatum_sender",
        title="one-shot, sender proposes (Bayesian persuasion)",
        signaling=True,
        protocol="ultimatum",
        first_proposer="sender",
        max_rounds=1,
        break_off=0.0,
        games=PAPER_SCENARIOS,
        families=_same(("SIG one-shot BP, sender proposes (sys)",), PAPER_SCENARIOS),
    ),
    Task(
        name="sig_ultimatum_coin",
        title="one-shot, coin-flip proposer",
        signaling=True,
        protocol="ultimatum",
        first_proposer="coin_flip",
        max_rounds=1,
        break_off=0.0,
        games=PAPER_SCENARIOS,
        families=_same(
            ("SIG one-shot coin-flip, may-meet fixed-role", "SIG one-shot coin-flip, may-meet role-switch"),
            PAPER_SCENARIOS,
        ),
    ),
    Task(
        name="sig_fixed_role_5",
        title="fixed-role, 5 offers, sender proposes",
        signaling=True,
        protocol="fixed_role",
        first_proposer="sender",
        max_rounds=5,
        break_off=0.0,
        games=PAPER_SCENARIOS,
        families=_same(("SIG repeated fixed-role T=5 (sender proposes)",), PAPER_SCENARIOS),
    ),
    Task(
        name="sig_alternating_10",
        title="alternating, break-off 0.1, 10 offers, coin flip",
        signaling=True,
        protocol="alternating",
        first_proposer="coin_flip",
        max_rounds=10,
        break_off=0.1,
        games=PAPER_SCENARIOS,
        families=_same(("SIG alternating info-bargaining (stop 0.1, cap 10)",), PAPER_SCENARIOS),
    ),
    Task(
        name="barg_ultimatum",
        title="one-shot ultimatum, coin-flip proposer",
        signaling=False,
        protocol="ultimatum",
        first_proposer="coin_flip",
        max_rounds=1,
        break_off=0.0,
        games=PIES,
        families=_pies(
            (
                "BARG one-shot ultimatum, unbounded, never-meet (coin+sys)",
                "BARG one-shot, unbounded, may-meet fixed-role",
                "BARG one-shot, unbounded, may-meet role-switch",
            ),
            (
                "BARG one-shot ultimatum, bounded, never-meet",
                "BARG one-shot, bounded, may-meet fixed-role",
                "BARG one-shot, bounded, may-meet role-switch",
            ),
        ),
    ),
    Task(
        name="barg_fixed_role_5",
        title="fixed-role, 5 offers, player 0 proposes",
        signaling=False,
        protocol="fixed_role",
        first_proposer="sender",
        max_rounds=5,
        break_off=0.0,
        games=PIES,
        families=_pies(("BARG repeated fixed-role T=5, unbounded",), ("BARG repeated fixed-role T=5, bounded",)),
    ),
    Task(
        name="barg_alternating_10",
        title="alternating, break-off 0.1, 10 offers, coin flip",
        signaling=False,
        protocol="alternating",
        first_proposer="coin_flip",
        max_rounds=10,
        break_off=0.1,
        games=PIES,
        families=_pies(
            ("BARG alternating (stop 0.1, cap 10), unbounded",), ("BARG alternating (stop 0.1, cap 10), bounded",)
        ),
    ),
)
TASK_NAMES = tuple(task.name for task in TASKS)

PlayerSource = Callable[[Task, str, dict[str, Any]], tuple[PlayerSpec, PlayerSpec] | str | None]
"""The players of a task's game (``None`` or why: no player fits this task; its rows are left out with a note)."""


DEFAULT_GRID = ENV_DEFAULTS.grid_size
"""Offers per frontier: the env's default. With 25 the SPE of every alternating-offers task as played is within
0.014 of the continuous SPE (21 left the unbounded pie 0.06 away), and no responder of that SPE prefers rejecting an offer by
less than 0.0028, above ``qlearning.accept_bonus``."""

STEPS_PER_ROUND = 100_000
"""Default training budget of the suite's self-play players: decisions per round of the task's protocol (learning
a T-round protocol backs values up through T rounds, so the work grows with T)."""


def task_steps(task: Task, total_steps: int | None) -> int:
    """The training budget for ``task``: ``total_steps`` when given, else :data:`STEPS_PER_ROUND` per round."""
    return total_steps if total_steps is not None else STEPS_PER_ROUND * task.max_rounds


def _train_pair(
    env_kwargs: dict[str, Any],
    total_steps: int,
    seed: int,
    run_dir: Path | None,
    algorithm: str = "auto",
    plugins: Sequence[str] = (),
) -> tuple[PlayerSpec, PlayerSpec]:
    """One self-play training (module level: a process pool ships it by name, with the plug-ins to import first);
    a folder that already holds it (a suite run again into the same folder) is resumed, or its players reused
    when it is finished."""
    from infobargain.plugins import import_plugin
    from infobargain.training.api import train_players

    for plugin in plugins:
        import_plugin(plugin)
    paths = train_players(
        env_kwargs, total_steps=total_steps, seed=seed, run_dir=run_dir, resume=True, algorithm=algorithm
    )
    return Path(paths["sender"]), Path(paths["receiver"])


def trained_players(
    tasks: Sequence[Task],
    offer_space: str,
    grid_size: int,
    total_steps: int | None,
    seed: int,
    run_dir: Path | None = None,
    jobs: int | None = None,
    progress: bool | None = None,
    algorithm: str = "auto",
    plugins: Sequence[str] = (),
    ray: str | None = None,
) -> PlayerSource:
    """Players trained by self-play for each task and game (``infobargain.training.api.train_players`` with
    ``algorithm``, any registered self-play algorithm; ``plugins`` are imported first, in every process), for
    :func:`task_steps` decisions, all trained up front.

    The trainings are independent: ``jobs`` run at a time in separate processes (``None``: one per core; ``1``:
    one after the other in this process). Each is seeded by ``seed`` alone and runs single-threaded, so the
    players do not depend on ``jobs``. With ``ray`` (a Ray address, or ``"local"``: ``jobs`` cores) they run as
    Ray tasks instead (on a cluster ``run_dir`` must be a folder every node shares). A bar counts finished trainings (``progress``: ``None`` shows it on a
    terminal)."""
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs: must be an integer >= 1, got {jobs!r}")
    try:
        import infobargain.training.api  # noqa: F401  (fail here, with advice, rather than in every process)
    except ImportError as error:
        raise ImportError(
            "the suite's default players are trained by the library, which needs the training extra "
            f"(pip install 'infobargain[train]'; {error}); or pass analytic players, e.g. --players spe"
        ) from None
    trainings = {
        (task.name, game): (
            task.env_kwargs(game, offer_space, grid_size),
            task_steps(task, total_steps),
            seed,
            None if run_dir is None else Path(run_dir) / f"{task.name}-{game}",
            algorithm,
            tuple(plugins),
        )
        for task in tasks
        for game in task.games
    }
    count = min(jobs or os.cpu_count() or 1, len(trainings))
    trained: dict[tuple[str, str], tuple[PlayerSpec, PlayerSpec]] = {}
    with Progress(len(trainings), "trainings", wanted(progress, len(trainings), threshold=1)) as bar:
        if ray is not None:
            trained = _train_on_ray(trainings, ray, count, bar)
        elif count <= 1:
            for key, arguments in trainings.items():
                trained[key] = _train_pair(*arguments)
                bar.update()
        else:
            with worker_pool(count) as pool:
                # Longest first, so that no long training starts last while the other processes sit idle.
                longest_first = sorted(trainings.items(), key=lambda item: -item[1][1])
                futures = {pool.submit(_train_pair, *arguments): key for key, arguments in longest_first}
                for future in as_completed(futures):
                    trained[futures[future]] = future.result()
                    bar.update()

    def source(task: Task, game: str, env_kwargs: dict[str, Any]) -> tuple[PlayerSpec, PlayerSpec]:
        return trained[task.name, game]

    return source


def _train_on_ray(
    trainings: dict[tuple[str, str], tuple[Any, ...]], address: str, cores: int, bar: Progress
) -> dict[tuple[str, str], tuple[PlayerSpec, PlayerSpec]]:
    """:func:`trained_players`' trainings as Ray tasks (run folders made absolute: workers start elsewhere)."""
    from infobargain.evaluation.cell_runner import ray_map, ray_session

    keys = list(trainings)
    calls = [
        (
            *trainings[key][:3],
            None if trainings[key][3] is None else Path(trainings[key][3]).resolve(),
            *trainings[key][4:],
        )
        for key in keys
    ]
    trained = {}
    with ray_session(address, cores):
        for index, result, failure in ray_map(_train_pair, calls, [1.0] * len(calls)):
            if failure is not None:
                raise RuntimeError(f"suite: the training of {':'.join(keys[index])} failed on Ray: {failure}")
            trained[keys[index]] = result
            bar.update()
    return trained


def fixed_players(sender: PlayerSpec, receiver: PlayerSpec) -> PlayerSource:
    def source(task: Task, game: str, env_kwargs: dict[str, Any]) -> tuple[PlayerSpec, PlayerSpec]:
        return sender, receiver

    return source


PLAYED_THE_SAME = (
    "protocol",
    "observation",
    "offer_space",
    "grid_size",
    "receiver_offer",
    "tie_break",
    "obedience_margin",
    "realization",
)
"""Parameters a run must share with a task to play it; the protocol's rounds, break-off and discount too, where
the protocol has more than one round (an ultimatum ignores them)."""


def _kind(game: Any, observation: str = "full") -> tuple[int, int, int] | str:
    """What a player must know to play ``game``'s observations: a pie, the shape of its instances, or (the
    ``"menu"`` observation, the same for every size) only that they are persuasion games."""
    source = resolve_game(game)
    if isinstance(source, SplitPie):
        return "pie"
    if observation == "menu":
        return "persuasion games of any size"
    return source.shape if isinstance(source, InstanceDistribution) else shape_of(source)


def plays_like(trained: Mapping[str, Any], task_env: Mapping[str, Any]) -> bool:
    """Whether players trained in env ``trained`` (any game or distribution) can play ``task_env``: games of the
    same kind and shape, the same protocol and offers, and a first proposer they trained as (``coin_flip`` trains
    both)."""
    return unlike(trained, task_env) is None


def unlike(trained: Mapping[str, Any], task_env: Mapping[str, Any]) -> str | None:
    """Why players trained in env ``trained`` cannot play ``task_env`` (the first difference, naming the run's
    value and the task's), or None when they can (:func:`plays_like`)."""
    run, task = {**ENV_DEFAULTS.kwargs(), **trained}, {**ENV_DEFAULTS.kwargs(), **task_env}
    kinds = _kind(run["game"], run["observation"]), _kind(task["game"], task["observation"])
    if kinds[0] != kinds[1]:
        return f"its games are {kinds[0]}, the task's {kinds[1]}"
    for key in PLAYED_THE_SAME:
        if run[key] != task[key]:
            return f"it has {key} {run[key]}, the task {task[key]}"
    if run["first_proposer"] not in ("coin_flip", task["first_proposer"]):
        return f"it trained with {run['first_proposer']} first, the task has {task['first_proposer']} first"
    rounds = Protocol(run["protocol"], "sender", run["max_rounds"]).rounds
    if rounds != Protocol(task["protocol"], "sender", task["max_rounds"]).rounds:
        return f"it plays {run['protocol']} over {run['max_rounds']} rounds, the task {task['protocol']}"
    if rounds > 1 and (run["break_off"], run["discount"]) != (task["break_off"], task["discount"]):
        return (
            f"it has break_off {run['break_off']}, discount {run['discount']}; the task "
            f"{task['break_off']}, {task['discount']}"
        )
    return None


def run_players(run_dirs: Sequence[str | Path]) -> PlayerSource:
    """The players of training runs (generalists, say), each task played by the first run that :func:`plays_like`
    it; the runs' players meet the task's game zero-shot unless it was in their training distribution."""
    runs = [read_run(path) for path in run_dirs]

    def source(task: Task, game: str, env_kwargs: dict[str, Any]) -> tuple[PlayerSpec, PlayerSpec] | str:
        reasons = []
        for run in runs:
            # a generalist trained on several protocols plays a task that any of them fits
            env, protocols = split_mixture(run.env_kwargs)
            variants = [{**env, **variant} for variant in protocol_variants(protocols)] if protocols else [env]
            found = [unlike(variant, env_kwargs) for variant in variants]
            if None in found:
                return run.sender, run.receiver
            reasons.append(f"{run.path}: {found[0]}")
        return "; ".join(reasons)

    return source


def runs_observation(run_dirs: Sequence[str | Path]) -> str:
    """The observation the runs' players read (``observation=``); runs that read different ones are refused in one
    line naming two of them (the suite's env shows every player the same)."""
    runs = [read_run(path) for path in run_dirs]
    seen = [run.env_kwargs.get("observation", ENV_DEFAULTS.observation) for run in runs]
    for run, observation in zip(runs, seen, strict=True):
        if observation != seen[0]:
            raise ValueError(
                f"players: {runs[0].path} reads observation={seen[0]!r} and {run.path} observation={observation!r}; "
                "one suite shows every player one observation: give runs of one kind"
            )
    return str(seen[0])


def _limit(task: Task, bench: Benchmarks, first: Role) -> np.ndarray | None:
    if task.protocol == "alternating":
        return bench.limit[first]
    return bench.bp_optimum if first == "sender" else bench.receiver_optimum


def _row(
    task: Task,
    game: str,
    first: Role,
    bench: Benchmarks,
    players: tuple[PlayerSpec, PlayerSpec],
    env_kwargs: dict[str, Any],
    rows_paper: Sequence[paper.PaperRow],
    *,
    episodes: int,
    seed: int,
    workers: int | None,
    exploitability: bool,
) -> dict[str, Any]:
    kwargs = {**env_kwargs, "first_proposer": first}
    row: dict[str, Any] = {
        "task": task.name,
        "title": task.title,
        "game": game,
        "first_proposer": first,
        "offer_space": kwargs["offer_space"],
        "spe_continuous": spe_json(bench.spe_continuous[first], bench.protocol),
        "spe_played": spe_json(bench.spe_played[first], bench.protocol),
        "limit": point_json(_limit(task, bench, first)),
        "nash": point_json(bench.nash),
    }
    families = task.families[game]
    reference, text = paper.authors_reference(rows_paper, families)
    row["authors_reference"] = {"value": reference, "text": text}
    episodes_played = rollout(*players, kwargs, episodes=episodes, seed=seed, workers=workers)
    group = score_group(episodes_played, bench, first)
    outcome = group.get("mean_outcome")
    row["players"] = {
        "sender": group["payoff"]["sender"],
        "receiver": group["payoff"]["receiver"],
        "proposer_payoff": group["proposer_payoff"],
        "deal_rate": group["deal_rate"],
        "mean_outcome": outcome,
        "distance_to_spe_played": group.get("distance", {}).get("spe_played"),
        "distance_to_spe_continuous": group.get("distance", {}).get("spe_continuous"),
    }
    row["nash_conv"] = exact_exploitability(*players, kwargs).nash_conv if exploitability and bench.discrete else None
    models = paper.pooled(rows_paper, families, first, task.signaling)
    row["paper"] = {
        "families": list(families),
        "metric": "mean (U_S, U_R) with this first proposer"
        if task.signaling
        else "mean payoff of the accepted offer's proposer (0 without a deal), pooled over first proposers",
        "models": models,
    }
    return row


def _mae(errors: Sequence[float]) -> float | None:
    return float(np.mean(errors)) if errors else None


def summarize(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Each column's mean absolute error against the exact SPE (both coordinates of pairs; the proposer payoff for
    scalars), the paper's best model and every model's error."""

    def pairs(get: Callable[[Mapping[str, Any]], Mapping[str, Any] | None]) -> float | None:
        errors: list[float] = []
        for row in rows:
            point = get(row)
            if point is not None and point.get("sender") is not None:
                errors += paper.metric_errors(point, row["spe_continuous"])
        return _mae(errors)

    model_errors: dict[str, list[float]] = {}
    for row in rows:
        for model, entry in row["paper"]["models"].items():
            model_errors.setdefault(model, []).extend(paper.metric_errors(entry, row["spe_continuous"]))
    per_model = {model: _mae(errors) for model, errors in model_errors.items()}
    best = min(per_model, key=lambda m: per_model[m]) if per_model else None  # type: ignore[arg-type,return-value]
    reference_errors = [
        abs(row["authors_reference"]["value"] - row["spe_continuous"]["proposer_payoff"])
        for row in rows
        if row["authors_reference"]["value"] is not None
    ]
    players_played = [row["players"]["distance_to_spe_played"] for row in rows]
    return {
        "spe_played": pairs(lambda r: r["spe_played"]),
        "limit": pairs(lambda r: r["limit"]),
        "nash": pairs(lambda r: r["nash"]),
        "authors_reference": _mae(reference_errors),
        "players": pairs(lambda r: r["players"]["mean_outcome"]),
        "players_vs_spe_played": _mae(
            [
                abs(r["players"]["mean_outcome"][k] - r["spe_played"][k])
                for r in rows
                if r["players"]["mean_outcome"] is not None
                for k in ROLES
            ]
        ),
        "players_max_distance_to_spe_played": max((d for d in players_played if d is not None), default=None),
        "paper_best_model": best,
        "paper_best": per_model.get(best) if best else None,
        "paper_models": per_model,
    }


def run_suite(
    players: tuple[PlayerSpec, PlayerSpec] | Sequence[Path] | None = None,
    *,
    run_dir: Path | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Run the paper's tasks with ``players``: a (sender, receiver) pair, a list of training-run directories
    (:func:`run_players`), or (``None``) self-play agents trained by the library for ``total_steps`` decisions per
    task and game (default: :data:`STEPS_PER_ROUND` per round of the task's protocol), ``jobs`` trainings at a time
    (:func:`trained_players`). ``options``: ``tasks``, ``episodes``, ``seed``, ``offer_space``, ``grid_size``,
    ``total_steps``, ``exploitability``, ``paper_results``, ``workers``, ``jobs``, ``ray`` (a Ray address: trainings as
    Ray tasks), ``progress``, and for trained players
    ``algorithm`` (a registered self-play algorithm; default ``"auto"``) and ``plugins`` (modules or files that
    register it). Returns the suite document.

    Trained players are kept in ``run_dir`` (run again with the same folder, the suite resumes their trainings);
    without one they live in a temporary folder removed when the suite ends, however it ends."""
    if players is not None or run_dir is not None:
        return _play_suite(players, run_dir=run_dir, **options)
    with tempfile.TemporaryDirectory(prefix="infobargain-suite-") as scratch:
        return _play_suite(players, run_dir=Path(scratch), **options)


def _play_suite(
    players: tuple[PlayerSpec, PlayerSpec] | Sequence[Path] | None = None,
    *,
    tasks: Sequence[str] | None = None,
    episodes: int = 8,
    seed: int = 0,
    offer_space: str = "frontier",
    grid_size: int = DEFAULT_GRID,
    total_steps: int | None = None,
    exploitability: bool = True,
    paper_results: str | Path | None = None,
    run_dir: Path | None = None,
    workers: int | None = None,
    jobs: int | None = None,
    algorithm: str = "auto",
    plugins: Sequence[str] = (),
    ray: str | None = None,
    progress: bool | None = None,
) -> dict[str, Any]:
    """:func:`run_suite`'s body, once the trained players have a folder."""
    started = time.perf_counter()
    chosen = _chosen_tasks(tasks)
    seen = ENV_DEFAULTS.observation  # what the players observe: the runs' own, when runs play
    if players is None:
        source = trained_players(
            chosen,
            offer_space,
            grid_size,
            total_steps,
            seed,
            run_dir,
            jobs,
            progress=progress,
            algorithm=algorithm,
            plugins=plugins,
            ray=ray,
        )
        budget = f"{total_steps} steps" if total_steps is not None else f"{STEPS_PER_ROUND} steps per round"
        learner = "qlearning (mappo for scheme offers)" if algorithm == "auto" else algorithm
        described = f"self-play agents trained by {learner}, {budget} per task and game, seed {seed}"
    elif isinstance(players, tuple):
        source = fixed_players(*players)
        described = f"sender {player_label(players[0])}, receiver {player_label(players[1])}"
    else:
        source = run_players(players)
        described = "the players of the runs " + ", ".join(str(path) for path in players)
        seen = runs_observation(players)
    path = Path(paper_results) if paper_results is not None else paper.default_path()
    notes: list[str] = []
    rows_paper: list[paper.PaperRow] = []
    if path.exists():
        rows_paper = paper.load(path)
    else:
        notes.append(f"paper results not found at {path}: the paper column is empty (use --paper-results FILE)")
    options: dict[str, Any] = {"episodes": episodes, "seed": seed, "workers": workers, "exploitability": exploitability}
    rows: list[dict[str, Any]] = []
    for task in chosen:
        for game in task.games:
            env_kwargs = {**task.env_kwargs(game, offer_space, grid_size), "observation": seen}
            pair = source(task, game, env_kwargs)
            if pair is None or isinstance(pair, str):
                why = f" ({pair})" if pair else ""
                skipped = f"{task.name}, {game}: no run given plays it{why}; rows left out"
                notes += [] if skipped in notes else [skipped]
                continue
            bench = benchmarks(env_kwargs)
            rows += [_row(task, game, first, bench, pair, env_kwargs, rows_paper, **options) for first in task.firsts()]
    return {
        "suite": "Lin et al. (arXiv 2506.05876) task grid",
        "players": described,
        "budget": {
            "episodes_per_row": episodes,
            "realization": "expected",
            "training_steps_per_task": {task.name: task_steps(task, total_steps) for task in chosen}
            if players is None
            else None,
            "offer_space": f"{offer_space} (pies: frontier)",
            "grid_size": grid_size,
        },
        "paper": {
            "citation": paper.CITATION,
            "source": str(path) if rows_paper else None,
            "source_commit": paper.source_commit(path) if rows_paper else None,
            "note": "LLM results (12 runs per task, pooled over the paper's scenarios)",
        },
        "rows": rows,
        "mae_vs_spe_continuous": summarize(rows),
        "notes": notes,
        "elapsed_s": time.perf_counter() - started,
        "cpu_cores": os.cpu_count(),
    }


def _chosen_tasks(names: Sequence[str] | None) -> list[Task]:
    unknown = sorted(set(names or ()) - set(TASK_NAMES))
    if unknown:
        raise ValueError(f"tasks: unknown {', '.join(unknown)} (known: {', '.join(TASK_NAMES)})")
    return list(TASKS) if names is None else [task for task in TASKS if task.name in names]
