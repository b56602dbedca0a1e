"""PettingZoo's order enforcement for ``env()``, reading the game in fewer hops.

PettingZoo's :class:`~pettingzoo.utils.wrappers.OrderEnforcingWrapper` forwards every attribute read through
two ``__getattr__`` calls, and its ``last()`` makes six such reads per step; in a game whose steps are cheap
that forwarding is much of ``env()``'s cost (``benchmarks/bench_env.py`` measures it). This subclass keeps
PettingZoo's wrapper, its step, iterator and errors, and changes only how reads reach the wrapped env, through
public attributes: ``last()`` is answered by the wrapped env in one call, and the attributes read on every
step are class-level properties whose getters are attribute chains evaluated in C.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from pettingzoo import AECEnv
from pettingzoo.utils import wrappers


def _after_reset(name: str) -> property:
    """The wrapped env's attribute ``name``, read through :attr:`OrderEnforcingWrapper.reset_env`. Before
    ``reset()`` that is ``None``, so the getter raises ``AttributeError`` and Python falls back to PettingZoo's
    ``__getattr__``, which raises PettingZoo's own error."""
    return property(attrgetter(f"reset_env.{name}"), doc=f"The wrapped env's ``{name}`` (after ``reset()``).")


class OrderEnforcingWrapper(wrappers.OrderEnforcingWrapper):  # type: ignore[type-arg]
    """PettingZoo's order enforcement with the reads of every step answered directly by the wrapped env."""

    agents = _after_reset("agents")
    agent_selection = _after_reset("agent_selection")
    rewards = _after_reset("rewards")
    terminations = _after_reset("terminations")
    truncations = _after_reset("truncations")
    infos = _after_reset("infos")
    num_agents = _after_reset("num_agents")

    def __init__(self, env: AECEnv) -> None:
        self.reset_env: AECEnv | None = None
        """The wrapped env once ``reset()`` has been called, ``None`` before."""
        super().__init__(env)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        self.reset_env = self.env
        super().reset(seed=seed, options=options)

    def last(self, observe: bool = True) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if self.reset_env is None:
            raise AttributeError("agent_selection cannot be accessed before reset")
        return self.reset_env.last(observe)  # type: ignore[no-any-return]
