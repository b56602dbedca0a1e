"""A batched environment: ``num_envs`` games of one configuration stepped at once with numpy.

Same rules, encodings and realization modes as :mod:`~infobargain.envs.information_bargaining_v1`,
same observation layout and action masks, for training at scale.

**What it shares and what it re-implements.** The action constants, the protocol (who proposes,
:meth:`~infobargain.game.protocol.Protocol.proposer_indices`), the offer tables, the decoding of
``"scheme"`` actions (:func:`~infobargain.envs.offers.schemes_from_actions`) and the receiver's threshold
demand (:func:`~infobargain.envs.offers.threshold_schemes`) come from the shared modules. The rules come from
the game core :class:`infobargain.game.state.State`: the legal actions of every round (:meth:`action_masks`
is a table asked of the core's states), who may counter-offer, and the expected-mode accounting of
break-offs (:func:`~infobargain.game.state.bank_breakdown`, :func:`~infobargain.game.state.round_unit`,
:func:`~infobargain.game.state.settle`). For speed it re-implements, as whole-array operations, the
legality checks in :meth:`step`, what a rejection does (deadline, break-off chance node, counter-offers) and
the realization stage. Tests pin these to the core: ``tests/test_vector_env.py`` (seeded play on both envs
gives the same observations, masks and rewards in expected mode, 44 configurations, and the same
distributions in sampled mode) and ``tests/test_vector_rules.py`` (random play on random games and every
protocol gives the core's legal actions, refusals and expected payoffs).

Differences, all by design:

- Each ``step`` takes one action per game, from the agent whose turn it is (``acting``: 0 sender,
  1 receiver); there are no "pass" steps. The realization stage, where nobody decides, is played inside
  the step that ends bargaining.
- Rewards come once per episode, in that step, as ``(num_envs, 2)`` arrays: the expected payoffs in
  expected mode; in sampled mode the sum of the realization rounds' rewards (the AEC env's return), with
  the episode payoff (their mean) in ``payoffs``.
- Discrete encodings play one game or a distribution (``game="random:2x2"``, a family, a folder, a list, a
  sampler: :mod:`infobargain.game.distributions`): each game of the batch plays its own instance, and a new one
  is drawn at each reset from the env's generator. :meth:`instance` returns the one a game plays, so the AEC
  env can replay it. The ``scheme`` encoding plays one fixed game.

**Per-game tables.** Everything the rules need about a game (offer payoffs and descriptions, the state-action
distributions of deals, ``d``, the observation's game part) is a row of :class:`~infobargain.envs.game_tables.
GameTables`, computed by the AEC env's own code. One game: one row. A finite set: one row per member, drawn by
index. Fresh random instances: one row per game, rebuilt when the game draws a new instance; random frontier
games use a batched builder, 2×2 in closed form (:mod:`infobargain.envs.small_games`), up to 4×4 compiled
(:mod:`infobargain.envs.frontier_kernels`), and count the rows they leave to the reference path
(:attr:`fallback_rows`); larger games take the reference path with a one-line notice. Fresh instances come
from a generator spawned off the env's at every seeded reset, one row of draws per instance, so batches of
:data:`AHEAD` games or more build them ahead on a worker thread (:class:`~infobargain.envs.game_tables.
TableStream`) and play exactly the instances they would play without it; :meth:`close` stops the thread.

With ``autoreset=True`` a finished game starts its next episode in the same step (its observation is
the new episode's); with ``autoreset=False`` finished games stay finished until :meth:`reset`, and
their actions are ignored.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.envs.actions import ActionError, box_actions, box_problem, discrete_actions, numbers
from infobargain.envs.game_tables import (
    GameTables,
    TableStream,
    batched_limit_notice,
    fresh_tables,
    has_closed_form,
    state_action,
    tables_of,
)
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.envs.observations import round_entries
from infobargain.envs.offers import (
    ACCEPT,
    FIRST_OFFER,
    REJECT,
    DiscreteOffers,
    SchemeOffers,
    schemes_from_actions,
    threshold_schemes,
)
from infobargain.game.distributions import InstanceDistribution, InstanceSet, RandomInstances, RandomSizes
from infobargain.game.instance import Instance
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import ROLE_INDEX, ROLES
from infobargain.game.state import State, bank_breakdown, round_unit, settle


@dataclass
class StepResult:
    """What one batched step returns (arrays over games)."""

    rewards: NDArray[np.float64]
    """``(num_envs, 2)``: sender and receiver rewards of this step."""
    done: NDArray[np.bool_]
    """Games whose episode ended in this step."""
    payoffs: NDArray[np.float64]
    """``(num_envs, 2)``: the episode payoff of games that ended (NaN elsewhere)."""
    deal: NDArray[np.bool_]
    """Games that ended with a deal."""
    end_round: NDArray[np.intp]
    """The round bargaining ended in (games that ended; -1 elsewhere)."""
    first: NDArray[np.intp]
    """Who proposed first in the episode that ended (0 sender, 1 receiver)."""


AHEAD = 8192
"""Batches of at least this many games build fresh closed-form instances ahead, in chunks of this size."""


def draw_rows(
    template: raw_env, source: InstanceDistribution | None, rng: np.random.Generator, count: int
) -> GameTables:
    """Rows of ``count`` fresh instances of ``source`` drawn from ``rng`` (a row's draws do not depend on
    ``count``): the closed form for random 2×2 frontier games, the reference path otherwise."""
    if isinstance(source, RandomInstances):
        prior, sender, receiver = source.sample_arrays(rng, count)
        fast = fresh_tables(template, prior, sender, receiver)
        if fast is not None:
            return fast
        drawn = [Instance(*arrays, name=f"{source.name} draw") for arrays in zip(prior, sender, receiver, strict=True)]
    else:
        assert source is not None
        drawn = [source.sample(rng) for _ in range(count)]
    return tables_of(drawn, template)


class VectorBargainingEnv:
    """``num_envs`` games of one configuration (one game or a distribution of them), stepped together."""

    def __init__(self, num_envs: int, *, autoreset: bool = True, seed: int | None = None, **env_kwargs: Any) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs: must be an integer >= 1, got {num_envs!r}")
        self.template = raw_env(**env_kwargs)
        self.distribution = self.template.distribution
        if isinstance(self.distribution, RandomSizes):
            raise ValueError(
                f"game: {self.distribution.name} mixes sizes, and one vector env plays one size; MixedVectorEnv "
                "(infobargain.envs.mixture.make_vector_env) plays one part per size in one batch"
            )
        self.num_envs = num_envs
        self.autoreset = autoreset
        self.rules = self.template.rules
        self.encoding = self.template.encoding
        self.problem = self.template.problem
        self.layout = self.template.observation_layout
        self.observation_size = self.layout.size
        self.action_space = self.template.action_space("sender_0")
        self.discrete = isinstance(self.encoding, DiscreteOffers)
        if self.distribution is not None and not self.discrete:
            raise ValueError(
                "offer_space: the vector env plays a distribution of games with discrete offers ('frontier' or "
                "'grid'); 'scheme' offers over a distribution need the AEC env"
            )
        shape = self.action_space.shape or (1,)
        self.n_actions = int(self.action_space.n) if self.discrete else int(shape[0])  # type: ignore[attr-defined]
        self.is_pie = self.template.is_pie
        self._counters, self._masks = self._rules_tables()
        self.rng = np.random.default_rng(seed)
        self._stream: TableStream | None = None
        self.fresh_rows = 0
        """Fresh instances drawn so far (a distribution that draws new games)."""
        self.fallback_rows = 0
        """Of those, the rows a batched builder left to the reference path (degenerate geometry; slower)."""
        self._prepare_tables()
        self.reset(seed)

    def _rules_tables(self) -> tuple[NDArray[np.bool_], NDArray[np.bool_] | None]:
        """What the rules core says, as tables: whether a responder counter-offers in each round, and (discrete
        encodings) the legal actions ``[first, round, offer on the table]``, asked of the core's state at the
        start of each round and after its first offer (legality does not depend on which offer was made)."""
        disagreement = np.asarray(self.problem.d, dtype=np.float64)
        roots = [State(self.rules, self.encoding, disagreement, first) for first in ROLES]
        rounds = self.rules.rounds
        counters = np.array([roots[0].subgame(t).can_counter for t in range(rounds)], dtype=bool)
        if not self.discrete:
            return counters, None
        masks = np.zeros((len(ROLES), rounds, 2, self.n_actions), dtype=bool)
        for first, root in enumerate(roots):
            for t in range(rounds):
                fresh = root.subgame(t)
                offered = fresh.clone()
                offered.apply_action(FIRST_OFFER)
                masks[first, t, 0, fresh.legal_actions()] = True
                masks[first, t, 1, offered.legal_actions()] = True
        return counters, masks

    # per-game tables

    def _prepare_tables(self) -> None:
        """One row per game (fresh draws), per member (a finite set) or one row for all (one game)."""
        source = self.distribution
        self.game = self.template.game  # the one game, when there is no distribution
        self.slot = np.zeros(self.num_envs, dtype=np.intp)
        if isinstance(source, InstanceSet):
            self.tables = tables_of(source.members, self.template)
        elif source is not None:  # one row per game, filled by reset's draws
            if isinstance(source, RandomInstances) and not has_closed_form(self.template):
                warnings.warn(batched_limit_notice(self.template, source), stacklevel=3)
            self.tables = draw_rows(self.template, source, np.random.default_rng(0), 1).take(
                np.zeros(self.num_envs, dtype=np.intp)
            )
            self.slot = np.arange(self.num_envs, dtype=np.intp)
        else:
            self.tables = tables_of([self.game], self.template)
        self._own_slots = source is not None and not isinstance(source, InstanceSet)  # slot[i] == i

    def _restart_stream(self) -> None:
        """Fresh instances come from a generator spawned from the env's, so a seeded reset fixes them; large
        batches of closed-form games are built ahead on a worker thread (the rows are the same)."""
        if self._stream is not None:
            self._stream.close()
        source = self.distribution
        ahead = AHEAD if isinstance(source, RandomInstances) and self.num_envs >= AHEAD else None
        if ahead is not None and not has_closed_form(self.template):
            ahead = None
        self._stream = TableStream(partial(draw_rows, self.template, source), self.rng.spawn(1)[0], ahead)

    def close(self) -> None:
        """Stop the worker thread that builds fresh instances ahead (if any); the env stays usable."""
        stream = getattr(self, "_stream", None)  # absent when the constructor refused its arguments
        if stream is not None:
            stream.close()

    def __del__(self) -> None:
        self.close()

    _GAME_STATE = (
        "round",
        "start_round",
        "first",
        "proposer",
        "pending",
        "pending_by",
        "pending_index",
        "_payoffs",
        "_details",
        "_joints",
        "survival",
        "breakdown_value",
        "finished",
    )
    """The per-game arrays :meth:`step` changes: what :meth:`branch` copies."""

    def branch(self, seed: int) -> VectorBargainingEnv:
        """A copy of every game as it stands, for playing actions that were not taken (a learner's lookahead):
        the copy steps by the same rules and never changes this env. It shares the games' instances (no
        automatic reset, no fresh draws) and samples any chance (break-off, realization) with its own
        generator, seeded by ``seed``."""
        child = copy.copy(self)
        for name in self._GAME_STATE:
            value = getattr(self, name)
            setattr(child, name, None if value is None else value.copy())
        child.autoreset = False
        child.rng = np.random.default_rng(seed)
        child._stream = None  # the parent's worker thread stays the parent's (closing the copy must not stop it)
        return child

    def _redraw(self, which: NDArray[np.bool_]) -> None:
        """New instances for the games in ``which`` (a distribution only)."""
        source = self.distribution
        if source is None or not which.any():
            return
        games = np.flatnonzero(which)
        if isinstance(source, InstanceSet):
            self.slot[games] = source.sample_indices(self.rng, len(games))
        else:
            assert self._stream is not None
            start = 0
            for rows in self._stream.take(len(games)):  # stored part by part: no copy into one block first
                size = len(rows.d)
                self.tables.put(games[start : start + size], rows)
                self.fallback_rows += 0 if rows.fallback is None else int(rows.fallback.sum())
                start += size
            self.fresh_rows += len(games)

    def instance(self, game: int) -> Instance | SplitPie:
        """The game that game ``game`` of the batch plays in its current episode (for replaying it elsewhere)."""
        source = self.distribution
        if source is None:
            return self.game
        if isinstance(source, InstanceSet):
            return source.members[int(self.slot[game])]
        tables = self.tables
        assert tables.prior is not None and tables.utilities is not None
        row = int(self.slot[game])
        return Instance(
            tables.prior[row],
            tables.utilities[row, 0],
            tables.utilities[row, 1],
            signals=source.shape[2],
            name=f"{source.name} draw",
        )

    # episode state

    def reset(
        self,
        seed: int | None = None,
        start_rounds: NDArray[np.intp] | None = None,
        start_offers: NDArray[Any] | None = None,
        with_offer: NDArray[np.bool_] | None = None,
    ) -> None:
        """Start a new episode in every game.

        Training only: ``start_rounds`` starts game ``i`` in round ``start_rounds[i]`` of the protocol, as if
        every earlier offer had been rejected without a breakdown; payoffs are then measured in that round's
        units (discounting counts rounds from the start). ``start_offers`` (actions of that round's proposer)
        are put on the table of the games in ``with_offer``, so the responder decides first. Together they
        reach every subgame of the bargaining stage, which self-play uses to learn subgame-perfect play.
        """
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        if self._own_slots and (seed is not None or self._stream is None):
            self._restart_stream()
        self._start(np.ones(self.num_envs, dtype=bool))
        if start_rounds is not None:
            rounds = np.asarray(start_rounds, dtype=np.intp)
            if rounds.shape != (self.num_envs,) or rounds.min() < 0 or rounds.max() >= self.rules.rounds:
                raise ValueError(f"start_rounds: need {self.num_envs} rounds in [0, {self.rules.rounds - 1}]")
            self.round[:] = rounds
            self.start_round[:] = rounds
            self.proposer[:] = self.rules.proposer_indices(rounds, self.first)
        if start_offers is not None:
            chosen = np.ones(self.num_envs, dtype=bool) if with_offer is None else self._game_flags(with_offer)
            self._decode(self._start_offers(start_offers, chosen), self.proposer, chosen)

    def _game_flags(self, flags: Any) -> NDArray[np.bool_]:
        """``with_offer`` checked: one boolean per game."""
        array = np.asarray(flags)
        if array.shape != (self.num_envs,) or array.dtype.kind != "b":
            raise ValueError(
                f"with_offer: need {self.num_envs} booleans (one per game), got {array.dtype} {array.shape}"
            )
        return array

    def _start_offers(self, offers: Any, chosen: NDArray[np.bool_]) -> NDArray[Any]:
        """``start_offers`` checked like :meth:`step`'s actions, each of the ``chosen`` games' an offer."""
        if not self.discrete:
            vectors = box_actions(offers, (self.num_envs, self.n_actions), "start_offers")
            problem = box_problem(vectors[chosen])
            if problem is not None:
                raise ActionError(f"start_offers: {problem}", malformed=True)
            return vectors
        indices, valid = discrete_actions(offers, self.num_envs, self.n_actions, "start_offers")
        bad = np.flatnonzero(chosen & ~(valid & (indices >= FIRST_OFFER)))
        if len(bad):
            game = int(bad[0])
            offer = numbers(offers, (self.num_envs,), "start_offers")[game].item()
            raise ActionError(
                f"start_offers: {offer!r} in game {game} is not an offer (actions {FIRST_OFFER}..{self.n_actions - 1})"
            )
        return indices

    def _start(self, which: NDArray[np.bool_]) -> None:
        count = self.num_envs
        if not hasattr(self, "round"):
            self.round = np.zeros(count, dtype=np.intp)
            self.start_round = np.zeros(count, dtype=np.intp)
            self.first = np.zeros(count, dtype=np.intp)
            self.proposer = np.zeros(count, dtype=np.intp)
            self.pending = np.zeros(count, dtype=bool)
            self.pending_by = np.zeros(count, dtype=np.intp)
            # Discrete encodings keep only the offer's index; the scheme encoding keeps the offer itself.
            self.pending_index = np.zeros(count, dtype=np.intp)
            self._payoffs = np.zeros((count, 2))
            self._details = np.zeros((count, self._detail_size()))
            joint = self.tables.no_deal_joint
            self._joints = None if joint is None else np.zeros((count, *joint.shape[1:]))
            self.survival = np.ones(count)
            self.breakdown_value = np.zeros((count, 2))
            self.finished = np.zeros(count, dtype=bool)
        self._redraw(which)
        first = self.rules.first_proposer
        if first == "coin_flip":  # drawn for every game so draws do not depend on which games restart
            drawn = (self.rng.random(count) >= 0.5).astype(np.intp)
        else:
            drawn = np.full(count, ROLE_INDEX[first], dtype=np.intp)
        self.first[which] = drawn[which]
        self.proposer[which] = drawn[which]
        self.round[which] = 0
        self.start_round[which] = 0
        self.pending[which] = False
        self.survival[which] = 1.0
        self.breakdown_value[which] = 0.0
        self.finished[which] = False

    def _detail_size(self) -> int:
        """Size of the offer description (kept share, or scheme) that the scheme encoding keeps per game."""
        if self.is_pie:
            return 1
        game = self.game
        return game.n_states * game.signals if isinstance(game, Instance) else 0

    def _rows(self, table: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each game's row of a per-slot table (a view when every game has its own slot)."""
        return table if self._own_slots else table[self.slot]

    def _pending(self, table: NDArray[np.float64] | None) -> NDArray[np.float64]:
        """Each game's entry of a ``[slot, proposer, offer, ...]`` table for the offer on its table: one flat
        ``take``, much cheaper than a three-array fancy index at large batch sizes."""
        assert table is not None
        offers = table.shape[2]
        flat = (self.slot * 2 + self.pending_by) * offers + self.pending_index
        return table.reshape(-1, *table.shape[3:]).take(flat, axis=0)

    @property
    def last_round(self) -> int:
        """The protocol's last round (every game's)."""
        return self.rules.rounds - 1

    def static_rows(self) -> NDArray[np.float64]:
        """``[games, observation]``: each game's part of the observation that describes its game (other entries 0)."""
        return self._rows(self.tables.static)

    @property
    def d(self) -> NDArray[np.float64]:
        """``(num_envs, 2)``: each game's disagreement point."""
        return self._rows(self.tables.d)

    @property
    def pending_payoffs(self) -> NDArray[np.float64]:
        """``(num_envs, 2)``: what the offer on the table pays if accepted (meaningless where none is)."""
        return self._pending(self.tables.payoffs) if self.discrete else self._payoffs

    def _pending_details(self) -> NDArray[np.float64]:
        return self._pending(self.tables.details) if self.discrete else self._details

    def _pending_joints(self) -> NDArray[np.float64]:
        if self.discrete:
            return self._pending(self.tables.joints)
        assert self._joints is not None
        return self._joints

    @property
    def realization(self) -> str:
        """``"expected"`` or ``"sampled"`` (the env's realization mode)."""
        return str(self.template.realization)

    @property
    def acting(self) -> NDArray[np.intp]:
        """Whose turn it is in each game (0 sender, 1 receiver)."""
        return np.where(self.pending, 1 - self.proposer, self.proposer)

    @property
    def can_counter(self) -> NDArray[np.bool_]:
        """Whether each game's responder rejects by counter-offering in its current round (the core's rule)."""
        return self._counters[self.round]  # type: ignore[no-any-return]

    @property
    def round_unit(self) -> NDArray[np.float64]:
        """What one unit of each game's current-round payoff is worth from where its episode started (expected
        mode: the break-off survival times ``discount`` per round; :func:`~infobargain.game.state.round_unit`)."""
        return round_unit(self.rules, self.survival, self.round - self.start_round)  # type: ignore[no-any-return]

    # observations and masks

    def observe(self, role: int) -> NDArray[np.float64]:
        """``(num_envs, observation_size)``: every game's observation for ``role`` (0 sender, 1 receiver)."""
        layout = self.layout
        vector = self.tables.static.copy() if self._own_slots else self.tables.static[self.slot]  # a fresh array
        vector[:, layout["role"].start + role] = 1.0
        vector[:, layout["my_turn"]] = (self.acting == role)[:, None]
        vector[:, layout["proposing"]] = (self.proposer == role)[:, None]
        vector[:, layout["phase"].start] = 1.0
        games = np.arange(self.num_envs)
        for entry in round_entries(layout, self.rules.rounds, self.round):
            vector[games, entry] = 1.0
        on_table = self.pending
        vector[:, layout["offer_on_table"]] = on_table[:, None]
        detail = "offer_keep" if self.is_pie else "offer_scheme"
        if detail in layout.slices:  # not in the "menu" observation
            vector[:, layout[detail]] = np.where(on_table[:, None], self._pending_details(), 0.0)
        vector[:, layout["offer_payoffs"]] = np.where(on_table[:, None], self.pending_payoffs, 0.0)
        vector[:, layout["offer_by_me"]] = (on_table & (self.pending_by == role))[:, None]
        return vector

    def action_masks(self) -> NDArray[np.bool_]:
        """``(num_envs, n_actions)``: legal actions of the acting agent of each game (discrete encodings)."""
        assert self._masks is not None, "action_masks: the 'scheme' encoding has no discrete actions"
        return self._masks[self.first, self.round, self.pending.astype(np.intp)]  # type: ignore[no-any-return]

    # stepping

    def _decode(self, actions: NDArray[Any], proposer: NDArray[np.intp], which: NDArray[np.bool_]) -> None:
        """Put the offers made by ``actions`` on the table of games ``which``."""
        if self.discrete:  # whole-array selects: cheaper than masked assignment at large batch sizes
            index = np.clip(actions - FIRST_OFFER, 0, self.n_actions - FIRST_OFFER - 1)  # non-offers are not used
            self.pending_index = np.where(which, index, self.pending_index)
        elif which.any():
            self._decode_schemes(actions[which], proposer[which], which)
        self.pending_by = np.where(which, proposer, self.pending_by)
        self.pending |= which

    def _decode_schemes(
        self, actions: NDArray[np.float64], proposer: NDArray[np.intp], which: NDArray[np.bool_]
    ) -> None:
        assert isinstance(self.encoding, SchemeOffers)
        instance, tie_break = self.game, self.template.tie_break  # the scheme encoding plays one fixed game
        assert isinstance(instance, Instance) and self.tables.utilities is not None
        utilities = self.tables.utilities[0]
        schemes = schemes_from_actions(actions, instance)
        joints = state_action(instance, schemes, tie_break)
        payoffs = np.einsum("bsa,psa->bp", joints, utilities)
        demands = np.flatnonzero(proposer == ROLE_INDEX["receiver"])
        if self.template.receiver_offer == "threshold" and len(demands):
            committed, feasible = threshold_schemes(self.problem, instance, payoffs[demands, 1])
            rows = demands[feasible]
            committed = committed[feasible]
            schemes[rows] = committed
            joints[rows] = state_action(instance, committed, tie_break)
            payoffs[rows] = np.einsum("bsa,psa->bp", joints[rows], utilities)
        assert self._joints is not None
        self._payoffs[which] = payoffs
        self._details[which] = schemes.reshape(len(actions), -1)
        self._joints[which] = joints

    def step(self, actions: NDArray[Any]) -> StepResult:
        """Apply each game's acting agent's action (whole-array operations: no per-game Python). ``actions`` has
        one entry per game (:mod:`infobargain.envs.actions` decides what is accepted); finished games' entries
        are ignored when ``autoreset=False``."""
        live = ~self.finished
        proposing = live & ~self.pending
        responding = live & self.pending
        actions, accepts = self._check_and_accept(actions, live, proposing)
        accepts &= responding
        rejects = responding & ~accepts
        first = self.first.copy()
        self._decode(actions, self.proposer, proposing)

        countering = self.can_counter  # in the round of the rejection
        survivors, breakdown, factor = self._reject(rejects)
        done = accepts | (rejects & (self.round >= self.rules.rounds - 1)) | breakdown
        rewards, payoffs = self._pay(done, accepts, factor)
        end_round = np.where(done, self.round, -1)
        self.finished |= done
        self.pending &= ~done

        # A rejection that survives opens the next round; a counter-offer is that round's offer.
        self.round += survivors
        self.proposer = np.where(survivors, self.rules.proposer_indices(self.round, self.first), self.proposer)
        self.pending &= ~survivors
        self._decode(actions, self.proposer, survivors & countering)
        result = StepResult(rewards, done, payoffs, accepts & done, end_round, first)

        if self.autoreset and done.any():
            self._start(done)
        return result

    def _check_and_accept(
        self, actions: Any, live: NDArray[np.bool_], proposing: NDArray[np.bool_]
    ) -> tuple[NDArray[Any], NDArray[np.bool_]]:
        """Check every live game's action (the core's legality, batched); return the actions as played (indices,
        or float vectors for ``"scheme"``) and which of them accept."""
        if self.discrete:
            indices, valid = discrete_actions(actions, self.num_envs, self.n_actions, "actions")
            offer = indices >= FIRST_OFFER
            legal = valid & np.where(
                proposing, offer, (indices == ACCEPT) | np.where(self.can_counter, offer, indices == REJECT)
            )
            if not legal[live].all():
                game = int(np.flatnonzero(live & ~legal)[0])
                action = numbers(actions, (self.num_envs,), "actions")[game].item()
                reason = "see action_masks()" if valid[game] else f"not an action of Discrete({self.n_actions})"
                raise ActionError(f"actions: illegal action {action!r} in game {game} ({reason})")
            return indices, indices == ACCEPT
        vectors = box_actions(actions, (self.num_envs, self.n_actions), "actions")
        problem = box_problem(vectors[live])
        if problem is not None:
            raise ActionError(f"actions: {problem}", malformed=True)
        return vectors, vectors[:, 0] >= 0

    def _reject(self, rejects: NDArray[np.bool_]) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.float64]]:
        """The break-off chance node after each rejection before the last round: games that go on, games that
        break down (sampled mode), and each game's discount factor ``discount**t`` (rounds from its start)."""
        survivors = rejects & (self.round < self.rules.rounds - 1)
        factor = np.power(self.rules.discount, self.round - self.start_round, dtype=np.float64)
        if self.template.realization == "expected":  # the breakdown branch stays as probability mass
            banked, survival = bank_breakdown(
                self.rules, self.breakdown_value, self.survival, self.round - self.start_round, self.d
            )
            self.breakdown_value = np.where(survivors[:, None], banked, self.breakdown_value)
            self.survival = np.where(survivors, survival, self.survival)
            return survivors, np.zeros_like(survivors), factor
        breakdown = survivors & (self.rng.random(self.num_envs) < self.rules.break_off)
        return survivors & ~breakdown, breakdown, factor

    def _pay(
        self, done: NDArray[np.bool_], accepts: NDArray[np.bool_], factor: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Rewards of this step and episode payoffs (NaN where a game goes on)."""
        rewards = np.zeros((self.num_envs, 2))
        payoffs = np.full((self.num_envs, 2), np.nan)
        if not done.any():
            return rewards, payoffs
        value = np.where(accepts[:, None], self.pending_payoffs, self.d)
        if self.template.realization == "expected":
            episode = settle(self.breakdown_value, self.round_unit[:, None], value)
            total = episode
        else:
            episode = self._realize(done, accepts, factor)
            total = episode * self.template.realization_rounds
        return np.where(done[:, None], total, 0.0), np.where(done[:, None], episode, np.nan)

    def _realize(
        self, ending: NDArray[np.bool_], dealt: NDArray[np.bool_], factor: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Sampled realization: the mean per-round reward of each ending game over ``realization_rounds`` rounds."""
        rounds = self.template.realization_rounds
        if self.is_pie:
            value = np.where(dealt[:, None], self.pending_payoffs, self.d)
            return factor[:, None] * value
        assert self.tables.no_deal_joint is not None and self.tables.utilities is not None
        joints = np.where(dealt[:, None, None], self._pending_joints(), self._rows(self.tables.no_deal_joint))
        cells = joints.reshape(self.num_envs, -1)
        cumulative = np.cumsum(cells, axis=1)
        cumulative[:, -1] = 1.0
        draws = self.rng.random((self.num_envs, rounds))
        index = (draws[:, :, None] > cumulative[:, None, :]).sum(axis=2)  # inverse-CDF sampling of (s, a)
        flat = self._rows(self.tables.utilities).reshape(self.num_envs, 2, -1)  # [env, player, s·a]
        realized = np.take_along_axis(flat, index[:, None, :], axis=2).mean(axis=2)  # [env, player]
        return factor[:, None] * realized
