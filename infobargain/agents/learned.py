"""Adapters that turn trained models into :class:`~infobargain.agents.base.Policy` players.

- ``*.pt``: a torch :class:`~infobargain.agents.networks.ActorCritic` saved by the library's PPO
  (:func:`save_torch_player`), or any ``torch.nn.Module`` mapping observation vectors to logits or actions
  wrapped with :class:`TorchPolicy`.
- ``*.zip``: a Stable-Baselines3 (or sb3-contrib) model; see :mod:`infobargain.agents.sb3`.
- ``*.rllib/``: a Ray RLlib RLModule saved by the RLlib backend; see :mod:`infobargain.agents.rllib`.

Learned players act greedily by default (the mode of their policy), which is what evaluation compares
with theory; pass ``greedy=False`` to sample.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from infobargain.agents.base import BoundPolicy, Observation
from infobargain.game.protocol import Role


class TorchPolicy(BoundPolicy):
    """A torch module as a player. ``module(observation_batch)`` returns logits (discrete encodings; illegal
    actions are masked out) or actions in ``[-1, 1]`` (the ``"scheme"`` encoding)."""

    def __init__(self, module: Any, env: Any, role: Role, *, greedy: bool = True, spec: str = "torch") -> None:
        super().__init__(env, role)
        import torch

        self.module = module.eval()
        self.greedy = greedy
        self.spec = spec
        self._torch = torch
        self._generator = torch.Generator().manual_seed(0)

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self._generator.manual_seed(0 if seed is None else seed)

    def act(self, observation: Observation) -> Any:
        torch = self._torch
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return self.passing
        vector = torch.as_tensor(np.asarray(observation["observation"]), dtype=torch.float32)[None]
        mask = observation.get("action_mask")
        with torch.no_grad():
            if hasattr(self.module, "act"):
                mask_tensor = None if mask is None else torch.as_tensor(np.array(mask, dtype=bool))[None]
                action, _ = self.module.act(vector, mask_tensor, self._generator, greedy=self.greedy)
            else:
                output = self.module(vector)
                if mask is None:
                    return np.clip(output[0].double().numpy(), -1.0, 1.0)
                logits = output.masked_fill(~torch.as_tensor(np.array(mask, dtype=bool))[None], -1e9)
                action = (
                    logits.argmax(-1)
                    if self.greedy
                    else torch.multinomial(logits.softmax(-1), 1, generator=self._generator)[:, 0]
                )
        if mask is None:
            return np.clip(action[0].double().numpy(), -1.0, 1.0)
        return int(action[0])

    def save(self, path: str | Path) -> None:
        save_torch_player(self.module, path)


def save_torch_player(module: Any, path: str | Path) -> None:
    """Save an :class:`ActorCritic` with what is needed to rebuild it."""
    import torch

    torch.save(
        {
            "format": "infobargain-actor-critic",
            "observation_size": module.observation_size,
            "action_size": module.action_size,
            "discrete": module.discrete,
            "hidden_size": module.hidden_size,
            "activation": getattr(module, "activation", "tanh"),
            "critic_size": getattr(module, "critic_size", module.observation_size),
            "state_dict": module.state_dict(),
        },
        path,
    )


def load_torch_player(path: str | Path, env: Any, role: Role) -> TorchPolicy:
    import torch

    from infobargain.agents.networks import ActorCritic

    saved = torch.load(path, weights_only=False, map_location="cpu")
    if not isinstance(saved, dict) or saved.get("format") != "infobargain-actor-critic":
        if isinstance(saved, torch.nn.Module):
            return TorchPolicy(saved, env, role, spec=str(path))
        raise ValueError(f"policy: {path} is not a saved infobargain player or torch module")
    expected = env.unwrapped.observation_layout.size
    if saved["observation_size"] != expected:
        raise ValueError(
            f"policy: {path} was trained on observations of size {saved['observation_size']}, this env has {expected}"
        )
    network = ActorCritic(
        saved["observation_size"],
        saved["action_size"],
        saved["discrete"],
        saved["hidden_size"],
        saved.get("activation", "tanh"),  # players saved before these options existed
        saved.get("critic_size"),
    )
    network.load_state_dict(saved["state_dict"])
    return TorchPolicy(network, env, role, spec=str(path))


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
    if path.is_dir() and (path / "players").is_dir():
        matches = sorted((path / "players").glob(f"{role}.*"))
        if matches:
            return load_learned(matches[0], env, role)
    raise ValueError(f"policy: cannot load {path} (expected a .pt, .zip or .rllib player, or a run directory)")
