"""Load a saved player of any format by its path: the one entry point for trained players.

The suffix names the format (see :mod:`infobargain.agents.learned`): ``.pt`` (the library's PPO),
``.zip`` (Stable-Baselines3), ``.rllib`` (Ray RLlib), ``.npz`` (tabular); a run directory names its players
under ``players/``. Each format's module is imported only when one of its files is loaded, so an optional
engine (SB3, Ray) is needed only by its own players.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infobargain.agents.base import BoundPolicy
from infobargain.agents.learned import load_torch_player
from infobargain.game.protocol import Role


def load_learned(path: str | Path, env: Any, role: Role) -> BoundPolicy:
    """Load a trained player from ``path`` by its suffix."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"policy: {path} does not exist")
    if path.suffix == ".pt":
        return load_torch_player(path, env, role)
    if path.suffix == ".zip":
        from infobargain.agents.sb3 import load_sb3_player

        return load_sb3_player(path, env, role)
    if path.suffix == ".rllib":
        from infobargain.agents.rllib import load_rllib_player

        return load_rllib_player(path, env, role)
    if path.suffix == ".npz":
        from infobargain.agents.tabular import load_tabular_player

        return load_tabular_player(path, env, role)
    if path.is_dir() and (path / "players").is_dir():
        matches = sorted((path / "players").glob(f"{role}.*"))
        if matches:
            return load_learned(matches[0], env, role)
    raise ValueError(f"policy: cannot load {path} (expected a .pt, .zip, .rllib or .npz player, or a run directory)")
