"""Per-game tables of the vector env: what each game of a batch pays, offers and shows, stacked in slots.

The vector env (:mod:`infobargain.envs.vector`) plays many games at once; with a distribution of instances
each game may play a different one. Everything the batched rules need about a game lives here, one row
("slot") per game: the observation's game part, the disagreement point, and for discrete encodings every
offer's payoffs, description and (signaling games) state-action distribution. A game reads its row through
its slot index.

Rows come from the AEC env's own code (:meth:`raw_env.load_game`, the offer encodings), so the vector env
shows and pays exactly what the AEC env does on the same instance. Fresh random 2×2 instances with frontier
offers take a closed-form batched path instead (:mod:`infobargain.envs.small_games`, pinned to this one by
its tests), since the per-instance path is far slower (``benchmarks/bench_offer_tables.py``) and a vector env
may need hundreds of thousands of new instances a second.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.envs.observations import game_observations
from infobargain.envs.offers import DiscreteOffers
from infobargain.game.distributions import RandomInstances
from infobargain.game.instance import Instance
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import ROLES
from infobargain.game.schemes import default_action, obey_actions


@dataclass
class GameTables:
    """Arrays over slots (first axis). Offer arrays are ``None`` for the ``scheme`` encoding, signaling arrays
    for a pie."""

    static: NDArray[np.float64]
    """``[slot, observation]``: the game's part of every observation (other entries 0)."""
    d: NDArray[np.float64]
    """``[slot, 2]``: the disagreement point."""
    payoffs: NDArray[np.float64] | None = None
    """``[slot, proposer, offer, 2]``: what accepting each discrete offer pays."""
    details: NDArray[np.float64] | None = None
    """``[slot, proposer, offer, detail]``: the observation's description of each offer (scheme or kept share)."""
    joints: NDArray[np.float64] | None = None
    """``[slot, proposer, offer, state, action]``: the (state, action) distribution a deal on the offer gives."""
    prior: NDArray[np.float64] | None = None
    """``[slot, state]``: the prior (signaling games)."""
    utilities: NDArray[np.float64] | None = None
    """``[slot, player, state, action]``: both players' utilities (signaling games)."""
    no_deal_joint: NDArray[np.float64] | None = None
    """``[slot, state, action]``: the (state, action) distribution without a deal."""
    fallback: NDArray[np.bool_] | None = None
    """``[slot]``: rows of fresh instances that a batched builder left to the reference path (``None`` where no
    batched builder ran)."""

    def put(self, slots: NDArray[np.intp], rows: GameTables) -> None:
        """Overwrite ``slots`` with ``rows`` (same layout)."""
        for field in fields(self):
            target, source = getattr(self, field.name), getattr(rows, field.name)
            if target is not None and source is not None:
                target[slots] = source

    def take(self, slots: NDArray[np.intp] | slice) -> GameTables:
        taken = {f.name: None if getattr(self, f.name) is None else getattr(self, f.name)[slots] for f in fields(self)}
        return GameTables(**taken)  # type: ignore[arg-type]


def state_action(instance: Instance, schemes: NDArray[np.float64], tie_break: str) -> NDArray[np.float64]:
    """``[..., s, a]``: the probability of each (state, action) when the receiver obeys ``schemes``."""
    actions = obey_actions(instance, schemes, tie_break)  # type: ignore[arg-type]
    joint = instance.prior[:, None] * schemes  # [..., s, signal]
    return joint @ np.eye(instance.n_actions)[actions]  # type: ignore[no-any-return]


def tables_of(games: Sequence[Instance | SplitPie], template: raw_env) -> GameTables:
    """The rows of ``games``, each computed by ``template`` (an AEC env of the vector env's configuration)
    playing it: the reference path."""
    rows = [_row(game, template) for game in games]
    stacked = {
        f.name: None if getattr(rows[0], f.name) is None else np.stack([getattr(r, f.name) for r in rows])
        for f in fields(GameTables)
    }
    return GameTables(**stacked)  # type: ignore[arg-type]


def _row(game: Instance | SplitPie, template: raw_env) -> GameTables:
    template.load_game(game)
    row = GameTables(static=template.game_observation(), d=np.asarray(template.problem.d, dtype=np.float64))
    if isinstance(game, Instance):
        row.prior = game.prior
        row.utilities = np.stack([game.sender_utility, game.receiver_utility])
        row.no_deal_joint = np.zeros((game.n_states, game.n_actions))
        row.no_deal_joint[:, default_action(game, template.tie_break)] = game.prior
    encoding = template.encoding
    if isinstance(encoding, DiscreteOffers):
        tables = [encoding.offers[role] for role in ROLES]
        row.payoffs = encoding.menu()
        if isinstance(game, SplitPie):
            row.details = np.array([[[offer.keep] for offer in table] for table in tables])
        else:
            schemes = np.array([[offer.scheme for offer in table] for table in tables])  # [proposer, offer, s, σ]
            row.details = schemes.reshape(2, schemes.shape[1], -1)
            row.joints = state_action(game, schemes, template.tie_break)
    return row


def has_closed_form(template: raw_env) -> bool:
    """Whether fresh instances of ``template``'s shape and offers have batched rows: frontier offers on games of
    at most :data:`~infobargain.envs.frontier_kernels.MAX_STATES` states and 2 to
    :data:`~infobargain.envs.frontier_kernels.MAX_ACTIONS` actions, one signal per action (2×2 games by the
    closed form, the others by the compiled path)."""
    from infobargain.envs.frontier_kernels import MAX_ACTIONS, MAX_STATES

    game = template.game
    return (
        template.encoding.name == "frontier"
        and isinstance(game, Instance)
        and game.n_states <= MAX_STATES
        and 2 <= game.n_actions <= MAX_ACTIONS
        and game.signals == game.n_actions
    )


def batched_limit_notice(template: raw_env, source: RandomInstances) -> str:
    """The one-line notice for fresh instances no batched builder covers: what they cost instead."""
    from infobargain.envs.frontier_kernels import MAX_ACTIONS, MAX_STATES

    return (
        f"game: {source.name} with offer_space={template.encoding.name!r} has no batched offer tables (frontier offers "
        f"on games of at most {MAX_STATES} states × {MAX_ACTIONS} actions have): every fresh instance takes the "
        "reference path, about 3 ms each, far below the batched speed"
    )


def fresh_tables(
    template: raw_env, prior: NDArray[np.float64], sender: NDArray[np.float64], receiver: NDArray[np.float64]
) -> GameTables | None:
    """Rows of fresh random instances ``[n, S]``, ``[n, S, A]``, ``[n, S, A]``, batched: 2×2 games by the closed
    form (:func:`~infobargain.envs.small_games.frontier_tables_2x2`), games up to 4×4 by the compiled path
    (:func:`~infobargain.envs.frontier_kernels.frontier_tables_small`); the rows either leaves to the reference
    path (degenerate geometry) are computed by :func:`tables_of` and marked in ``fallback``. ``None`` where no
    batched path applies."""
    from infobargain.envs.frontier_kernels import frontier_tables_small
    from infobargain.envs.small_games import frontier_tables_2x2

    if not has_closed_form(template):
        return None
    count, n_states, n_actions = sender.shape
    build = frontier_tables_2x2 if (n_states, n_actions) == (2, 2) else frontier_tables_small
    closed, exact = build(
        prior,
        sender,
        receiver,
        tie_break=template.tie_break,
        obedience_margin=template.obedience_margin,
        receiver_offer=template.receiver_offer,
        grid_size=template.grid_size,
    )
    utilities = np.stack([sender, receiver], axis=1)
    no_deal_joint = np.zeros((count, n_states, n_actions))
    no_deal_joint[np.arange(count), :, closed.no_information_action] = prior
    rows = GameTables(
        static=game_observations(
            template.observation_layout, closed.d, closed.payoffs, prior=prior, utilities=utilities
        ),
        d=closed.d,
        payoffs=closed.payoffs,
        details=closed.schemes.reshape(count, 2, template.grid_size, n_states * n_actions),
        joints=closed.joints,
        prior=prior,
        utilities=utilities,
        no_deal_joint=no_deal_joint,
        fallback=~exact,
    )
    if not exact.all():
        left = np.flatnonzero(~exact)
        name = f"random:{n_states}x{n_actions} draw"
        instances = [Instance(prior[i], sender[i], receiver[i], name=name) for i in left]
        rows.put(left, tables_of(instances, template))
    return rows


class TableStream:
    """Rows of fresh instances, drawn in order from one generator: ``take(n)`` returns the next ``n`` (in parts).

    ``build(rng, n)`` must draw each row from ``rng`` independently of ``n`` (as
    :meth:`~infobargain.game.distributions.RandomInstances.sample_arrays` does), so the rows do not depend on how
    they are chunked. With ``ahead`` set, a worker thread builds chunks of ``ahead`` rows while the caller plays
    (NumPy releases the GIL in its array loops, so on two cores building and stepping overlap); the rows are the
    same as without it. :meth:`close` stops the worker.
    """

    def __init__(
        self, build: Callable[[np.random.Generator, int], GameTables], rng: np.random.Generator, ahead: int | None
    ) -> None:
        self.build, self.rng, self.ahead = build, rng, ahead
        self._chunk: GameTables | None = None
        self._used = 0
        self._ready: queue.Queue[GameTables | BaseException] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None

    def take(self, count: int) -> list[GameTables]:
        """The next ``count`` rows as consecutive parts (views of the chunks built ahead), which the caller
        stores part by part rather than copying them into one block first."""
        if self.ahead is None:
            return [self.build(self.rng, count)]
        parts = []
        while count:
            if self._chunk is None or self._used == len(self._chunk.d):
                self._chunk, self._used = self._next(), 0
            size = min(count, len(self._chunk.d) - self._used)
            parts.append(self._chunk.take(slice(self._used, self._used + size)))
            self._used += size
            count -= size
        return parts

    def _next(self) -> GameTables:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="infobargain-tables", daemon=True)
            self._worker.start()
        chunk = self._ready.get()
        if isinstance(chunk, BaseException):
            raise chunk
        return chunk

    def _work(self) -> None:
        assert self.ahead is not None
        while not self._stop.is_set():
            try:
                chunk: GameTables | BaseException = self.build(self.rng, self.ahead)
            except BaseException as error:  # handed to the caller, which raises it
                chunk = error
            while not self._stop.is_set():
                try:
                    self._ready.put(chunk, timeout=0.05)
                    break
                except queue.Full:
                    continue
            if isinstance(chunk, BaseException):
                return

    def close(self) -> None:
        self._stop.set()
        if self._worker is not None:
            self._worker.join()
            self._worker = None
