"""Training as library calls: one function per job, each returning ready-to-play players.

Every function takes the environment's arguments as a dict (any of
:class:`~infobargain.envs.information_bargaining_v1.raw_env`'s, including ``Instance`` objects that a TOML
config cannot hold), trains in a run directory (a temporary one unless ``run_dir`` is given) and returns
:class:`~infobargain.agents.Policy` objects that outlive it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infobargain.agents import Policy, player_label
from infobargain.agents.sb3 import SB3Policy
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.game.protocol import Role
from infobargain.training.config import RunConfig
from infobargain.training.registry import get_algorithm
from infobargain.training.rundir import RunDirectory
from infobargain.training.runner import recorded_env
from infobargain.training.settings import SB3Section


def _sb3_config(
    env_kwargs: Mapping[str, Any],
    folder: Path,
    role: Role,
    opponent: str,
    total_steps: int,
    seed: int,
    settings: SB3Section | None,
) -> RunConfig:
    config = RunConfig()
    config.run.name, config.run.algorithm = f"{role}-best-response", "sb3"
    config.run.total_steps, config.run.seed = total_steps, seed
    config.sections["sb3"] = SB3Section(**vars(settings)) if settings is not None else SB3Section()
    config.sb3.learner, config.sb3.opponent = role, opponent
    config.env = recorded_env(env_kwargs, folder)
    return config


def train_best_response(
    env_kwargs: Mapping[str, Any],
    role: Role,
    opponent: str | Policy,
    *,
    total_steps: int,
    seed: int,
    settings: SB3Section | None = None,
    run_dir: str | Path | None = None,
    show_progress: bool = False,
) -> Policy:
    """An approximate best response of ``role`` to a fixed ``opponent``, learned with Stable-Baselines3.

    The learner plays the Gymnasium view (``infobargain/Sender-v1`` or ``infobargain/Receiver-v1``) of the
    game ``env_kwargs`` describes, with MaskablePPO on discrete offer spaces and PPO on ``"scheme"`` (see
    :mod:`infobargain.training.sb3`), for ``total_steps`` of its own decisions. The returned player acts
    greedily. Being approximate, its gain over the opponent's partner is a **lower bound** on the
    opponent's exploitability.

    Args:
        env_kwargs: arguments of :class:`~infobargain.envs.information_bargaining_v1.raw_env`.
        role: the side that learns (``"sender"`` or ``"receiver"``).
        opponent: a player name (:func:`~infobargain.agents.make_policy`), a saved player's path, or a
            ``Policy`` (bound to each training env; analytic players are re-bound, others used as they are).
        total_steps: the learner's decisions to train for.
        seed: seeds the model and the training envs.
        settings: SB3 hyper-parameters (default: :class:`~infobargain.training.settings.SB3Section`).
        run_dir: keep the run directory here (checkpoints, metrics, players) instead of a temporary one.
    """
    from infobargain.training.sb3 import train_model

    with tempfile.TemporaryDirectory(prefix="infobargain-best-response-") as scratch:
        folder = Path(run_dir) if run_dir is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        config = _sb3_config(env_kwargs, folder, role, player_label(opponent), total_steps, seed, settings)
        run = RunDirectory(folder, config)
        try:
            trained = train_model(config, run, env_kwargs=env_kwargs, opponent=opponent, show_progress=show_progress)
        finally:
            run.close()
    kwargs = {key: value for key, value in env_kwargs.items() if key != "render_mode"}
    return SB3Policy(trained.model, raw_env(**kwargs), role, spec=f"best response to {player_label(opponent)}")


def self_play_algorithm(env_kwargs: Mapping[str, Any], algorithm: str = "auto") -> str:
    """The self-play algorithm ``train_players`` runs for ``algorithm`` on this env: ``"auto"`` picks
    ``qlearning`` on discrete offer spaces and ``mappo`` on ``"scheme"``; any other name must be a registered
    self-play algorithm (:mod:`infobargain.training.registry`)."""
    if algorithm == "auto":
        return "mappo" if env_kwargs.get("offer_space", "frontier") == "scheme" else "qlearning"
    chosen = get_algorithm(algorithm)
    if not chosen.self_play:
        raise ValueError(f"algorithm: {algorithm!r} does not train both players by self-play ({chosen.description})")
    return chosen.name


def train_players(
    env_kwargs: Mapping[str, Any],
    *,
    total_steps: int,
    seed: int,
    run_dir: str | Path | None = None,
    show_progress: bool = False,
    algorithm: str = "auto",
    settings: Mapping[str, Any] | None = None,
    resume: bool = False,
) -> dict[str, Path]:
    """Both players trained together by self-play.

    ``algorithm``: any registered self-play algorithm, or ``"auto"`` (``qlearning`` on discrete offer spaces,
    ``mappo`` on ``"scheme"``).
    ``settings`` overrides keys of that algorithm's config section (e.g. ``{"num_envs": 256}``).
    ``first_proposer`` is trained as given (``"coin_flip"`` trains both orders at once). Returns the saved
    players' paths per role, loadable with :func:`~infobargain.agents.load_policy`; they live in ``run_dir``
    (a fresh temporary directory that the caller may delete when done, if ``run_dir`` is not given).
    With ``resume``, a ``run_dir`` that already holds this same training continues it (or, finished, gives its
    players back); one holding a different run is refused, naming what differs.
    """
    from infobargain.training.runner import run_config, run_training

    chosen = self_play_algorithm(env_kwargs, algorithm)
    folder = Path(run_dir) if run_dir is not None else Path(tempfile.mkdtemp(prefix="infobargain-self-play-"))
    resume = resume and (folder / "config.toml").exists()
    config = run_config(
        chosen, env_kwargs, budget=total_steps, seed=seed, run_dir=folder, settings=settings, name="self-play"
    )
    summary, _ = run_training(config, folder, resume=resume, show_progress=show_progress)
    return {role: Path(path) for role, path in summary["players"].items()}
