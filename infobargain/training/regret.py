"""Regret matching+ self-play: a no-regret learner for bargaining that learns from play alone.

Bargaining here is a perfect-information game, so a player's decision depends only on the situation
``(first proposer, round, offer on the table)`` (:class:`~infobargain.agents.tabular.SituationIndex`). Each
situation runs its own regret minimiser (regret matching+, Tammelin 2014): in a perfect-information game, no
regret at every decision node, with values taken *conditional on reaching the node*, is counterfactual regret
minimisation without the reach weights. No-regret dynamics of this kind converge in ultimatum and multi-round
bargaining (Kamp, Liebman and Fish 2025).

Read top to bottom, one **iteration**:

1. **Subgame starts** (rules only): every game of a batch starts in a situation drawn from those round-0 play
   can reach, with probability proportional to its number of legal actions, on
   :class:`~infobargain.envs.vector.VectorBargainingEnv` (one batch per first proposer the game allows).
2. **Sampled play**: the first decision of each game is uniform over the legal actions (exploring starts);
   every later one is drawn from the players' current strategies. Every decision counts against the budget.
3. **Values from play**: a decision's value is what its player got from that point on, read off the episode's
   payoff: in expected mode the env pays ``banked + unit · outcome``, so the value in the situation's own units
   is ``(payoff − banked so far) / unit`` (the core's :func:`~infobargain.game.state.in_round_units`, with
   the unit :attr:`~infobargain.envs.vector.VectorBargainingEnv.round_unit`: survival × discount so far). Each
   ``(situation, action)`` keeps a running estimate ``Q`` (sample mean, then an exponential average with step
   ``value_step``, since the continuation keeps changing).
4. **Regret matching+**: every situation adds ``Q(a) − Σ σ(a′) Q(a′)`` to its cumulative regrets, floors them
   at 0, and plays in proportion to them (uniform while all are 0).

Nothing in training reads the exact solver: values come from the env's payoffs only. The learned players are
the last iterate (:class:`~infobargain.agents.tabular.TabularPolicy`, stochastic where it still mixes).

**Named option ``accept_ties``** (on by default): a responder's probability on actions whose estimated value
equals accepting's, by the rules core's indifference rule (:func:`~infobargain.game.state.at_least` both ways:
equal up to its relative tolerance, float rounding), is moved to accepting, the convention of the exact SPE
(``docs/theory.md``: a responder indifferent between a deal and delay makes the deal). Moving mass between actions
of equal value changes no expected payoff, and values that differ by more than the tolerance are never compared
differently; without it a responder at an exact tie keeps mixing and the proposer learns to offer one grid step
more (an SPE of the discrete game, but not the one the library reports). It is reported in every leaderboard row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.agents.tabular import SituationIndex
from infobargain.envs.offers import ACCEPT, FIRST_OFFER
from infobargain.envs.vector import VectorBargainingEnv
from infobargain.game.protocol import ROLES
from infobargain.game.state import at_least_each, in_round_units
from infobargain.training.settings import setting


@dataclass
class RegretSettings:
    games: int = setting(512, low=1, high=10**6)
    """Games (episodes) per iteration."""
    value_step: float = setting(0.5, low=0, high=1, positive=True)
    """Floor of the step size of the value estimates: 1/n for the first 1/value_step samples, then constant."""
    accept_ties: bool = True
    """Resolve exact ties of a responder towards acceptance (see the module docstring)."""


@dataclass
class RegretResult:
    """The last iterate and what it cost."""

    probabilities: NDArray[np.float64]
    """``[situation, action]``: both players' strategies (each situation has one actor)."""
    decisions: int
    iterations: int
    wall_s: float
    snapshots: list[tuple[int, float, NDArray[np.float64]]] = field(default_factory=list)
    """``(decisions, wall seconds, strategies)`` taken every ``snapshot_every`` decisions."""


class RegretLearner:
    """The tables of one run and one iteration of learning (see the module docstring)."""

    def __init__(self, env_kwargs: Mapping[str, Any], settings: RegretSettings, seed: int) -> None:
        kwargs = {key: value for key, value in env_kwargs.items() if key != "render_mode"}
        setting = kwargs.get("first_proposer", "sender")
        self.firsts = [0, 1] if setting == "coin_flip" else [ROLES.index(setting)]
        self.kwargs = kwargs
        self.envs: dict[tuple[int, int], VectorBargainingEnv] = {}
        template = self._env(self.firsts[0], 1)
        self.index = SituationIndex(template.template)
        self.settings = settings
        self.rng = np.random.default_rng(seed)
        index = self.index
        self.legal = index.legal.astype(np.float64)
        self.uniform = self.legal / self.legal.sum(axis=1, keepdims=True)
        self.strategy = self.uniform.copy()
        self.regret = np.zeros_like(self.legal)
        self.values = np.zeros_like(self.legal)
        self.counts = np.zeros_like(self.legal)
        self.max_decisions = index.max_decisions
        """The most decisions one episode can take (bounds an iteration's cost before playing it)."""
        self.starts: dict[int, tuple[NDArray[np.intp], NDArray[np.float64]]] = {}
        per_first = index.count // 2
        for first in self.firsts:
            situations = np.arange(first * per_first, (first + 1) * per_first)
            situations = situations[index.reachable[situations]]
            weights = index.legal[situations].sum(axis=1).astype(np.float64)
            self.starts[first] = (situations, weights / weights.sum())

    def _env(self, first: int, games: int) -> VectorBargainingEnv:
        key = (first, games)
        if key not in self.envs:
            kwargs = {**self.kwargs, "first_proposer": ROLES[first]}
            self.envs[key] = VectorBargainingEnv(games, autoreset=False, **kwargs)
        return self.envs[key]

    def iterate(self, games: int) -> int:
        """Play ``games`` games (split across the first proposers), learn from them; returns the decisions played."""
        share = np.full(len(self.firsts), games // len(self.firsts))
        share[: games % len(self.firsts)] += 1
        samples: list[tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]] = []
        played = 0
        for first, count in zip(self.firsts, share, strict=True):
            if count > 0:
                decisions, sample = self._play(first, int(count))
                played += decisions
                samples.append(sample)
        situations = np.concatenate([s for s, _, _ in samples])
        actions = np.concatenate([a for _, a, _ in samples])
        values = np.concatenate([v for _, _, v in samples])
        self._learn_values(situations, actions, values)
        self._match_regrets()
        return played

    def _play(
        self, first: int, games: int
    ) -> tuple[int, tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]]:
        envs, index = self._env(first, games), self.index
        situations, weights = self.starts[first]
        start = self.rng.choice(situations, size=games, p=weights)
        slot = start % (index.size + 1)
        rounds = (start // (index.size + 1)) % index.rounds
        envs.reset(
            seed=int(self.rng.integers(2**63)),
            start_rounds=rounds,
            start_offers=FIRST_OFFER + np.maximum(slot - 1, 0),
            with_offer=slot > 0,
        )
        firsts = np.full(games, first, dtype=np.intp)
        exploring = np.ones(games, dtype=bool)
        payoffs = np.zeros((games, 2))
        record: list[tuple[NDArray[np.intp], ...]] = []
        scales: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
        decisions = 0
        while not envs.finished.all():
            live = np.flatnonzero(~envs.finished)
            now = index.situations(
                firsts[live], envs.round[live], envs.pending[live], envs.pending_index[live], envs.pending_by[live]
            )
            probabilities = np.where(exploring[live, None], self.uniform[now], self.strategy[now])
            cumulative = probabilities.cumsum(axis=1)
            draws = self.rng.random(len(live)) * cumulative[:, -1]
            chosen = np.minimum((draws[:, None] >= cumulative).sum(axis=1), index.n_actions - 1)
            actor = index.actor[now]
            record.append((live, now, chosen, actor))
            scales.append((envs.breakdown_value[live, actor], envs.round_unit[live]))
            actions = np.zeros(games, dtype=np.intp)
            actions[live] = chosen
            result = envs.step(actions)
            payoffs[result.done] = result.payoffs[result.done]
            exploring[:] = False
            decisions += len(live)
        games_played = np.concatenate([r[0] for r in record])
        actor = np.concatenate([r[3] for r in record])
        spent = np.concatenate([s for s, _ in scales])
        scale = np.concatenate([s for _, s in scales])
        usable = scale > 1e-12
        values = in_round_units(payoffs[games_played, actor], spent, np.where(usable, scale, 1.0))
        situations = np.concatenate([r[1] for r in record])[usable]
        actions = np.concatenate([r[2] for r in record])[usable]
        return decisions, (situations, actions, values[usable])

    def _learn_values(
        self, situations: NDArray[np.intp], actions: NDArray[np.intp], values: NDArray[np.float64]
    ) -> None:
        cells = self.values.size
        flat = situations * self.index.n_actions + actions
        count = np.bincount(flat, minlength=cells).reshape(self.values.shape)
        total = np.bincount(flat, weights=values, minlength=cells).reshape(self.values.shape)
        seen = count > 0
        self.counts += count
        mean = np.divide(total, count, out=np.zeros_like(total), where=seen)
        floor = 1.0 - (1.0 - self.settings.value_step) ** count
        weight = np.maximum(np.divide(count, self.counts, out=np.zeros_like(total), where=seen), floor)
        self.values = np.where(seen, self.values + weight * (mean - self.values), self.values)

    def _match_regrets(self) -> None:
        known = (self.counts > 0) & (self.legal > 0)
        worth = np.where(known, self.values, 0.0)
        weight = np.where(known, self.strategy, 0.0)
        mass = weight.sum(axis=1, keepdims=True)
        expected = np.divide((weight * worth).sum(axis=1, keepdims=True), mass, out=np.zeros_like(mass), where=mass > 0)
        self.regret = np.maximum(self.regret + np.where(known, worth - expected, 0.0), 0.0)
        total = self.regret.sum(axis=1, keepdims=True)
        strategy = np.where(total > 0, self.regret / np.where(total > 0, total, 1.0), self.uniform)
        if self.settings.accept_ties:
            strategy = self._accept_ties(strategy, known)
        self.strategy = strategy

    def _accept_ties(self, strategy: NDArray[np.float64], known: NDArray[np.bool_]) -> NDArray[np.float64]:
        """Move a responder's probability on actions whose value equals accepting's (the core's indifference
        rule, both ways) to accepting: the expected value is unchanged, so the regret guarantees are too."""
        responding = self.index.legal[:, ACCEPT] & known[:, ACCEPT]
        accept_value = self.values[:, ACCEPT : ACCEPT + 1]
        equal = at_least_each(self.values, accept_value) & at_least_each(accept_value, self.values)
        tied = known & equal & responding[:, None]
        moved = np.where(tied, strategy, 0.0)
        strategy = strategy - moved
        strategy[:, ACCEPT] += moved.sum(axis=1)
        return strategy


def train_regret(
    env_kwargs: Mapping[str, Any],
    *,
    budget: int,
    seed: int,
    settings: RegretSettings | None = None,
    snapshot_every: int = 0,
    on_progress: Callable[[int], None] | None = None,
) -> RegretResult:
    """Regret matching+ self-play for at most ``budget`` decisions (both players' together; never more).

    ``snapshot_every``: also keep a copy of the strategies every this many decisions (0: none).
    ``on_progress(decisions)`` is called after each iteration with the decisions it played.
    """
    if budget < 1:
        raise ValueError(f"budget: must be >= 1 decision, got {budget}")
    learner = RegretLearner(env_kwargs, settings or RegretSettings(), seed)
    started = time.perf_counter()
    used, iterations, next_snapshot = 0, 0, snapshot_every
    snapshots: list[tuple[int, float, NDArray[np.float64]]] = []
    while True:
        games = min(learner.settings.games, (budget - used) // learner.max_decisions)
        if games < 1:
            break
        played = learner.iterate(games)
        used += played
        iterations += 1
        if on_progress is not None:
            on_progress(played)
        if snapshot_every and used >= next_snapshot:
            snapshots.append((used, time.perf_counter() - started, learner.strategy.copy()))
            next_snapshot = used + snapshot_every
    return RegretResult(learner.strategy.copy(), used, iterations, time.perf_counter() - started, snapshots)
