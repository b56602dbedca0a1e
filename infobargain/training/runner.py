"""One entry point for every algorithm: open the run directory, train, save the players.

Every registered algorithm (:mod:`infobargain.training.algorithms`) trains through :func:`run_training`, from
``infobargain train``, ``benchmark`` and ``suite`` alike, so each ends in the same run directory (contract 5 in
docs/design.md): ``config.toml``, ``metrics.csv``, ``checkpoints/``, ``players/sender.*`` and
``players/receiver.*``, ``summary.json``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infobargain.game.instance import Instance
from infobargain.game.limits import shown
from infobargain.game.protocol import ROLES, Role
from infobargain.training.config import ConfigError, RunConfig
from infobargain.training.job import Player, TrainedPlayers, TrainingJob
from infobargain.training.rundir import RunDirectory


def resumable_config(config: RunConfig, run_dir: Path) -> RunConfig:
    """The saved configuration of a run to resume; only ``run.total_steps`` may change (to extend it)."""
    path = run_dir / "config.toml"
    if not path.exists():
        raise ValueError(f"--resume: {run_dir} holds no run to resume (no config.toml)")
    saved = RunConfig.load(path)
    requested, stored = config.to_dict(), saved.to_dict()
    requested["run"]["total_steps"] = stored["run"]["total_steps"] = 0
    if requested != stored:
        changed = sorted(
            f"{section}.{key}"
            for section in stored.keys() | requested.keys()
            for key in stored.get(section, {}).keys() | requested.get(section, {}).keys()
            if stored.get(section, {}).get(key) != requested.get(section, {}).get(key)
        )
        raise ValueError(f"--resume: the configuration differs from the saved run's ({', '.join(changed)})")
    saved.run.total_steps = config.run.total_steps
    return saved


def recorded_env(env_kwargs: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """The env arguments as the run's ``config.toml`` records them: an ``Instance`` is written to
    ``folder/instance.json`` and recorded by path, other objects by their ``repr`` (the training itself uses
    the objects)."""
    recorded: dict[str, Any] = {}
    for key, value in env_kwargs.items():
        if isinstance(value, Instance):
            path = folder / "instance.json"
            value.save(path)
            recorded[key] = str(path)
        elif isinstance(value, Path):
            recorded[key] = str(value)
        elif value is None or isinstance(value, (str, int, float, bool)):
            if value is not None:
                recorded[key] = value
        else:
            recorded[key] = repr(value)
    return recorded


def run_config(
    algorithm: str,
    env_kwargs: Mapping[str, Any],
    *,
    budget: int,
    seed: int,
    run_dir: Path,
    settings: Mapping[str, Any] | None = None,
    keep_history: bool = False,
    name: str = "run",
) -> RunConfig:
    """The run config of one training from library arguments (``env_kwargs`` may hold ``Instance`` objects,
    which are written into ``run_dir``); ``settings`` overrides keys of the algorithm's own section."""
    run_dir.mkdir(parents=True, exist_ok=True)
    config = RunConfig()
    config.run.name, config.run.algorithm = name, algorithm
    config.run.total_steps, config.run.seed = budget, seed
    if keep_history:
        config.run.keep_checkpoints = 0  # 0 keeps all
    config.env.update(recorded_env(env_kwargs, run_dir))
    for key, value in (settings or {}).items():
        config.set(f"{algorithm}.{key}", value)
    config.validate()
    return config


def _keep_player(player: Player, run: RunDirectory, role: Role, algorithm: str) -> Path:
    """``player`` as a file under ``run/players``: a saved player is copied there (if it is elsewhere), a name
    becomes an analytic player's JSON, a ``Policy`` is saved."""
    from infobargain.agents.base import BoundPolicy

    run.players.mkdir(parents=True, exist_ok=True)
    if isinstance(player, str) and not Path(player).exists():
        target = run.players / f"{role}.json"
        target.write_text(json.dumps({"policy": player, "role": role}) + "\n")
        return target
    if isinstance(player, (str, Path)):
        source = Path(player)
        target = run.players / f"{role}{''.join(source.suffixes)}"
        if source.resolve() != target.resolve():
            (shutil.copytree if source.is_dir() else shutil.copyfile)(source, target)
        return target
    if isinstance(player, BoundPolicy) and type(player).save is BoundPolicy.save:  # an analytic player
        target = run.players / f"{role}.json"
        player.save(target)
        return target
    raise ValueError(
        f"algorithm {algorithm!r} returned {player!r} as the {role}: a run keeps its players, so return a player "
        "name or the path of a saved player (Policy.save)"
    )


def check_decisions(algorithm: str, decisions: object, budget: int) -> None:
    """Refuse a count of decisions no training can have used: not a whole number, negative, or past the budget by
    more than a last batch can run over (the budget again, or 100,000 decisions for small budgets)."""
    limit = budget + max(budget, 100_000)
    if isinstance(decisions, bool) or not isinstance(decisions, int) or not 0 <= decisions <= limit:
        raise ValueError(
            f"algorithm {algorithm!r} reported {shown(decisions)} decisions for a budget of {budget:,}: expected a "
            f"whole number from 0 to {limit:,}"
        )


def run_training(
    config: RunConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    show_progress: bool = True,
) -> tuple[dict[str, Any], TrainedPlayers]:
    """Train as ``config`` says into ``run_dir`` (continuing it with ``resume``); returns the run's summary and
    what the algorithm returned.

    Evaluation is a later layer: ``infobargain train`` runs :func:`infobargain.evaluation.evaluate_run` on the
    directory afterwards."""
    if resume:
        config = resumable_config(config, Path(run_dir))
    algorithm = config.algorithm
    missing = algorithm.missing()
    if missing:
        raise ConfigError(missing)
    out_of_reach = algorithm.fits(dict(config.env))
    if out_of_reach:
        raise ConfigError(f"algorithm {algorithm.name!r}: out of reach: {out_of_reach}")
    run = RunDirectory(run_dir, config, resume=resume)
    try:
        trained = algorithm.train(TrainingJob(config, run, show_progress=show_progress))
        if not isinstance(trained, TrainedPlayers):
            raise ValueError(f"algorithm {algorithm.name!r} returned {type(trained).__name__}, not TrainedPlayers")
        check_decisions(algorithm.name, trained.decisions, config.run.total_steps)
        players = {role: _keep_player(getattr(trained, role), run, role, algorithm.name) for role in ROLES}
    finally:
        run.close()
    summary: dict[str, Any] = {
        "run_dir": str(run.path),
        "algorithm": algorithm.name,
        "players": {role: str(path) for role, path in players.items()},
        "decisions": trained.decisions,
        "options": trained.options,
        "notes": trained.notes,
    }
    (run.path / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary, trained


def train_algorithm(
    algorithm: str,
    env_kwargs: Mapping[str, Any],
    *,
    budget: int,
    seed: int,
    run_dir: str | Path,
    settings: Mapping[str, Any] | None = None,
    keep_history: bool = False,
    show_progress: bool = False,
) -> TrainedPlayers:
    """Train the registered ``algorithm`` on the game ``env_kwargs`` describes into a fresh ``run_dir``; returns its
    players as the paths of the run's saved players."""
    folder = Path(run_dir)
    config = run_config(
        algorithm, env_kwargs, budget=budget, seed=seed, run_dir=folder, settings=settings, keep_history=keep_history
    )
    summary, trained = run_training(config, folder, show_progress=show_progress)
    players = {role: Path(path) for role, path in summary["players"].items()}
    return TrainedPlayers(players["sender"], players["receiver"], trained.decisions, trained.options, trained.notes)
