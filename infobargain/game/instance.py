"""A finite Bayesian-persuasion instance: states, actions, prior and both players' utilities.

The JSON form is docs/design.md contract 1::

    {"name": str, "states": [str], "actions": [str], "prior": [float],
     "sender_utility": [[float]], "receiver_utility": [[float]], "signals": int (optional)}

with utilities indexed ``[state][action]``. Every malformed input raises :class:`InstanceError`
whose message starts with the offending field.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

PRIOR_TOLERANCE = 1e-9
"""How far the prior may sum from 1 (it is then renormalised exactly)."""
MAX_UTILITY = 1e100
"""The largest utility magnitude: the polygon geometry squares utilities, which must stay finite."""

_FIELDS = ("name", "states", "actions", "prior", "sender_utility", "receiver_utility", "signals")


class InstanceError(ValueError):
    """A persuasion instance (or its file) is malformed; the message names the field."""


def _names(field: str, names: Sequence[str] | None, count: int, prefix: str) -> tuple[str, ...]:
    if names is None:
        return tuple(f"{prefix}{i}" for i in range(count))
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise InstanceError(f"{field}: must be a list of strings")
    names = tuple(names)
    if len(names) != count:
        raise InstanceError(f"{field}: has {len(names)} names but the utilities have {count}")
    if len(set(names)) != len(names):
        raise InstanceError(f"{field}: names must be distinct")
    return names


def _json_numbers(field: str, value: Any, depth: int) -> None:
    """``value`` is a list of numbers (``depth`` 1) or a list of lists of numbers (``depth`` 2), as JSON gives
    them: no strings and no booleans (numpy would silently read ``"0.5"`` and ``true`` as numbers), and nothing
    nested deeper."""
    shape = "a list of numbers" if depth == 1 else "a [state][action] table of numbers"
    rows = [value] if depth == 1 else value
    if not isinstance(value, list) or not all(isinstance(row, list) for row in rows):
        raise InstanceError(f"{field}: must be {shape}")
    for row in rows:
        for item in row:
            if isinstance(item, bool) or not isinstance(item, numbers.Real):
                shown = repr(item)[:40] if isinstance(item, (str, bool)) else f"a {type(item).__name__}"
                raise InstanceError(f"{field}: must be {shape}, found {shown}")


def _finite_matrix(field: str, value: ArrayLike) -> NDArray[np.float64]:
    try:
        matrix = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InstanceError(f"{field}: must be a [state][action] table of numbers") from None
    if matrix.ndim != 2:
        raise InstanceError(f"{field}: must be a [state][action] table, got {matrix.ndim} dimension(s)")
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise InstanceError(f"{field}: needs at least one state and one action")
    if not np.all(np.isfinite(matrix)):
        raise InstanceError(f"{field}: contains NaN or infinity")
    if np.abs(matrix).max() > MAX_UTILITY:
        raise InstanceError(
            f"{field}: utilities must lie within ±{MAX_UTILITY:g} (the geometry squares them), got "
            f"{matrix.flat[np.abs(matrix).argmax()]:g}; rescale them"
        )
    matrix.setflags(write=False)
    return matrix


class Instance:
    """One persuasion instance (docs/theory.md §1). Immutable once built.

    Args:
        prior: probability of each state, on the simplex.
        sender_utility: ``u_S[state][action]``.
        receiver_utility: ``u_R[state][action]``.
        states: state names (default ``s0, s1, ...``).
        actions: action names (default ``a0, a1, ...``).
        name: a label for reports.
        signals: number of signals the sender may use (default: one per action, which loses
            nothing by the revelation principle); at least 2.
    """

    __slots__ = ("actions", "name", "prior", "receiver_utility", "sender_utility", "signals", "states")

    def __init__(
        self,
        prior: ArrayLike,
        sender_utility: ArrayLike,
        receiver_utility: ArrayLike,
        *,
        states: Sequence[str] | None = None,
        actions: Sequence[str] | None = None,
        name: str = "instance",
        signals: int | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise InstanceError("name: must be a non-empty string")
        u_sender = _finite_matrix("sender_utility", sender_utility)
        u_receiver = _finite_matrix("receiver_utility", receiver_utility)
        if u_sender.shape != u_receiver.shape:
            raise InstanceError(
                f"receiver_utility: shape {u_receiver.shape} differs from sender_utility {u_sender.shape}"
            )
        n_states, n_actions = u_sender.shape
        try:
            belief = np.array(prior, dtype=np.float64)
        except (TypeError, ValueError):
            raise InstanceError("prior: must be a list of numbers") from None
        if belief.ndim != 1 or belief.size != n_states:
            raise InstanceError(f"prior: needs one probability per state ({n_states}), got shape {belief.shape}")
        if not np.all(np.isfinite(belief)):
            raise InstanceError("prior: contains NaN or infinity")
        if np.any(belief < 0):
            raise InstanceError("prior: probabilities must be non-negative")
        if abs(belief.sum() - 1.0) > PRIOR_TOLERANCE:
            raise InstanceError(f"prior: must sum to 1, sums to {belief.sum():.12g}")
        belief = belief / belief.sum()
        belief.setflags(write=False)
        if signals is None:
            signals = max(n_actions, 2)
        if isinstance(signals, bool) or not isinstance(signals, (int, np.integer)):
            raise InstanceError("signals: must be an integer")
        if signals < 2:
            raise InstanceError(f"signals: needs at least 2 signals, got {signals}")
        self.prior = belief
        self.sender_utility = u_sender
        self.receiver_utility = u_receiver
        self.states = _names("states", states, n_states, "s")
        self.actions = _names("actions", actions, n_actions, "a")
        self.name = name
        self.signals = int(signals)

    def __setattr__(self, key: str, value: Any) -> None:
        if hasattr(self, key):
            raise AttributeError(f"Instance is immutable: cannot set {key!r}")
        object.__setattr__(self, key, value)

    @property
    def n_states(self) -> int:
        return self.prior.size

    @property
    def n_actions(self) -> int:
        return self.sender_utility.shape[1]

    def __repr__(self) -> str:
        return f"Instance(name={self.name!r}, states={self.n_states}, actions={self.n_actions}, signals={self.signals})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Instance):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    # JSON (docs/design.md contract 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "states": list(self.states),
            "actions": list(self.actions),
            "prior": self.prior.tolist(),
            "sender_utility": self.sender_utility.tolist(),
            "receiver_utility": self.receiver_utility.tolist(),
            "signals": self.signals,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Instance:
        if not isinstance(data, dict):
            raise InstanceError("instance: must be a JSON object")
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise InstanceError(f"{unknown[0]}: unknown field (expected {', '.join(_FIELDS)})")
        for field in ("prior", "sender_utility", "receiver_utility"):
            if field not in data:
                raise InstanceError(f"{field}: missing")
        for field in ("states", "actions"):
            if field in data and not isinstance(data[field], list):
                raise InstanceError(f"{field}: must be a list of strings")
        _json_numbers("prior", data["prior"], 1)
        _json_numbers("sender_utility", data["sender_utility"], 2)
        _json_numbers("receiver_utility", data["receiver_utility"], 2)
        return cls(
            data["prior"],
            data["sender_utility"],
            data["receiver_utility"],
            states=data.get("states"),
            actions=data.get("actions"),
            name=data.get("name", "instance"),
            signals=data.get("signals"),
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Instance:
        try:
            text = Path(path).read_text()
        except OSError as error:
            raise InstanceError(f"instance file: cannot read {path}: {error.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InstanceError(f"instance file: {path} is not valid JSON ({error})") from None
        except RecursionError:
            raise InstanceError(f"instance file: {path} is nested too deeply to be an instance") from None
        return cls.from_dict(data)


def random_instance(
    n_states: int,
    n_actions: int,
    seed: int | None = None,
    *,
    signals: int | None = None,
    name: str | None = None,
) -> Instance:
    """A random instance: Dirichlet(1) prior, utilities uniform on [-1, 1], reproducible by ``seed``."""
    if n_states < 1 or n_actions < 1:
        raise InstanceError("random instance: needs at least one state and one action")
    rng = np.random.default_rng(seed)
    prior = rng.dirichlet(np.ones(n_states))
    # Floor tiny probabilities so every state matters numerically.
    prior = np.maximum(prior, 1e-3)
    prior /= prior.sum()
    return Instance(
        prior,
        rng.uniform(-1.0, 1.0, (n_states, n_actions)),
        rng.uniform(-1.0, 1.0, (n_states, n_actions)),
        name=name or f"random_{n_states}x{n_actions}_seed{seed}",
        signals=signals,
    )
