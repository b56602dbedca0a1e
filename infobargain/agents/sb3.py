"""Stable-Baselines3 (and sb3-contrib) models as players, and how they are saved.

A trained SB3 model acts on the observation *vector*; :class:`SB3Policy` gives it the library's
:class:`~infobargain.agents.base.Policy` interface: it passes whenever the agent has nothing to decide (the
opponent's turns, the realization stage), keeps discrete actions legal by masking the action distribution
with ``observation["action_mask"]`` (MaskablePPO's own rule, applied to any discrete actor-critic), and acts
greedily by default.

**Saved players.** A player is the model's ordinary SB3 zip (``model.save``) with one extra entry,
``infobargain.json``, naming the algorithm class (``{"format": "infobargain-sb3", "algorithm":
"MaskablePPO", ...}``): SB3 ignores entries it does not know, so the file still loads with
``MaskablePPO.load``, and :func:`load_sb3_player` knows which class to load it with. A zip saved by plain SB3
(no such entry) is recognised from the policy class recorded in its ``data`` entry (sb3-contrib's maskable
policies: MaskablePPO; SAC's and TD3's policies; the shared actor-critic policies: PPO, which also plays
A2C models, whose policies are the same).
"""

from __future__ import annotations

import importlib
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.agents.base import BoundPolicy, Observation
from infobargain.envs.offers import ACCEPT
from infobargain.game.protocol import Role

METADATA_ENTRY = "infobargain.json"
"""The zip entry that names the algorithm of a saved player."""
METADATA_FORMAT = "infobargain-sb3"
ALGORITHMS: dict[str, str] = {
    "MaskablePPO": "sb3_contrib:MaskablePPO",
    "PPO": "stable_baselines3:PPO",
    "A2C": "stable_baselines3:A2C",
    "SAC": "stable_baselines3:SAC",
    "TD3": "stable_baselines3:TD3",
}
"""Algorithms a saved player may use, by class name (imported only when needed)."""
_POLICY_MODULES: tuple[tuple[str, str], ...] = (
    ("sb3_contrib.common.maskable", "MaskablePPO"),
    ("stable_baselines3.sac", "SAC"),
    ("stable_baselines3.td3", "TD3"),
    ("stable_baselines3.common.policies", "PPO"),
)
_INFERENCE_ONLY = {"learning_rate": 0.0, "lr_schedule": lambda _: 0.0, "clip_range": lambda _: 0.0}
"""Loading a player for play never needs the training schedules (which may not unpickle elsewhere)."""


def algorithm_class(name: str) -> Any:
    """The SB3 / sb3-contrib class called ``name``."""
    if name not in ALGORITHMS:
        raise ValueError(f"algorithm: unknown SB3 algorithm {name!r} (known: {', '.join(ALGORITHMS)})")
    module, _, attribute = ALGORITHMS[name].partition(":")
    return getattr(importlib.import_module(module), attribute)


class SB3Policy(BoundPolicy):
    """A Stable-Baselines3 model as a player of ``role``.

    ``deterministic=True`` (the default) plays the mode of the policy: the most likely legal action for
    discrete offers, the mean action for the ``"scheme"`` encoding. With ``deterministic=False`` actions are
    drawn with the player's own generator (seeded by :meth:`reset`, at 0 before): discrete ones from the masked
    distribution, continuous ones by SB3 under a torch seed drawn from that generator (torch's global generator
    is left as it was).
    """

    def __init__(self, model: Any, env: Any, role: Role, *, deterministic: bool = True, spec: str = "sb3") -> None:
        super().__init__(env, role)
        expected = self.env.observation_layout.size
        shape = getattr(model.observation_space, "shape", None)
        if shape != (expected,):
            raise ValueError(
                f"policy: the {type(model).__name__} model observes vectors of shape {shape}, this env's are ({expected},)"
            )
        self.model = model
        self.deterministic = deterministic
        self.spec = spec
        self.discrete = self.env.encoding.name != "scheme"

    # acting

    def act(self, observation: Observation) -> Any:
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return self.passing
        if self.discrete:
            probabilities = self.distribution(observation)
            if self.deterministic:
                return int(np.argmax(probabilities))
            return int(self.rng.choice(len(probabilities), p=probabilities))
        return np.clip(np.asarray(self._continuous(observation), dtype=np.float64).reshape(-1), -1.0, 1.0)

    def _continuous(self, observation: Observation) -> Any:
        vector = np.asarray(observation["observation"])
        if self.deterministic:
            return self.model.predict(vector, deterministic=True)[0]
        import torch

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self.rng.integers(2**63)))
            return self.model.predict(vector, deterministic=False)[0]

    def distribution(self, observation: Observation) -> NDArray[np.float64]:
        """The policy's probabilities over the Discrete actions, illegal ones masked out (discrete encodings)."""
        import torch

        if not self.discrete:
            raise ValueError("policy: the 'scheme' encoding has continuous actions, no action distribution")
        policy = self.model.policy
        if not hasattr(policy, "get_distribution"):
            raise ValueError(f"policy: {type(self.model).__name__} has no action distribution to mask")
        mask = np.asarray(observation["action_mask"], dtype=bool)
        with torch.no_grad():
            tensor, _ = policy.obs_to_tensor(np.asarray(observation["observation"]))
            logits = policy.get_distribution(tensor).distribution.logits[0].double().numpy()
        logits = np.where(mask, logits, -np.inf)
        weights = np.exp(logits - logits.max())
        return weights / weights.sum()  # type: ignore[no-any-return]

    def action_probabilities(self, observation: Observation) -> NDArray[np.float64]:
        """What :meth:`act` plays, as probabilities over the Discrete actions (exact exploitability reads this):
        one-hot when deterministic or when the agent only passes, else the masked distribution."""
        now = self.situation(observation)
        size = len(observation["action_mask"])
        if not (now.my_turn and now.bargaining):
            return np.eye(size)[ACCEPT]  # type: ignore[no-any-return]
        probabilities = self.distribution(observation)
        return np.eye(size)[int(np.argmax(probabilities))] if self.deterministic else probabilities  # type: ignore[no-any-return]

    def save(self, path: str | Path) -> None:
        save_sb3_player(self.model, path, role=self.role)


# saving and loading


def model_bytes(model: Any, role: Role | None = None) -> bytes:
    """The model as a saved player's zip, in memory (what :func:`save_sb3_player` writes)."""
    buffer = io.BytesIO()
    model.save(buffer)
    metadata = {
        "format": METADATA_FORMAT,
        "algorithm": type(model).__name__,
        "role": role,
        "observation_shape": list(model.observation_space.shape),
        "action_space": repr(model.action_space),
    }
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(METADATA_ENTRY, json.dumps(metadata))
    return buffer.getvalue()


def save_sb3_player(model: Any, path: str | Path, *, role: Role | None = None) -> Path:
    """Write ``model`` as a player zip at ``path`` atomically (a reader never sees a half-written file)."""
    path = Path(path)
    if path.suffix != ".zip":
        raise ValueError(f"policy: an SB3 player is saved as a .zip, got {path}")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(model_bytes(model, role))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path


def saved_algorithm(source: str | Path | bytes) -> str:
    """The algorithm class name of a saved model: from its ``infobargain.json`` entry, else its policy class."""
    opened = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(opened) as archive:
            names = archive.namelist()
            if METADATA_ENTRY in names:
                return str(json.loads(archive.read(METADATA_ENTRY))["algorithm"])
            data = json.loads(archive.read("data")) if "data" in names else {}
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        raise ValueError(f"policy: {_label(source)} is not a Stable-Baselines3 model zip") from None
    module = str(data.get("policy_class", {}).get("__module__", ""))
    for prefix, name in _POLICY_MODULES:
        if module.startswith(prefix):
            return name
    raise ValueError(
        f"policy: cannot tell which SB3 algorithm saved {_label(source)} (policy module {module!r}); "
        f"supported: {', '.join(ALGORITHMS)}"
    )


def load_sb3_model(source: str | Path | bytes, env: Any = None, *, for_play: bool = False, **kwargs: Any) -> Any:
    """Load a saved model (a path or the zip's bytes) with its own algorithm class, on the CPU.

    ``env`` (a VecEnv) is attached for further training; ``for_play`` skips the training schedules.
    """
    cls = algorithm_class(saved_algorithm(source))
    opened = io.BytesIO(source) if isinstance(source, bytes) else source
    custom = _INFERENCE_ONLY if for_play else None
    return cls.load(opened, env=env, device="cpu", custom_objects=custom, **kwargs)


def load_sb3_player(path: str | Path, env: Any, role: Role, *, deterministic: bool = True) -> SB3Policy:
    """The player saved at ``path`` (an SB3 zip), playing ``role`` in ``env``."""
    model = load_sb3_model(path, for_play=True)
    return SB3Policy(model, env, role, deterministic=deterministic, spec=str(path))


def _label(source: str | Path | bytes) -> str:
    return "the model bytes" if isinstance(source, bytes) else str(source)
