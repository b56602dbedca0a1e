"""Adapters that turn trained models into :class:`~infobargain.agents.base.Policy` players.

- ``*.pt``: a torch :class:`~infobargain.agents.networks.ActorCritic` saved by the library's PPO
  (:func:`save_torch_player`); read with ``torch.load(weights_only=True)``, so a file cannot run code. Any
  ``torch.nn.Module`` mapping observation vectors to logits or actions plays when wrapped with
  :class:`TorchPolicy`.
- ``*.zip``: a Stable-Baselines3 (or sb3-contrib) model; see :mod:`infobargain.agents.sb3`.
- ``*.rllib/``: a Ray RLlib RLModule saved by the RLlib backend; see :mod:`infobargain.agents.rllib`.
- ``*.npz``: a tabular player (one action distribution per situation); see :mod:`infobargain.agents.tabular`.

:func:`infobargain.agents.loading.load_learned` loads any of them by its suffix.

Learned players act greedily by default (the mode of their policy), which is what evaluation compares
with theory; pass ``greedy=False`` to sample.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from infobargain.agents.base import BoundPolicy, Observation
from infobargain.files import atomic_path
from infobargain.game.protocol import Role

PLAYER_FORMAT = "infobargain-actor-critic"
_PLAYER_FIELDS: dict[str, type] = {
    "observation_size": int,
    "action_size": int,
    "discrete": bool,
    "hidden_size": int,
    "state_dict": dict,
}


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
    """Save an :class:`ActorCritic` with what is needed to rebuild it, atomically (:mod:`infobargain.files`)."""
    import torch

    saved = {
        "format": PLAYER_FORMAT,
        "observation_size": module.observation_size,
        "action_size": module.action_size,
        "discrete": module.discrete,
        "hidden_size": module.hidden_size,
        "activation": getattr(module, "activation", "tanh"),
        "critic_size": getattr(module, "critic_size", module.observation_size),
        "state_dict": module.state_dict(),
    }
    if getattr(module, "offer_head", None) is not None:
        saved["offer_head"] = module.offer_head.to_dict()
    with atomic_path(path) as temporary:
        torch.save(saved, temporary)


def read_torch_file(path: str | Path, what: str) -> Any:
    """``torch.load`` with ``weights_only=True``: tensors, numbers, strings, bytes and containers only, so a
    file cannot run code when it is read. Anything else (a pickled object, garbage, a truncated file) raises
    ``ValueError`` with one line naming ``path``."""
    import torch

    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except OSError as error:
        raise ValueError(f"{what}: cannot read {path}: {error.strerror or error}") from None
    except Exception as error:  # pickle, zip and torch errors: the file is not what it claims to be
        raise ValueError(f"{what}: {path} is not a valid file ({load_failure(error)})") from None


def load_failure(error: BaseException) -> str:
    """Why a weights-only load failed, in a few words (torch's own message runs over many lines)."""
    text = str(error)
    if "GLOBAL" in text or "global" in text:
        return "it holds pickled Python objects, which could run code, so it is not loaded"
    if "Weights only load failed" in text or isinstance(error, (EOFError, RuntimeError)):
        return "not a torch file, or truncated or corrupt"
    return (text.strip().splitlines() or [type(error).__name__])[0][:200]


def load_torch_player(path: str | Path, env: Any, role: Role) -> TorchPolicy:
    """The player saved by :func:`save_torch_player` at ``path``, read without unpickling any code.

    A whole pickled ``torch.nn.Module`` is refused (loading one runs code from the file): save its
    ``state_dict`` and wrap the rebuilt module in :class:`TorchPolicy` instead.
    """
    from infobargain.agents.networks import ACTIVATIONS, ActorCritic, OfferLayout

    saved = read_torch_file(path, "policy")
    if not isinstance(saved, dict) or saved.get("format") != PLAYER_FORMAT:
        raise ValueError(f"policy: {path} is not a saved infobargain player (save_torch_player writes one)")
    for key, kind in _PLAYER_FIELDS.items():
        if not isinstance(saved.get(key), kind) or (kind is int and isinstance(saved[key], bool)):
            raise ValueError(f"policy: {path} has no valid {key!r} entry; it is not a complete saved player")
    expected = env.unwrapped.observation_layout.size
    if saved["observation_size"] != expected:
        raise ValueError(
            f"policy: {path} was trained on observations of size {saved['observation_size']}, this env has {expected}"
        )
    if min(saved["action_size"], saved["hidden_size"]) < 1:
        raise ValueError(f"policy: {path} has a non-positive network size; it is not a valid saved player")
    activation = saved.get("activation", "tanh")  # players saved before these options existed
    critic_size = saved.get("critic_size", saved["observation_size"])
    if activation not in ACTIVATIONS or isinstance(critic_size, bool) or not isinstance(critic_size, int):
        raise ValueError(f"policy: {path} has an invalid 'activation' or 'critic_size' entry")
    offer_head = saved.get("offer_head")  # players saved before offer heads have none
    fields = OfferLayout.__dataclass_fields__
    if offer_head is not None and not (
        isinstance(offer_head, dict)
        and offer_head.keys() == fields.keys()
        and all(isinstance(value, int) and not isinstance(value, bool) for value in offer_head.values())
    ):
        raise ValueError(f"policy: {path} has an invalid 'offer_head' entry (integers {', '.join(fields)})")
    try:
        network = ActorCritic(
            saved["observation_size"],
            saved["action_size"],
            saved["discrete"],
            saved["hidden_size"],
            activation,
            critic_size,
            offer_head=None if offer_head is None else OfferLayout(**offer_head),
        )
        network.load_state_dict(saved["state_dict"])
    except (RuntimeError, TypeError, KeyError, ValueError) as error:
        reason = str(error).strip().splitlines()[0][:200]
        raise ValueError(f"policy: {path} holds weights that do not fit its network ({reason})") from None
    return TorchPolicy(network, env, role, spec=str(path))
