"""The state machine of one bargaining episode: the single home of the bargaining rules.

Modelled on OpenSpiel's ``State``: :meth:`State.current_player`, :meth:`State.legal_actions`,
:meth:`State.apply_action`, chance nodes with :meth:`State.chance_outcomes`, :meth:`State.is_terminal`,
:meth:`State.returns` and a compact :meth:`State.clone`. The environments, the analytic players, the text
protocol, the learners and the exact best responses all drive this class (or
:func:`infobargain.game.situations.situations`, which lists a discrete game's situations by walking it)
instead of re-deriving the rules (``docs/theory.md`` §3 states them). The batched
:mod:`infobargain.envs.vector` asks it for its masks and accounting and re-implements only the stepping for
speed, pinned to this module by ``tests/test_vector_rules.py`` and ``tests/test_vector_env.py``.

**Rules.** Offers are numbered ``t = 0, 1, …``; the protocol's ``rounds`` counts them. The proposer of
round ``t`` (:meth:`Protocol.proposer`) makes an offer; the responder accepts (a deal, paid
``discount**t`` times the offer's payoffs), or rejects. Under alternating offers before the last round a
rejection is a counter-offer, which becomes round ``t + 1``'s offer. A rejection in the last round ends the
game without a deal. Any other rejection leads to a **chance node**: bargaining breaks down with
probability ``break_off`` (paid ``discount**t · d``), otherwise round ``t + 1`` starts. The realization stage
that follows a deal is the environment's (nobody decides anything there).

**Indifference.** A responder accepts an offer worth at least its rejection value, up to one relative
tolerance (:data:`TOLERANCE`, :func:`at_least`): every layer uses that rule, the closed-form SPE in
:mod:`infobargain.theory.spe` included, through :func:`rejection_value` and :func:`at_least`.

**Actions.** ``ACCEPT`` (0, also "pass" for an agent with nothing to decide), ``REJECT`` (1), offers from
``FIRST_OFFER`` (2) on; an :class:`ActionDecoder` turns offer actions into :class:`Offer` objects (the
environments' offer encodings are decoders; continuous ``"scheme"`` actions are vectors whose entry 0 is
the decision). Chance outcomes are :data:`BREAK_DOWN` and :data:`CONTINUE`. :meth:`State.moves` says which
kinds of decision are legal now (every other list of legal actions is built from it), and
:meth:`State.apply_action` refuses anything else with :class:`IllegalActionError`.

**Expected-mode accounting.** A learner or an environment that keeps the break-off branch as probability mass
(instead of drawing it) carries two numbers per episode: the payoff already **banked** by breakdowns and the
**unit**, what one unit of this round's payoff is worth from where the episode started (survival of the
break-off draws × ``discount`` per round). :func:`bank_breakdown`, :func:`round_unit`, :func:`settle` and
:func:`in_round_units` are that accounting, on scalars or arrays, for every layer that needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any
from typing import Protocol as TypingProtocol

import numpy as np
from numpy.typing import NDArray

from infobargain.game.protocol import ROLES, Protocol, Role, other

ACCEPT = 0
"""Accept the offer on the table; also the only legal action when an agent has nothing to decide."""
REJECT = 1
"""Reject without a counter-offer (where the protocol allows it)."""
FIRST_OFFER = 2
"""The first offer action; offer ``k`` of a discrete table is action ``FIRST_OFFER + k``."""
BREAK_DOWN = 0
"""Chance outcome after a rejection: bargaining breaks down (probability ``break_off``)."""
CONTINUE = 1
"""Chance outcome after a rejection: the next round starts (probability ``1 − break_off``)."""
CHANCE = "chance"
"""What :meth:`State.current_player` returns at a chance node."""
TERMINAL = "terminal"
"""What :meth:`State.current_player` returns once bargaining has ended."""
TOLERANCE = 1e-9
"""Relative slack within which a responder counts as indifferent (and then accepts): offers are computed
in floating point, so a value equal to the threshold up to rounding must not flip a decision."""


class Phase(str, Enum):
    """Where an episode stands. The core's :class:`State` moves between ``BARGAINING``, ``BREAK_OFF`` (the chance
    node after a rejection) and ``DONE``; the environments add ``REALIZATION``, the stage after bargaining where
    nature draws states and signals. Members compare equal to their values (``Phase.DONE == "done"``)."""

    BARGAINING = "bargaining"
    BREAK_OFF = "break_off"
    REALIZATION = "realization"
    DONE = "done"

    def __str__(self) -> str:
        return self.value


class IllegalActionError(ValueError):
    """An action that the rules do not allow in the current situation (the message names both)."""


@dataclass(frozen=True)
class Moves:
    """The kinds of decision the acting player may make now; :meth:`State.legal_actions` lists them as actions.
    There are four, the constants below; ``index`` numbers them, for per-step tables (a tuple lookup costs less
    than hashing the dataclass)."""

    accept: bool
    """Accept the offer on the table (:data:`ACCEPT`)."""
    reject: bool
    """Reject it without a counter-offer (:data:`REJECT`)."""
    offer: bool
    """Make an offer: a proposal, or (with ``accept``) a counter-offer that rejects the one on the table."""
    index: int
    """Its position in :data:`ALL_MOVES`."""


PROPOSE = Moves(accept=False, reject=False, offer=True, index=1)
"""Nothing on the table: the proposer makes an offer."""
ACCEPT_OR_COUNTER = Moves(accept=True, reject=False, offer=True, index=2)
"""Alternating offers before the last round: the responder accepts or rejects by a counter-offer."""
ACCEPT_OR_REJECT = Moves(accept=True, reject=True, offer=False, index=3)
"""Every other response: accept, or reject and leave the next step to chance or the deadline."""
NO_MOVES = Moves(accept=False, reject=False, offer=False, index=0)
"""A chance node or the end of bargaining: no player decides."""
ALL_MOVES = (NO_MOVES, PROPOSE, ACCEPT_OR_COUNTER, ACCEPT_OR_REJECT)
"""The four kinds of decision, in ``index`` order."""
BARGAINING, BREAK_OFF, REALIZATION, DONE = Phase
"""The phases as module constants, for per-step code (a module global is cheaper to read than an enum member)."""


def at_least(value: float, threshold: float, scale: float = 1.0) -> bool:
    """The one indifference rule: ``value`` meets ``threshold`` up to :data:`TOLERANCE`, relative to the
    larger of ``scale`` and ``|threshold|`` (an infinite threshold is met by nothing, ``-inf`` by everything)."""
    if not np.isfinite(threshold):
        return bool(threshold < 0)
    return bool(value >= threshold - TOLERANCE * max(scale, abs(threshold)))


def at_least_each(
    values: NDArray[np.float64], thresholds: NDArray[np.float64], scale: float = 1.0
) -> NDArray[np.bool_]:
    """:func:`at_least` elementwise over arrays (broadcast together), for the batched learners."""
    values, thresholds = np.asarray(values, dtype=np.float64), np.asarray(thresholds, dtype=np.float64)
    finite = np.isfinite(thresholds)
    slack = TOLERANCE * np.maximum(scale, np.abs(np.where(finite, thresholds, 0.0)))
    return np.where(finite, values >= thresholds - slack, thresholds < 0)


def rejection_value(
    disagreement: NDArray[np.float64], protocol: Protocol, following: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    """``C_t``, what both players expect (in round-``t`` units) after a rejection in round ``t``:
    ``p·d + (1 − p)·δ·V_{t+1}`` from the next round's value ``V_{t+1}``, or ``d`` in the last round (``None``)."""
    if following is None:
        return disagreement
    return protocol.break_off * disagreement + protocol.continuation * following


def round_unit(protocol: Protocol, survival: Any, elapsed: Any) -> Any:
    """What one unit of the current round's payoff is worth from where the episode started, in expected mode:
    the survival of the break-off draws so far times ``discount**elapsed`` (``elapsed``: rounds since the start)."""
    return survival * np.power(protocol.discount, elapsed, dtype=np.float64)


def bank_breakdown(
    protocol: Protocol, banked: Any, survival: Any, elapsed: Any, disagreement: Any
) -> tuple[NDArray[np.float64], Any]:
    """Expected-mode accounting of a rejection that reaches the break-off chance node: the breakdown branch
    (probability ``break_off``, paying ``d`` in this round's units) is added to ``banked``; the rest survives.
    Returns ``(banked, survival)`` after the node. ``banked`` and ``disagreement`` end in a payoff pair axis."""
    mass = survival * protocol.break_off * np.power(protocol.discount, elapsed, dtype=np.float64)
    return banked + np.asarray(mass)[..., None] * disagreement, survival * (1.0 - protocol.break_off)


def settle(banked: Any, unit: Any, value: Any) -> Any:
    """The episode's payoff when bargaining ends with ``value`` in this round's units: what was banked plus
    ``value`` at the round's :func:`round_unit` (``unit`` broadcast against ``value``)."""
    return banked + unit * value


def in_round_units(payoff: Any, banked: Any, unit: Any) -> Any:
    """The inverse of :func:`settle` for one player's payoff: what an episode ``payoff`` is worth in the units of a
    round where ``banked`` had been banked and one unit was worth ``unit``."""
    return (payoff - banked) / unit


@dataclass(frozen=True)
class Offer:
    """An offer as the game executes it."""

    proposer: Role
    payoffs: NDArray[np.float64]
    """(sender, receiver) utilities if accepted, before discounting."""
    scheme: NDArray[np.float64] | None = None
    """The scheme the sender commits to if accepted (``[state][signal]``); ``None`` for a pie."""
    demanded: NDArray[np.float64] | None = None
    """A receiver's demanded scheme ``φ1`` (persuasion only)."""
    keep: float | None = None
    """The proposer's kept share (pie only)."""
    index: int | None = None
    """The discrete offer index (``action − FIRST_OFFER``), if any."""


class ActionDecoder(TypingProtocol):
    """How actions become decisions and offers (the environments' offer encodings implement it)."""

    def decode(self, action: Any, proposer: Role) -> Offer:
        """The offer that ``action`` makes for ``proposer``."""
        ...

    def accepts(self, action: Any) -> bool:
        """Whether a responder's ``action`` accepts the offer on the table."""
        ...

    def makes_offer(self, action: Any) -> bool:
        """Whether a responder's ``action`` carries an offer (a counter-offer where the protocol allows one)."""
        ...


class OfferTable:
    """A decoder for discrete actions over fixed offer lists, one per proposer (``FIRST_OFFER + k`` → offer ``k``)."""

    def __init__(self, offers: dict[Role, Sequence[Offer]]) -> None:
        self.offers = offers
        self.size = len(offers["sender"])
        """Offers per proposer."""

    def decode(self, action: Any, proposer: Role) -> Offer:
        return self.offers[proposer][int(action) - FIRST_OFFER]

    def accepts(self, action: Any) -> bool:
        return bool(action == ACCEPT)

    def makes_offer(self, action: Any) -> bool:
        return bool(action >= FIRST_OFFER)


class State:
    """One episode's bargaining stage: who acts, what is legal, what a decision does, what it pays.

    Read the attributes, change the state only through the ``apply`` methods. ``returns()`` of a terminal
    state is in round-0 units (``discount**t`` applied); chance is explicit, so callers choose to sample
    (``apply_chance``) or to take the expectation over :meth:`chance_outcomes`.
    """

    __slots__ = (
        "counter",
        "deal",
        "decoder",
        "disagreement",
        "end_round",
        "first",
        "pending",
        "phase",
        "proposer",
        "protocol",
        "round",
    )

    def __init__(
        self, protocol: Protocol, decoder: ActionDecoder, disagreement: NDArray[np.float64], first: Role
    ) -> None:
        if first not in ROLES:
            raise ValueError(f"first: must be 'sender' or 'receiver' (draw a coin flip first), got {first!r}")
        self.protocol = protocol
        self.decoder = decoder
        self.disagreement = disagreement
        self.first: Role = first
        self.round = 0
        self.proposer: Role = first
        self.pending: Offer | None = None
        """The offer on the table."""
        self.counter: Offer | None = None
        """A counter-offer waiting at the break-off chance node to open the next round."""
        self.deal: Offer | None = None
        self.end_round: int | None = None
        self.phase = Phase.BARGAINING

    def clone(self) -> State:
        """A copy that shares the immutable parts (protocol, decoder, offers)."""
        copy = State.__new__(State)
        copy.protocol, copy.decoder, copy.disagreement, copy.first = (
            self.protocol,
            self.decoder,
            self.disagreement,
            self.first,
        )
        copy.round, copy.proposer, copy.pending, copy.counter = self.round, self.proposer, self.pending, self.counter
        copy.deal, copy.end_round, copy.phase = self.deal, self.end_round, self.phase
        return copy

    def subgame(self, round_index: int) -> State:
        """A fresh state at the start of round ``round_index`` with nothing on the table, as if every earlier offer
        had been rejected without a breakdown (the subgame starts of training; unreachable by play from round 0
        where the previous rejection was a counter-offer). Its :meth:`returns` still count ``discount**t`` from 0."""
        if not 0 <= round_index < self.protocol.rounds:
            raise ValueError(f"round_index: must be in [0, {self.protocol.rounds - 1}], got {round_index!r}")
        state = State(self.protocol, self.decoder, self.disagreement, self.first)
        state.round = round_index
        state.proposer = self.protocol.proposer(round_index, self.first)
        return state

    # who acts, and what they may do

    @property
    def responding(self) -> bool:
        """Whether an offer is on the table (the responder decides)."""
        return self.pending is not None

    @property
    def acting(self) -> Role:
        """The player who decides now in the bargaining phase."""
        return self.proposer if self.pending is None else other(self.proposer)

    @property
    def last_round(self) -> bool:
        return self.round >= self.protocol.rounds - 1

    @property
    def can_counter(self) -> bool:
        """Whether rejecting is done by a counter-offer (alternating offers before the last round)."""
        return self.protocol.protocol == "alternating" and self.round < self.protocol.rounds - 1

    def current_player(self) -> Role | str:
        """The acting role, :data:`CHANCE` or :data:`TERMINAL`."""
        if self.phase == "bargaining":
            return self.acting
        return CHANCE if self.phase == "break_off" else TERMINAL

    def is_chance_node(self) -> bool:
        return self.phase == "break_off"

    def is_terminal(self) -> bool:
        return self.phase == "done"

    def moves(self) -> Moves:
        """The kinds of decision that are legal now: the one statement of what a player may do."""
        if self.phase != "bargaining":
            return NO_MOVES
        if self.pending is None:
            return PROPOSE
        return ACCEPT_OR_COUNTER if self.can_counter else ACCEPT_OR_REJECT

    def legal_actions(self, offers: int | None = None) -> list[int]:
        """Legal discrete actions (chance outcomes at a chance node), with ``offers`` offers per proposer (default:
        the decoder's table size; continuous ``"scheme"`` offers cannot be listed)."""
        if self.phase == "break_off":
            return [BREAK_DOWN, CONTINUE]
        moves = self.moves()
        if moves.offer and offers is None:
            offers = self._table_size()
            if offers is None:
                raise ValueError("legal_actions: continuous offers cannot be listed; pass the number of offers")
        table = list(range(FIRST_OFFER, FIRST_OFFER + offers)) if moves.offer and offers is not None else []
        return [ACCEPT] * moves.accept + [REJECT] * moves.reject + table

    def _table_size(self) -> int | None:
        """The number of offers per proposer of a discrete decoder; ``None`` for continuous offers."""
        size = getattr(self.decoder, "size", None)
        return None if size is None else int(size)

    def check_action(self, action: Any) -> None:
        """Raise :class:`IllegalActionError` unless ``action`` is legal now: a listed action of a discrete
        decoder, one of the chance outcomes at a chance node, nothing once bargaining is over. A continuous
        decoder's actions are checked by the decoder (their decision is read from entry 0)."""
        if self.phase != "bargaining":
            if self.phase == "break_off":
                self._check_chance(action)
                return
            raise IllegalActionError(f"action: {_shown(action)} cannot be played, {self.describe()}")
        size = getattr(self.decoder, "size", None)
        if size is None:
            return
        index = action if type(action) is int else _integer(action)  # the common case first
        moves = self.moves()
        if index == ACCEPT:
            legal = moves.accept
        elif index == REJECT:
            legal = moves.reject
        else:
            legal = moves.offer and index is not None and FIRST_OFFER <= index < FIRST_OFFER + size
        if not legal:
            allowed = [name for name, ok in (("0 accept", moves.accept), ("1 reject", moves.reject)) if ok]
            if moves.offer:
                allowed.append(f"{FIRST_OFFER}..{FIRST_OFFER + size - 1} offers")
            raise IllegalActionError(
                f"action: {_shown(action)} is illegal ({self.describe()}); legal: {', '.join(allowed)}"
            )

    def chance_outcomes(self) -> list[tuple[int, float]]:
        """``(outcome, probability)`` at a chance node."""
        if self.phase != "break_off":
            raise ValueError(f"chance_outcomes: not a chance node ({self.describe()})")
        p = self.protocol.break_off
        return [(BREAK_DOWN, p), (CONTINUE, 1.0 - p)]

    # decisions

    def apply_action(self, action: Any) -> None:
        """Apply the acting player's decision (or a chance outcome at a chance node); an action that is not
        legal now raises :class:`IllegalActionError` (:meth:`check_action`) and changes nothing."""
        if self.phase == "break_off":
            self.apply_chance(action)  # which checks the outcome
            return
        self.check_action(action)
        if self.pending is None:
            self.propose(self.decoder.decode(action, self.proposer))
        elif self.decoder.accepts(action):
            self.accept()
        else:
            counters = self.can_counter and self.decoder.makes_offer(action)
            self.reject(self.decoder.decode(action, other(self.proposer)) if counters else None)

    def propose(self, offer: Offer) -> None:
        self.pending = offer

    def accept(self) -> None:
        self._end(self.pending)

    def reject(self, counter: Offer | None = None) -> None:
        """Reject the offer on the table (with a counter-offer where the protocol makes rejections counters)."""
        if self.last_round:
            self._end(None)
            return
        self.counter = counter if self.can_counter else None
        self.pending = None
        self.phase = Phase.BREAK_OFF

    def apply_chance(self, outcome: int) -> None:
        """Resolve the break-off chance node: :data:`BREAK_DOWN` ends without a deal, :data:`CONTINUE` opens the
        next round (with the counter-offer on the table, if there was one)."""
        if self.phase != "break_off":
            raise IllegalActionError(f"apply_chance: not a chance node ({self.describe()})")
        self._check_chance(outcome)
        if outcome == BREAK_DOWN:
            self.counter = None
            self._end(None)
            return
        self.phase = Phase.BARGAINING
        self.round += 1
        self.proposer = self.protocol.proposer(self.round, self.first)
        self.pending, self.counter = self.counter, None

    def _check_chance(self, outcome: Any) -> None:
        index = outcome if type(outcome) is int else _integer(outcome)  # the common case first
        if index not in (BREAK_DOWN, CONTINUE):
            raise IllegalActionError(
                f"action: {_shown(outcome)} is not a chance outcome ({BREAK_DOWN} break down, {CONTINUE} continue; "
                f"{self.describe()})"
            )

    def walk_away(self) -> None:
        """End bargaining now without a deal, in the current round (a player left the table)."""
        self.counter = None
        self._end(None)

    def _end(self, deal: Offer | None) -> None:
        self.deal, self.end_round, self.pending, self.phase = deal, self.round, None, Phase.DONE

    # outcome

    @property
    def value(self) -> NDArray[np.float64]:
        """The terminal payoffs in the round bargaining ended, before discounting (the deal's or ``d``)."""
        return self.disagreement if self.deal is None else self.deal.payoffs

    def breakdown_returns(self) -> NDArray[np.float64]:
        """At a chance node: what the :data:`BREAK_DOWN` outcome pays (``discount**t · d``), without building it."""
        return self.protocol.discount**self.round * self.disagreement

    def returns(self) -> NDArray[np.float64]:
        """``(sender, receiver)`` payoffs of a terminal state, ``discount**t`` applied."""
        if self.phase != "done":
            raise ValueError(f"returns: the game is not over ({self.describe()})")
        return self.protocol.discount ** (self.end_round or 0) * self.value

    def describe(self) -> str:
        """The situation in words, for error messages."""
        if self.phase == "done":
            return "bargaining is over"
        if self.phase == "break_off":
            return f"round {self.round}: chance decides whether bargaining breaks down"
        if self.pending is None:
            return f"round {self.round}, {self.proposer} must offer"
        return f"round {self.round}, {other(self.proposer)} responds to an offer"

    def key(self) -> tuple[Any, ...]:
        """What decides the future of a discrete game: phase, round, proposer and the offers pending
        (identified by proposer and index). Equal keys have equal subgames (used to memoise tree walks)."""

        def ident(offer: Offer | None) -> tuple[str, int | None] | None:
            return None if offer is None else (offer.proposer, offer.index)

        return (self.phase, self.round, self.proposer, ident(self.pending), ident(self.counter), ident(self.deal))


def _integer(action: Any) -> int | None:
    """``action`` as a Python int if it is an integer (Python or numpy, not a bool), else ``None``."""
    if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
        return None
    return int(action)


def _shown(action: Any) -> str:
    """A short form of an action for messages (a long vector is cut)."""
    text = repr(action)
    return text if len(text) <= 40 else text[:37] + "..."
