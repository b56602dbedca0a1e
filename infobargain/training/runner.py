"""One entry point for every training backend: build the run directory, train, save the players.

Backends share the config format and the run directory contract; each is imported only when used, so
Ray (``rllib``) and Stable-Baselines3 (``sb3``, ``ibr``) stay optional.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infobargain.training.config import RunConfig
from infobargain.training.rundir import RunDirectory

Backend = Callable[..., dict[str, Path]]
BACKENDS = {
    "mappo": "infobargain.training.mappo:train",
    "qlearning": "infobargain.training.qlearning:train",
    "sb3": "infobargain.training.sb3:train",
    "ibr": "infobargain.training.selfplay:train",
    "rllib": "infobargain.training.rllib:train",
}
EXTRAS = {"mappo": "train", "qlearning": "train", "sb3": "train", "ibr": "train", "rllib": "rllib"}


def backend(algorithm: str) -> Backend:
    module_name, _, function = BACKENDS[algorithm].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ImportError(
            f"run.algorithm={algorithm!r} needs the {EXTRAS[algorithm]!r} extra: "
            f"pip install 'infobargain[{EXTRAS[algorithm]}]' ({error})"
        ) from None
    return getattr(module, function)  # type: ignore[no-any-return]


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
            for section in stored
            for key in stored[section]
            if stored[section][key] != requested[section].get(key)
        )
        raise ValueError(f"--resume: the configuration differs from the saved run's ({', '.join(changed)})")
    saved.run.total_steps = config.run.total_steps
    return saved


def run_training(
    config: RunConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Train as ``config`` says into ``run_dir`` (continuing it with ``resume``); returns the run's summary.

    Evaluation is a later layer: ``infobargain train`` runs :func:`infobargain.evaluation.evaluate_run` on the
    directory afterwards."""
    if resume:
        config = resumable_config(config, Path(run_dir))
    run = RunDirectory(run_dir, config, resume=resume)
    try:
        players = backend(config.run.algorithm)(config, run, show_progress=show_progress)
    finally:
        run.close()
    summary: dict[str, Any] = {"run_dir": str(run.path), "players": {k: str(v) for k, v in players.items()}}
    (run.path / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary
