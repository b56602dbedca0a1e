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

**Loading never unpickles by default.** An SB3 zip stores some entries (the policy class, the spaces, the
schedules, buffers) as cloudpickle, which runs code from the file when read. :func:`load_sb3_model` rebuilds
each of those entries instead: the policy class from the algorithm's ``MlpPolicy`` (after checking the file
names that class), the spaces from the env (or the ``infobargain.json`` entry), constant schedules from
their recorded value, and run-time state (last observations, episode buffers, buffer classes) as empty;
the weights are read by SB3 with ``torch.load(weights_only=True)``. A zip holding any other pickled entry
(a custom policy, a schedule function, ...) is refused unless the caller trusts it: ``trusted=True`` or
the environment variable ``INFOBARGAIN_TRUST_PICKLE=1`` (documented opt-in; only for files you made or
trust, since loading such a file runs whatever code it carries). Off-policy models (SAC, TD3) rebuilt
this way continue training with ``train_freq=1`` (SB3's default, what :mod:`infobargain.training.sb3` uses).
"""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.agents.base import BoundPolicy, Observation
from infobargain.envs.information_bargaining_v1 import AGENTS
from infobargain.envs.offers import ACCEPT
from infobargain.files import atomic_write
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
TRUST_VARIABLE = "INFOBARGAIN_TRUST_PICKLE"
"""Set to ``1`` to let :func:`load_sb3_model` unpickle entries it cannot rebuild (trusted files only)."""
_EMPTY_ON_LOAD = frozenset(
    {
        "rollout_buffer_class",
        "replay_buffer_class",
        "_last_obs",
        "_last_original_obs",
        "_last_episode_starts",
        "ep_info_buffer",
        "ep_success_buffer",
    }
)
"""Pickled entries rebuilt as ``None``: SB3 picks the default buffer class and resets run-time state."""
_SCHEDULES = ("lr_schedule", "clip_range", "clip_range_vf")
_CONSTANT_SCHEDULE = re.compile(r"^ConstantSchedule\(val=([-+0-9.eE]+|inf|nan)\)$")


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
        "spaces": {
            "observation": describe_space(model.observation_space),
            "action": describe_space(model.action_space),
        },
    }
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(METADATA_ENTRY, json.dumps(metadata))
    return buffer.getvalue()


def save_sb3_player(model: Any, path: str | Path, *, role: Role | None = None) -> Path:
    """Write ``model`` as a player zip at ``path`` atomically (a reader never sees a half-written file)."""
    path = Path(path)
    if path.suffix != ".zip":
        raise ValueError(f"policy: an SB3 player is saved as a .zip, got {path}")
    atomic_write(path, model_bytes(model, role))
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
    except (OSError, zipfile.BadZipFile, KeyError, TypeError, ValueError, RecursionError):
        raise ValueError(f"policy: {_label(source)} is not a Stable-Baselines3 model zip") from None
    policy_class = data.get("policy_class") if isinstance(data, dict) else None
    module = str(policy_class.get("__module__", "")) if isinstance(policy_class, dict) else ""

    for prefix, name in _POLICY_MODULES:
        if module.startswith(prefix):
            return name
    raise ValueError(
        f"policy: cannot tell which SB3 algorithm saved {_label(source)} (policy module {module!r}); "
        f"supported: {', '.join(ALGORITHMS)}"
    )


def load_sb3_model(
    source: str | Path | bytes,
    env: Any = None,
    *,
    for_play: bool = False,
    spaces: tuple[Any, Any] | None = None,
    trusted: bool | None = None,
    **kwargs: Any,
) -> Any:
    """Load a saved model (a path or the zip's bytes) with its own algorithm class, on the CPU.

    ``env`` (a VecEnv) is attached for further training; ``for_play`` skips the training schedules.
    ``spaces`` (observation, action) rebuild the stored spaces when there is no ``env``; without either they
    come from the ``infobargain.json`` entry. Nothing is unpickled unless ``trusted`` (default: the
    ``INFOBARGAIN_TRUST_PICKLE`` environment variable is ``1``); see the module docstring.
    """
    label = _label(source)
    cls = algorithm_class(saved_algorithm(source))
    if trusted is None:
        trusted = os.environ.get(TRUST_VARIABLE) == "1"
    data, metadata = _stored_entries(source)
    if env is not None:
        spaces = (env.observation_space, env.action_space)
    elif spaces is None and "spaces" in metadata:
        spaces = _spaces_from_json(metadata["spaces"], label)
    if trusted:
        custom = _INFERENCE_ONLY if for_play else None
    else:
        custom = _rebuilt_entries(data, cls, spaces, label)
        if for_play:
            custom.update({key: value for key, value in _INFERENCE_ONLY.items() if key in data})
    opened = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        return cls.load(opened, env=env, device="cpu", custom_objects=custom, **kwargs)
    except Exception as error:  # SB3, zip, pickle and torch errors all mean the file is unusable
        from infobargain.agents.learned import load_failure

        raise ValueError(f"policy: cannot load {label} as a {cls.__name__} model ({load_failure(error)})") from None


def load_sb3_player(
    source: str | Path | bytes,
    env: Any,
    role: Role,
    *,
    deterministic: bool = True,
    trusted: bool | None = None,
    spec: str | None = None,
) -> SB3Policy:
    """The player saved at ``source`` (an SB3 zip, or its bytes as a checkpoint holds them), playing ``role`` in
    ``env``, loaded without unpickling (unless ``trusted``; see :func:`load_sb3_model`)."""
    game, agent = env.unwrapped, AGENTS[role]
    spaces = (game.observation_space(agent)["observation"], game.action_space(agent))
    model = load_sb3_model(source, for_play=True, spaces=spaces, trusted=trusted)
    return SB3Policy(model, env, role, deterministic=deterministic, spec=spec or _label(source))


def describe_space(space: Any) -> dict[str, Any]:
    """A Discrete or Box space as JSON (what ``infobargain.json`` records, so loading needs no pickle)."""
    import gymnasium

    if isinstance(space, gymnasium.spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, gymnasium.spaces.Box):
        return {"type": "Box", "low": space.low.tolist(), "high": space.high.tolist(), "dtype": str(space.dtype)}
    raise ValueError(f"policy: cannot describe the space {space!r}")


def _spaces_from_json(described: Any, label: str) -> tuple[Any, Any]:
    import gymnasium

    def build(entry: Any) -> Any:
        if isinstance(entry, dict) and entry.get("type") == "Discrete" and isinstance(entry.get("n"), int):
            return gymnasium.spaces.Discrete(entry["n"], start=int(entry.get("start", 0)))
        if isinstance(entry, dict) and entry.get("type") == "Box" and entry.get("dtype") in ("float32", "float64"):
            low, high = np.array(entry["low"], dtype=entry["dtype"]), np.array(entry["high"], dtype=entry["dtype"])
            return gymnasium.spaces.Box(low, high, dtype=entry["dtype"])
        raise ValueError(f"policy: {label} records a space this loader does not know: {str(entry)[:80]}")

    try:
        return build(described["observation"]), build(described["action"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"policy: {label} has a malformed spaces record ({str(error)[:120]})") from None


def _stored_entries(source: str | Path | bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The zip's ``data`` entry and its ``infobargain.json`` entry (empty if absent), as plain JSON."""
    opened = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(opened) as archive:
            names = archive.namelist()
            data = json.loads(archive.read("data"))
            metadata = json.loads(archive.read(METADATA_ENTRY)) if METADATA_ENTRY in names else {}
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, RecursionError):
        raise ValueError(f"policy: {_label(source)} is not a Stable-Baselines3 model zip") from None
    if not isinstance(data, dict) or not isinstance(metadata, dict):
        raise ValueError(f"policy: {_label(source)} is not a Stable-Baselines3 model zip")
    return data, metadata


def _rebuilt_entries(data: dict[str, Any], cls: Any, spaces: tuple[Any, Any] | None, label: str) -> dict[str, Any]:
    """A replacement for every pickled entry of ``data`` (SB3 then unpickles none), or ``ValueError``."""
    refuse = (
        f"policy: {label} stores a pickled {{}} that cannot be rebuilt without running code from the file; "
        f"if you trust the file, set {TRUST_VARIABLE}=1 (or pass trusted=True)"
    )
    rebuilt: dict[str, Any] = {}
    for key, value in data.items():
        if not (isinstance(value, dict) and ":serialized:" in value):
            continue
        if key == "policy_class":
            policy = cls.policy_aliases["MlpPolicy"]
            named = value.get("__module__") == policy.__module__ and str(value.get("__init__", "")).startswith(
                f"<function {policy.__name__}.__init__ "
            )
            if not named:
                raise ValueError(refuse.format("policy class (not the MlpPolicy of " + cls.__name__ + ")"))
            rebuilt[key] = policy
        elif key in ("observation_space", "action_space"):
            if spaces is None:
                raise ValueError(refuse.format(key.replace("_", " ")))
            space = spaces[0] if key == "observation_space" else spaces[1]
            _check_space(value, space, key, label)
            rebuilt[key] = space
        elif key in _SCHEDULES:
            match = _CONSTANT_SCHEDULE.match(str(value.get("value_schedule", "")))
            if match is None:
                raise ValueError(refuse.format(f"{key} (not a constant schedule)"))
            rebuilt[key] = float(match.group(1))
        elif key == "train_freq":
            rebuilt[key] = 1
        elif key in _EMPTY_ON_LOAD:
            rebuilt[key] = None
        else:
            raise ValueError(refuse.format(repr(key)))
    return rebuilt


def _check_space(stored: dict[str, Any], space: Any, key: str, label: str) -> None:
    """The stored space's readable fields (shape, ``n``) must agree with the space that replaces it."""
    shape = stored.get("_shape")
    if shape is not None and tuple(shape) != tuple(space.shape):
        noun = "observes vectors" if key == "observation_space" else "acts in a space"
        raise ValueError(f"policy: {label} {noun} of shape {tuple(shape)}, this env's are {tuple(space.shape)}")
    if "n" in stored and str(stored["n"]) != str(getattr(space, "n", None)):
        raise ValueError(f"policy: {label} has {stored['n']} actions, this env's {key.replace('_', ' ')} has {space}")


def _label(source: str | Path | bytes) -> str:
    return "the model bytes" if isinstance(source, bytes) else str(source)
