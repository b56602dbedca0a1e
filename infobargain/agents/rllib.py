"""Ray RLlib players: the adapter that plays a trained RLlib module as a :class:`~infobargain.agents.base.Policy`.

RLlib's action-masking convention wants a dict observation ``{"observations": <vector>, "action_mask":
<0/1 floats>}`` in float32. The env's conventions module adapts observations to it
(:func:`~infobargain.envs.conventions.rllib_observation`, :func:`~infobargain.envs.conventions.
rllib_observation_space`, also behind ``observation_format="rllib"``), for training
(:mod:`infobargain.training.rllib` wraps the env with them) and for play (:class:`RLlibPolicy` feeds the module
the same dicts), so the two can never drift apart.

A saved RLlib player is a directory ``players/<role>.rllib/``: an RLModule checkpoint (RLlib's own format,
restored with ``RLModule.from_checkpoint``; the module class is
:class:`~infobargain.agents.rllib_module.MaskedPPOModule`) plus ``player.json`` naming the format, the role
and the observation size. Loading it needs the ``rllib`` extra (Ray) but no running Ray.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.agents.base import Observation
from infobargain.agents.learned import TorchPolicy
from infobargain.envs.conventions import ACTION_MASK, OBSERVATIONS, rllib_observation, rllib_observation_space
from infobargain.envs.offers import ACCEPT
from infobargain.game.protocol import Role

__all__ = [
    "ACTION_MASK",
    "OBSERVATIONS",
    "RLlibPolicy",
    "load_rllib_player",
    "rllib_observation",
    "rllib_observation_space",
    "save_rllib_player",
]
SUFFIX = ".rllib"
PLAYER_FILE = "player.json"
FORMAT = "infobargain-rllib-module"


class RLlibPolicy(TorchPolicy):
    """A trained RLlib RLModule as a player. Acts greedily by default (the most likely legal action, or the
    Gaussian's mean clipped to ``[-1, 1]`` for the ``"scheme"`` encoding); ``greedy=False`` samples."""

    def __init__(self, module: Any, env: Any, role: Role, *, greedy: bool = True, spec: str = "rllib") -> None:
        super().__init__(module, env, role, greedy=greedy, spec=spec)

    def act(self, observation: Observation) -> Any:
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return self.passing
        torch = self._torch
        inputs = self._distribution_inputs(observation)
        if "action_mask" in observation:  # the module has already masked illegal actions' logits
            if self.greedy:
                return int(inputs.argmax())
            return int(torch.multinomial(inputs.softmax(-1), 1, generator=self._generator)[0])
        mean, log_std = inputs.chunk(2)  # RLlib's diagonal Gaussian: means, then log standard deviations
        action = mean if self.greedy else mean + log_std.exp() * torch.randn(mean.shape, generator=self._generator)
        return np.clip(action.double().numpy(), -1.0, 1.0)

    def action_probabilities(self, observation: Observation) -> NDArray[np.float64]:
        """What :meth:`act` plays, as probabilities over the Discrete actions (exact exploitability reads this):
        one-hot when greedy or when the agent only passes, else the masked distribution."""
        if "action_mask" not in observation:
            raise ValueError("policy: the 'scheme' encoding has continuous actions, no action distribution")
        mask = np.asarray(observation["action_mask"], dtype=bool)
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return np.eye(len(mask))[ACCEPT]  # type: ignore[no-any-return]
        logits = np.where(mask, self._distribution_inputs(observation).double().numpy(), -np.inf)
        if self.greedy:
            return np.eye(len(mask))[int(np.argmax(logits))]  # type: ignore[no-any-return]
        weights = np.exp(logits - logits.max())
        return weights / weights.sum()  # type: ignore[no-any-return]

    def _distribution_inputs(self, observation: Observation) -> Any:
        """The module's action-distribution inputs (masked logits, or Gaussian means and log-stds)."""
        from ray.rllib.core.columns import Columns

        torch = self._torch
        batch = {key: torch.as_tensor(value)[None] for key, value in rllib_observation(observation).items()}
        with torch.no_grad():
            return self.module.forward_inference({Columns.OBS: batch})[Columns.ACTION_DIST_INPUTS][0]

    def save(self, path: str | Path) -> None:
        save_rllib_player(self.module, path, self.role)


def save_rllib_player(module: Any, path: str | Path, role: Role) -> Path:
    """Write ``module`` (an RLlib RLModule) as a player directory; returns its path."""
    path = Path(path)
    module.save_to_path(str(path.resolve()))
    size = int(module.observation_space[OBSERVATIONS].shape[0])
    info = {"format": FORMAT, "role": role, "observation_size": size}
    (path / PLAYER_FILE).write_text(json.dumps(info, indent=2) + "\n")
    return path


def is_rllib_player(path: Path) -> bool:
    return path.is_dir() and (path / PLAYER_FILE).exists()


def load_rllib_player(path: str | Path, env: Any, role: Role, *, greedy: bool = True) -> RLlibPolicy:
    """Rebuild a player saved by :func:`save_rllib_player` (needs Ray installed, not running)."""
    path = Path(path)
    try:
        info = json.loads((path / PLAYER_FILE).read_text())
    except (OSError, ValueError):
        raise ValueError(f"policy: {path} is not a saved RLlib player (no readable {PLAYER_FILE})") from None
    if info.get("format") != FORMAT:
        raise ValueError(f"policy: {path / PLAYER_FILE} has format {info.get('format')!r}, expected {FORMAT!r}")
    expected = env.unwrapped.observation_layout.size
    if info["observation_size"] != expected:
        raise ValueError(
            f"policy: {path} was trained on observations of size {info['observation_size']}, this env has {expected}"
        )
    try:
        from ray.rllib.core.rl_module.rl_module import RLModule
    except ImportError as error:
        raise ImportError(f"policy: {path} is an RLlib player; pip install 'infobargain[rllib]' ({error})") from None
    module = RLModule.from_checkpoint(str(path.resolve()))
    return RLlibPolicy(module, env, role, greedy=greedy, spec=str(path))
