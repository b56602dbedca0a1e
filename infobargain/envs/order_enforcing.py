"""PettingZoo's order enforcement for ``env()``, reading the game in fewer hops.

PettingZoo's :class:`~pettingzoo.utils.wrappers.OrderEnforcingWrapper` forwards every attribute read through
two ``__getattr__`` calls, and its ``last()`` makes six such reads per step; in a game whose steps are cheap
that forwarding is most of ``env()``'s cost (``benchmarks/bench_env.py`` measures it). This subclass keeps
PettingZoo's wrapper, its step, iterator and errors, and changes only how reads reach the wrapped env, through
public attributes: ``last()`` is answered by the wrapped env in one call, and the per-step attributes are
class-level properties instead of ``__getattr__`` lookups. Before ``reset()`` they raise PettingZoo's error.
"""

from __future__ import annotations

from typing import Any

from pettingzoo import AECEnv
from pettingzoo.utils import wrappers


class _AfterReset:
    """An attribute of the wrapped env, read through the wrapper once it has been reset (PettingZoo's
    ``AttributeError`` before). A non-data descriptor, so assigning on the wrapper behaves as before."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, wrapper: Any, owner: type | None = None) -> Any:
        if wrapper is None:
            return self
        if not wrapper.reset_called:
            raise AttributeError(f"{self.name} cannot be accessed before reset")
        return getattr(wrapper.env, self.name)


class OrderEnforcingWrapper(wrappers.OrderEnforcingWrapper):  # type: ignore[type-arg]
    """PettingZoo's order enforcement with the reads of every step answered directly by the wrapped env."""

    agents = _AfterReset()
    agent_selection = _AfterReset()
    rewards = _AfterReset()
    terminations = _AfterReset()
    truncations = _AfterReset()
    infos = _AfterReset()
    num_agents = _AfterReset()

    def __init__(self, env: AECEnv) -> None:
        self.reset_called = False
        """Whether :meth:`reset` has been called (what the attributes above need before they answer)."""
        super().__init__(env)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        self.reset_called = True
        super().reset(seed=seed, options=options)

    def last(self, observe: bool = True) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if not self.reset_called:
            raise AttributeError("agent_selection cannot be accessed before reset")
        return self.env.last(observe)  # type: ignore[no-any-return]
