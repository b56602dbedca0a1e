"""What the environments accept as an action, decided in one place.

The AEC env, the Parallel env, the Gymnasium views and the vector env read actions through these functions,
so they accept the same types with the same outcome: Python, NumPy and PyTorch numbers, scalars and arrays,
of the shape the space asks for (one integer per Discrete decision, one vector per ``"scheme"`` decision;
the vector env takes one per game). Two kinds of refusal:

- **malformed** (:attr:`ActionError.malformed`): not an action of the space at all: a wrong shape (a
  Discrete action wrapped in a list or a 1-element array, one action for a whole batch), or values that are
  not real numbers (strings, booleans, complex numbers, objects, masked arrays). A programming error: every
  env raises it, also where an illegal action only walks away (``illegal_action="disagree"``).
- **unplayable**: real numbers of the right shape that name no legal action: ``None``, NaN, infinity, a
  fraction such as 2.9, an integer outside the space, an action masked out now.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.game.state import ACCEPT, ALL_MOVES, FIRST_OFFER, NO_MOVES, REJECT, IllegalActionError

REAL_KINDS = "iuf"
"""NumPy dtype kinds that hold real numbers (signed and unsigned integers, floats)."""
BOX_SLACK = 1e-6
"""How far outside ``[-1, 1]`` a ``"scheme"`` entry may stray (float rounding of a value at the bound)."""


class ActionError(IllegalActionError):
    """An action the env cannot play: not in the action space, or not legal now. ``malformed`` marks one that is
    no action of the space at all (wrong shape, not real numbers), which every env raises, also where illegal
    actions walk away. A kind of the core's :class:`~infobargain.game.state.IllegalActionError`, so one ``except``
    catches what the env and the rules core refuse."""

    def __init__(self, message: str, *, malformed: bool = False) -> None:
        super().__init__(message)
        self.malformed = malformed


def numbers(action: Any, shape: tuple[int, ...], who: str, expected: str | None = None) -> NDArray[Any]:
    """``action`` as a NumPy array of real numbers of ``shape`` (its own integer or float dtype), converting
    PyTorch tensors (on any device); raises a malformed :class:`ActionError` for anything else. ``who`` starts
    the message (``"action: sender_0"``, ``"actions"``), ``expected`` says what was expected (default: numbers
    of ``shape``)."""
    array = action if type(action) is np.ndarray else _as_array(action, shape, who, expected)
    if array.dtype.kind not in REAL_KINDS:
        kind = {"b": "booleans", "c": "complex numbers"}.get(array.dtype.kind, f"values of type {array.dtype}")
        raise ActionError(
            f"{who} sent {kind} ({_short(action)}), expected {_expected(shape, expected)}", malformed=True
        )
    if array.shape != shape:
        hint = (
            "; a Discrete action is a single integer (e.g. int(action[0]))" if shape == () and array.size == 1 else ""
        )
        raise ActionError(
            f"{who} sent an array of shape {array.shape}, expected {_expected(shape, expected)}{hint}", malformed=True
        )
    return array


def _as_array(action: Any, shape: tuple[int, ...], who: str, expected: str | None) -> NDArray[Any]:
    """Anything but a plain NumPy array, as one (the type checks of :func:`numbers`)."""
    if action is None:
        raise ActionError(f"{who} sent None, expected {_expected(shape, expected)}")
    if isinstance(action, np.ma.MaskedArray):
        raise ActionError(f"{who} sent a masked array; send plain values (e.g. array.filled())", malformed=True)
    if isinstance(action, (str, bytes)):
        raise ActionError(f"{who} sent {_short(action)}, expected {_expected(shape, expected)}", malformed=True)
    if hasattr(action, "detach") and hasattr(action, "cpu"):  # a PyTorch tensor, wherever it lives
        action = action.detach().cpu().numpy()
    try:
        return np.asarray(action)
    except (TypeError, ValueError, OverflowError):
        raise ActionError(
            f"{who} sent {_short(action)}, expected {_expected(shape, expected)}", malformed=True
        ) from None


def discrete_action(action: Any, size: int, who: str) -> int:
    """``action`` as an index of ``Discrete(size)``: an integer, or a whole float, as a scalar (0-dimensional
    array or tensor included). Raises :class:`ActionError` otherwise."""
    if isinstance(action, (int, np.integer)) and not isinstance(action, (bool, np.bool_)):  # the common case
        if 0 <= action < size:
            return int(action)
        reason = ""
    else:
        value = numbers(action, (), who, f"an integer in Discrete({size})").item()
        if isinstance(value, int) and 0 <= value < size:
            return value
        if isinstance(value, float) and value.is_integer() and 0 <= value < size:
            return int(value)
        reason = "" if isinstance(value, int) or value.is_integer() else f" ({_fraction_reason(value)})"
    raise ActionError(f"{who} sent {_short(action)}, outside the action space Discrete({size}){reason}")


def discrete_actions(actions: Any, count: int, size: int, who: str) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """One ``Discrete(size)`` action per game of a batch of ``count``: the indices (0 where there is none) and
    which entries are actions of the space. Malformed input raises :class:`ActionError`."""
    values = numbers(actions, (count,), who)
    if values.dtype.kind == "f":
        valid = np.isfinite(values) & (values == np.floor(values)) & (values >= 0) & (values < size)
    else:
        valid = (values >= 0) & (values < size)
    return np.where(valid, values, 0).astype(np.intp), valid


def box_actions(actions: Any, shape: tuple[int, ...], who: str) -> NDArray[np.float64]:
    """``"scheme"`` actions of ``shape`` as contiguous floats; the caller checks they lie in ``[-1, 1]``
    (:func:`box_problem`)."""
    return np.ascontiguousarray(numbers(actions, shape, who), dtype=np.float64)


def box_problem(vector: NDArray[np.float64]) -> str | None:
    """Why ``vector`` is not a ``"scheme"`` action (``None``: it is one)."""
    if not np.all(np.isfinite(vector)):
        return "NaN or infinity"
    if np.any(np.abs(vector) > 1.0 + BOX_SLACK):
        return f"values outside [-1, 1] (max |a| = {np.abs(vector).max():.4g})"
    return None


def decision_masks(offers: int) -> tuple[NDArray[np.int8], ...]:
    """The action mask of each kind of decision the rules core allows (:meth:`State.moves`), by its ``index``, for
    a Discrete encoding with ``offers`` offers per proposer (read-only). ``NO_MOVES`` is the mask of a player with
    nothing to decide: ACCEPT, which passes."""
    masks = []
    for moves in ALL_MOVES:
        mask = np.zeros(FIRST_OFFER + offers, dtype=np.int8)
        mask[ACCEPT] = moves.accept or moves == NO_MOVES
        mask[REJECT] = moves.reject
        mask[FIRST_OFFER:] = moves.offer
        mask.setflags(write=False)
        masks.append(mask)
    return tuple(masks)


def _fraction_reason(value: float) -> str:
    return "not a whole number" if np.isfinite(value) else "not a finite number"


def _expected(shape: tuple[int, ...], expected: str | None) -> str:
    if expected is not None:
        return expected
    return "a single number" if shape == () else f"numbers of shape {shape}"


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters (a bad action may be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
