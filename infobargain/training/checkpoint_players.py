"""A finished run's numbered checkpoints as players: what the leaderboard's sample-efficiency curves score.

Each function here is a built-in algorithm's :attr:`~infobargain.training.registry.Algorithm.checkpoint_players`:
given the run's folder and one of its numbered checkpoints (``checkpoints/step_N.pt``), it rebuilds the two
players the run would have saved had it stopped there, exactly as its final players are made, so that the last
checkpoint's players are the run's own. Networks take their shape from the run's saved players (the run is
finished), so nothing about a network's layout is repeated here. Checkpoints are read weights-only (SB3 models
without unpickling, RLlib modules from the algorithm checkpoint a numbered checkpoint points to).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from infobargain.agents.learned import TorchPolicy, load_torch_player, read_torch_file
from infobargain.game.protocol import ROLES
from infobargain.training.config import RunConfig

Pair = tuple[Any, Any]
"""``(sender, receiver)``: two bound ``Policy`` objects."""


def _config(run_dir: Path) -> RunConfig:
    return RunConfig.load(run_dir / "config.toml")


def _env(config: RunConfig) -> Any:
    from infobargain.envs.information_bargaining_v1 import raw_env

    return raw_env(**{key: value for key, value in config.env.items() if key != "render_mode"})


def _networks(run_dir: Path, env: Any, states: list[Any]) -> list[Any]:
    """The run's saved players' networks, copied, with ``states`` (one state dict per role) loaded; a copy gets
    a :class:`~infobargain.agents.networks.DuelingHead` where its state has one (a saved player holds it folded)."""
    from infobargain.agents.networks import DuelingHead, has_dueling_head

    networks = []
    for role, state in zip(ROLES, states, strict=True):
        network = copy.deepcopy(load_torch_player(run_dir / "players" / f"{role}.pt", env, role).module)
        if has_dueling_head(state):
            network.actor[-1] = DuelingHead(network.hidden_size, network.action_size, gain=1.0)
        network.load_state_dict(state)
        networks.append(network)
    return networks


def ppo_players(run_dir: Path, checkpoint: Path) -> Pair:
    """``mappo`` and ``ippo``: the checkpoint's networks, played greedily as the saved players are."""
    config, state = _config(run_dir), read_torch_file(checkpoint, "checkpoint")
    env = _env(config)
    networks = _networks(run_dir, env, state["networks"])
    return (
        TorchPolicy(networks[0], env, "sender", spec=f"{checkpoint} sender"),
        TorchPolicy(networks[1], env, "receiver", spec=f"{checkpoint} receiver"),
    )


def qlearning_players(run_dir: Path, checkpoint: Path) -> Pair:
    """``qlearning``: the checkpoint's averaged networks with their dueling head, observation centre and accept
    tie-break folded in (:func:`~infobargain.training.qlearning.saved_player`), as the run saves its players."""
    from infobargain.training.qlearning import saved_player

    config, state = _config(run_dir), read_torch_file(checkpoint, "checkpoint")
    env = _env(config)
    centre = state["centre"].numpy()
    networks = _networks(run_dir, env, state["averaged"])
    sender, receiver = (saved_player(network, config.settings.accept_bonus, centre) for network in networks)
    return (
        TorchPolicy(sender, env, "sender", spec=f"{checkpoint} sender"),
        TorchPolicy(receiver, env, "receiver", spec=f"{checkpoint} receiver"),
    )


def regret_players(run_dir: Path, checkpoint: Path) -> Pair:
    """``regret``: the checkpoint's strategy table, played as the run's saved tabular players."""
    from infobargain.agents.tabular import TabularPolicy

    env = _env(_config(run_dir))
    strategy = read_torch_file(checkpoint, "checkpoint")["strategy"].numpy()
    return (
        TabularPolicy(strategy, env, "sender", spec="regret sender"),
        TabularPolicy(strategy, env, "receiver", spec="regret receiver"),
    )


def openspiel_cfr_players(run_dir: Path, checkpoint: Path) -> Pair:
    """``openspiel_cfr_plus``: CFR+'s average policy at the checkpoint, projected onto situations as the run's
    final players are (the checkpoint holds the table)."""
    from infobargain.agents.tabular import TabularPolicy

    env = _env(_config(run_dir))
    table = read_torch_file(checkpoint, "checkpoint")["table"].numpy()
    sender, receiver = (TabularPolicy(table, env, role, greedy=False, spec=f"CFR+ {role}") for role in ROLES)
    return sender, receiver


def sb3_ibr_players(run_dir: Path, checkpoint: Path) -> Pair:
    """``sb3_ibr``: both sides' models as the checkpoint holds them, played deterministically as the saved players
    are; a side that has not had its first phase yet is ``sb3_ibr.start`` (what its opponent faced)."""
    from infobargain.agents.sb3 import load_sb3_player

    config, state = _config(run_dir), read_torch_file(checkpoint, "checkpoint")
    env = _env(config)
    models = state["models"]
    sender, receiver = (
        load_sb3_player(models[role], env, role, spec=f"{checkpoint} {role}")
        if role in models
        else config.settings.start
        for role in ROLES
    )
    return sender, receiver


def rllib_players(run_dir: Path, checkpoint: Path) -> Pair:
    """``rllib_ppo``: each role's RLModule in the RLlib algorithm checkpoint the numbered checkpoint points to,
    played greedily as the saved players are."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    from infobargain.agents.rllib import RLlibPolicy
    from infobargain.training.rllib import LEARNER_MODULES

    config, state = _config(run_dir), read_torch_file(checkpoint, "checkpoint")
    env = _env(config)
    modules = run_dir / "checkpoints" / state["rllib_checkpoint"] / LEARNER_MODULES
    sender, receiver = (
        RLlibPolicy(RLModule.from_checkpoint(str((modules / role).resolve())), env, role, spec=f"{checkpoint} {role}")
        for role in ROLES
    )
    return sender, receiver
