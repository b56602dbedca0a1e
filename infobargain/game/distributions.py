"""Distributions of games: what ``game=`` names when the players should meet a new instance every episode.

A game is either one game (a scenario name, an instance file, an :class:`Instance` or a :class:`SplitPie`) or
a distribution of persuasion instances, spelled in one of these ways (env ``game=``, TOML ``[env] game``,
``--game``):

==============================  ============================================================================
spelling                        distribution
==============================  ============================================================================
``"random:SxA"``                a fresh random instance every episode, from the env's generator: the law of
                                :func:`~infobargain.game.instance.random_instance` (Dirichlet(1) prior floored
                                at 1e-3, utilities uniform on [-1, 1]); ``"random:SxA:SEED"`` stays one game
``"random:S1-S2xA1-A2"``        mixed sizes: a size drawn uniformly from every ``S × A`` in the ranges, then a
                                random instance of it (needs the env's ``observation="menu"``, the one
                                observation whose size does not depend on the game's)
``"family:NAME"``               a named family, uniform over its members: ``family:paper`` (the paper's
                                three scenarios), ``family:signaling`` (those and the prosecutor)
a folder                        uniform over every ``*.json`` instance file in it (sorted by name)
a list (Python, TOML array)     uniform over the listed games (scenario names or instance files)
a callable ``f(np_random)``     a Python sampler returning an :class:`Instance` each call
==============================  ============================================================================

Every instance of a distribution other than a mixed-size one has the same numbers of states, actions and
signals (the spaces of an env are fixed); finite sets are checked when they are built, samplers at every draw.
Errors name the offending instance or file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.game.instance import Instance, InstanceError
from infobargain.game.pie import SplitPie
from infobargain.game.scenarios import PAPER_SCENARIOS, scenario

Shape = tuple[int, int, int]
"""``(states, actions, signals)`` of every instance of a distribution."""

FAMILIES: dict[str, tuple[str, ...]] = {
    "paper": PAPER_SCENARIOS,
    "signaling": (*PAPER_SCENARIOS, "prosecutor"),
}
PRIOR_FLOOR = 1e-3
"""Random priors are floored here (then renormalised) so that every state matters numerically."""


def shape_of(instance: Instance) -> Shape:
    return (instance.n_states, instance.n_actions, instance.signals)


class InstanceDistribution:
    """A distribution of persuasion instances of one shape; ``sample`` draws one from a generator."""

    name: str
    shape: Shape

    def sample(self, rng: np.random.Generator) -> Instance:
        raise NotImplementedError

    def describe(self) -> str:
        states, actions, signals = self.shape
        return f"{self.name} ({states} states, {actions} actions, {signals} signals)"


class RandomInstances(InstanceDistribution):
    """Fresh random ``S × A`` instances, drawn in batches as arrays for the vector env."""

    def __init__(self, n_states: int, n_actions: int) -> None:
        if n_states < 1 or n_actions < 1:
            raise InstanceError(f"game: random:{n_states}x{n_actions} needs at least one state and one action")
        self.n_states, self.n_actions = n_states, n_actions
        self.name = f"random:{n_states}x{n_actions}"
        self.shape = (n_states, n_actions, n_actions)

    def sample_arrays(
        self, rng: np.random.Generator, count: int
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """``count`` instances as ``(prior [n, S], sender_utility [n, S, A], receiver_utility [n, S, A])``.

        Each instance is one row of uniform draws (a Dirichlet(1) prior is normalised Exp(1) draws), so drawing
        ``a`` then ``b`` instances gives the same instances as drawing ``a + b`` at once: the vector env may
        build them in chunks of any size without changing what it plays."""
        states, table = self.n_states, self.n_states * self.n_actions
        uniform = rng.random((count, states + 2 * table))
        prior = np.maximum(-np.log1p(-uniform[:, :states]), 1e-300)  # Exp(1); the floor keeps a sum above 0
        prior /= prior.sum(axis=1, keepdims=True)
        prior = np.maximum(prior, PRIOR_FLOOR)
        prior /= prior.sum(axis=1, keepdims=True)
        shape = (count, self.n_states, self.n_actions)
        sender = (2.0 * uniform[:, states : states + table] - 1.0).reshape(shape)
        receiver = (2.0 * uniform[:, states + table :] - 1.0).reshape(shape)
        return prior, sender, receiver

    def sample(self, rng: np.random.Generator) -> Instance:
        prior, sender, receiver = self.sample_arrays(rng, 1)
        return Instance(prior[0], sender[0], receiver[0], name=f"{self.name} draw")


class RandomSizes(InstanceDistribution):
    """Random instances of mixed sizes: a size drawn uniformly from :attr:`members`, then an instance of it.

    Its instances have different shapes, so only an observation whose size does not depend on the game's (the
    env's ``observation="menu"``) can show them; :attr:`shape` is the largest member's. The vector env plays one
    batch per size (:class:`~infobargain.envs.mixture.MixedVectorEnv`)."""

    def __init__(self, states: Sequence[int], actions: Sequence[int]) -> None:
        self.members = tuple(RandomInstances(s, a) for s in states for a in actions)
        self.name = f"random:{_span(states)}x{_span(actions)}"
        self.shape = max(member.shape for member in self.members)

    def describe(self) -> str:
        sizes = ", ".join(f"{m.n_states}×{m.n_actions}" for m in self.members)
        return f"{self.name} (random instances of {sizes}, one size drawn uniformly per instance)"

    def size_dependent_notice(self, where: str) -> str:
        """The one line that refuses this distribution where the observation depends on the game's size."""
        small, large = self.members[0], self.members[-1]
        return (
            f"game: {self.name} mixes sizes ({small.name} … {large.name}) but {where} depends on the size (prior, "
            "utilities, schemes): a 2×2 game and a larger one would need different observations; use "
            "observation='menu' (offer_space='frontier'), whose size is the same for every game"
        )

    def sample(self, rng: np.random.Generator) -> Instance:
        return self.members[int(rng.integers(len(self.members)))].sample(rng)


def _span(sizes: Sequence[int]) -> str:
    return str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"


class InstanceSet(InstanceDistribution):
    """Uniform over a finite list of instances of one shape."""

    def __init__(self, instances: Sequence[Instance], name: str, sources: Sequence[str] | None = None) -> None:
        if not instances:
            raise InstanceError(f"game: {name} holds no instances")
        sources = list(sources) if sources is not None else [member.name for member in instances]
        self.members = tuple(instances)
        self.name = name
        self.shape = shape_of(self.members[0])
        for member, source in zip(self.members, sources, strict=True):
            if shape_of(member) != self.shape:
                raise InstanceError(
                    f"game: {source} has shape {shape_of(member)} (states, actions, signals), but {sources[0]} has "
                    f"{self.shape}; every instance of a distribution needs the same shape"
                )

    def sample(self, rng: np.random.Generator) -> Instance:
        return self.members[int(rng.integers(len(self.members)))]

    def sample_indices(self, rng: np.random.Generator, count: int) -> NDArray[np.intp]:
        """Which member each of ``count`` draws picks (the vector env gathers precomputed tables with them)."""
        return rng.integers(len(self.members), size=count).astype(np.intp)


class SamplerDistribution(InstanceDistribution):
    """A user's sampler ``f(np_random) -> Instance``, checked at every draw."""

    def __init__(self, sampler: Callable[[np.random.Generator], Instance]) -> None:
        self.sampler = sampler
        self.name = f"sampler '{getattr(sampler, '__qualname__', type(sampler).__name__)}'"
        self.shape = shape_of(self.sample(np.random.default_rng(0), check_shape=False))

    def sample(self, rng: np.random.Generator, check_shape: bool = True) -> Instance:
        try:
            drawn = self.sampler(rng)
        except Exception as error:
            raise InstanceError(f"game: {self.name} raised {type(error).__name__}: {error}") from error
        if not isinstance(drawn, Instance):
            raise InstanceError(f"game: {self.name} must return an Instance, got {type(drawn).__name__}")
        if check_shape and shape_of(drawn) != self.shape:
            raise InstanceError(
                f"game: {self.name} drew instance {drawn.name!r} of shape {shape_of(drawn)}, expected "
                f"{self.shape} (states, actions, signals) every time"
            )
        return drawn


GameSource = Instance | SplitPie | InstanceDistribution


def resolve_game(game: Any) -> GameSource:
    """One game, or a distribution of them, from any spelling the env card and the module docstring list."""
    if isinstance(game, (Instance, SplitPie, InstanceDistribution)):
        return game
    if isinstance(game, (list, tuple)):
        return _instance_list(game)
    if isinstance(game, Path) or (isinstance(game, str) and (game.endswith(".json") or Path(game).is_dir())):
        path = Path(game)
        return _folder(path) if path.is_dir() else Instance.load(path)
    if isinstance(game, str):
        return _named(game)
    if callable(game):
        return SamplerDistribution(game)
    raise InstanceError(
        "game: expected a scenario name, an instance file, a folder, a list, 'random:SxA', 'family:NAME', an "
        f"Instance, a SplitPie or a sampler, got {game!r}"
    )


def _named(name: str) -> GameSource:
    if name.startswith("family:"):
        family = name.partition(":")[2]
        if family not in FAMILIES:
            raise InstanceError(f"game: unknown family {family!r} (known: {', '.join(FAMILIES)})")
        members = [scenario(member) for member in FAMILIES[family]]
        return InstanceSet([m for m in members if isinstance(m, Instance)], name)
    parts = name.split(":")
    if parts[0] == "random" and len(parts) == 2:
        try:
            states, actions = (_range(n) for n in parts[1].lower().split("x"))
        except ValueError:
            raise InstanceError(
                f"game: {name!r} is not of the form random:SxA or random:S1-S2xA1-A2 (e.g. random:2x2, random:2-4x2-4)"
            ) from None
        if len(states) == len(actions) == 1:
            return RandomInstances(states[0], actions[0])
        return RandomSizes(states, actions)
    return scenario(name)


def _range(spelled: str) -> list[int]:
    """``"3"`` → ``[3]``; ``"2-4"`` → ``[2, 3, 4]`` (``ValueError`` for anything else, or an empty range)."""
    low, dash, high = spelled.partition("-")
    first, last = int(low), int(high) if dash else int(low)
    if first < 1 or last < first:
        raise ValueError(spelled)
    return list(range(first, last + 1))


def _folder(path: Path) -> InstanceSet:
    files = sorted(path.glob("*.json"))
    if not files:
        raise InstanceError(f"game: the folder {path} holds no instance files (*.json)")
    return InstanceSet([Instance.load(file) for file in files], f"folder {path}", [str(file) for file in files])


def _instance_list(games: Sequence[Any]) -> InstanceSet:
    members: list[Instance] = []
    for game in games:
        if not isinstance(game, (str, Path, Instance)):
            raise InstanceError(f"game: a list of games holds scenario names or instance files, got {game!r}")
        member = resolve_game(game)
        if not isinstance(member, Instance):
            raise InstanceError(f"game: {game} in the list is not one persuasion instance")
        members.append(member)
    return InstanceSet(members, f"list of {len(members)} games", [str(game) for game in games])
