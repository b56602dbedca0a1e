"""Load a saved player of any format by its path: the one entry point for trained players.

The suffix names the format (see :mod:`infobargain.agents.learned`): ``.pt`` (the library's PPO),
``.zip`` (Stable-Baselines3), ``.rllib`` (Ray RLlib), ``.npz`` (tabular); a run directory names its players
under ``players/``. Each format's module is imported only when one of its files is loaded, so an optional
engine (SB3, Ray) is needed only by its own players. A player whose observations do not fit the env is refused
in one line naming the flags that build its env (read from its run's ``config.toml``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infobargain.agents.base import BoundPolicy
from infobargain.agents.learned import load_torch_player
from infobargain.game.protocol import Role

ENCODING_FLAGS = {
    "offer_space": "--offer-space",
    "grid_size": "--grid-size",
    "protocol": "--protocol",
    "max_rounds": "--max-rounds",
}
"""The env parameters that fix a player's observation and action sizes (with the game's shape), and their flags."""


def load_learned(path: str | Path, env: Any, role: Role) -> BoundPolicy:
    """Load a trained player from ``path`` by its suffix; a player of another offer encoding is refused with the
    flags that build the env it was trained on."""
    try:
        return _load(Path(path), env, role)
    except ValueError as error:
        if "was trained on observations of size" not in str(error):
            raise
        raise ValueError(f"{error}: {encoding_hint(Path(path))}") from None


def encoding_hint(path: Path) -> str:
    """Which flags build the env the player at ``path`` was trained on: its run's ``[env]`` encoding when the player
    lies in a run directory (``RUN/players/ROLE.*``), else a pointer to the flags."""
    for folder in (path, path.parent, path.parent.parent):
        config = folder / "config.toml"
        if config.is_file():
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                break
            try:
                env = tomllib.loads(config.read_text()).get("env", {})
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                break
            flags = " ".join(f"{flag} {env[name]}" for name, flag in ENCODING_FLAGS.items() if name in env)
            if flags:
                return f"it was trained with {flags} ({config}) on games of its shape; pass those flags"
    return "pass the --offer-space, --grid-size, --protocol and --max-rounds it was trained with"


def _load(path: Path, env: Any, role: Role) -> BoundPolicy:
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
            return _load(matches[0], env, role)
    raise ValueError(f"policy: cannot load {path} (expected a .pt, .zip, .rllib or .npz player, or a run directory)")
