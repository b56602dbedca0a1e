"""The text protocol: how a text-based player (a chat model, a person at a terminal) sees a decision and answers.

A player reads a **prompt** that states everything that is common knowledge: the game (states, prior,
actions, signals and both utility tables, or a pie's split rule), the protocol and its parameters, the
player's role, what was offered so far (the env's ``transcript``) and the legal options of the decision at
hand. Everything is read from the env's public, read-only
:class:`~infobargain.envs.view.GameView` (the functions also accept an env). It answers with one **JSON object**, possibly wrapped in prose or a code fence:

- discrete offer spaces (``"grid"``, ``"frontier"``): ``{"action": N}``, where ``N`` is one of the listed
  action numbers (``0`` ACCEPT, ``1`` REJECT, ``2 …`` offers, exactly as the env numbers them);
- the ``"scheme"`` offer space: ``{"offer": [[φ(σ0|s0), φ(σ1|s0), …], …]}`` proposes (or, where the
  protocol allows, rejects with a counter-offer) a signaling scheme, one row per state summing to 1;
  a responder accepts with ``{"decision": "accept"}`` and, where the protocol allows a plain rejection,
  rejects with ``{"decision": "reject"}``.

``{"decision": "accept"}`` and ``{"decision": "reject"}`` also work on discrete spaces (for ``0`` and ``1``),
and ``{"offer": MATRIX}`` picks the listed offer whose scheme (a receiver: whose demanded scheme) is
``MATRIX``. Other keys (say ``"reason"``) are ignored. When a reply holds several decision objects the
last one counts, so a model may think aloud before answering.

The parser is strict about legality: an answer that is not a legal action now raises :class:`ReplyError`
whose message says what was wrong and what is allowed; :func:`retry_message` turns it into the feedback a
chat model is sent before it tries again. Nothing here talks to a network or a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from infobargain.envs.information_bargaining_v1 import AGENTS
from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT, DiscreteOffers, Offer, SchemeOffers
from infobargain.envs.view import GameView
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import Role
from infobargain.game.schemes import default_action
from infobargain.game.state import Moves

Kind = Literal["accept", "reject", "offer"]
DECISION_KEYS = ("action", "decision", "offer")
ROW_TOLERANCE = 1e-3
"""How far a scheme row written by a player may sum from 1 (it is then rescaled to sum to 1 exactly)."""
SCHEME_MATCH_TOLERANCE = 1e-4
"""How closely a typed scheme must match a listed offer's scheme on a discrete offer space (the prompt shows four
decimals; the nearest listed offer is taken)."""

SYSTEM_PROMPT = (
    "You are one of the two players in a bargaining game. Your goal is to maximise your own expected payoff. "
    "Read the rules and the situation, reason as much as you like, then end your reply with exactly one JSON "
    "object in the format the message asks for."
)


class ReplyError(ValueError):
    """A reply that is not a legal decision now; the message says why and what is allowed."""


@dataclass(frozen=True)
class Prompt:
    """The two chat messages of a decision: the standing instructions and the situation."""

    system: str
    user: str

    def messages(self) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user}]


@dataclass(frozen=True)
class Turn:
    """The decision a role faces now (bargaining stage only)."""

    role: Role
    round: int
    rounds: int
    pending: Offer | None
    """The offer on the table when responding; ``None`` when proposing."""
    moves: Moves
    """What the rules core allows now (:meth:`infobargain.game.state.State.moves`)."""

    @property
    def responding(self) -> bool:
        return self.pending is not None

    @property
    def can_counter(self) -> bool:
        """Whether a responder rejects by counter-offering (alternating offers before the last round)."""
        return self.responding and self.moves.offer

    @property
    def can_reject(self) -> bool:
        """Whether a plain REJECT (without a counter-offer) is legal."""
        return self.moves.reject

    @property
    def can_offer(self) -> bool:
        return self.moves.offer


@dataclass(frozen=True)
class Option:
    """One legal action of a discrete offer space, as the prompt lists it."""

    action: int
    kind: Kind
    text: str
    payoffs: tuple[float, float] | None
    """``(U_S, U_R)`` of the deal this option makes or proposes, before discounting; ``None`` for REJECT."""


@dataclass(frozen=True)
class Choice:
    """A legal decision: the env action and what it means."""

    action: Any
    kind: Kind
    summary: str
    payoffs: tuple[float, float] | None
    """``(U_S, U_R)`` if the deal accepted or offered here is struck (before discounting); ``None`` for REJECT."""
    reason: str | None = None
    """A ``"reason"`` the player gave, if any (recorded, never interpreted)."""

    def to_json(self) -> Any:
        """The action as plain JSON (an int, or a list for the scheme encoding)."""
        return self.action.tolist() if isinstance(self.action, np.ndarray) else int(self.action)


# numbers and schemes


def fmt(value: float) -> str:
    """A number with at most four decimals and no trailing zeros (``0.6667``, ``1``, ``-0.5``)."""
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_scheme(scheme: NDArray[np.float64]) -> str:
    """A scheme as the JSON-style matrix a player would type: ``[[0.5, 0.5], [0, 1]]``."""
    return "[" + ", ".join("[" + ", ".join(fmt(p) for p in row) + "]" for row in np.asarray(scheme)) + "]"


def format_payoffs(payoffs: Sequence[float] | NDArray[np.float64]) -> str:
    return f"(U_S, U_R) = ({fmt(payoffs[0])}, {fmt(payoffs[1])})"


def _table(rows: list[str], columns: list[str], values: NDArray[np.float64]) -> list[str]:
    width = max(len(name) for name in [*rows, "state"])
    cells = [[fmt(v) for v in row] for row in values]
    widths = [max(len(column), *(len(row[j]) for row in cells)) for j, column in enumerate(columns)]
    lines = ["    " + "state".ljust(width) + "  " + "  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    for name, row in zip(rows, cells, strict=True):
        lines.append(
            "    " + name.ljust(width) + "  " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True))
        )
    return lines


# the prompt's sections


def game_view(env: Any) -> GameView:
    """The public view the text protocol reads: of an env (wrapped or not), or a view itself."""
    return env if isinstance(env, GameView) else env.unwrapped.view  # type: ignore[no-any-return]


def describe_game(env: GameView) -> str:
    """The game as common knowledge: a persuasion instance and its commitments, or a pie's split rule."""
    d = env.problem.d
    if isinstance(env.game, SplitPie):
        pie = env.game
        return "\n".join(
            [
                f'The game is plain bargaining over a pie ("{pie.name}"); nobody has private information.',
                f"An offer says which share x the proposer keeps, with {fmt(pie.keep_min)} <= x <= {fmt(pie.keep_max)}.",
                f"If the offer is accepted the proposer gets {fmt(pie.proposer_base)} + {fmt(pie.proposer_slope)}·x and "
                f"the responder {fmt(pie.responder_base)} + {fmt(pie.responder_slope)}·x.",
                f"Without a deal both get {fmt(pie.disagreement)}: the disagreement point is {format_payoffs(d)}.",
                "(U_S, U_R) always lists the sender's payoff first and the receiver's second.",
            ]
        )
    game = env.instance
    states = ", ".join(f"{name} (prior probability {fmt(p)})" for name, p in zip(game.states, game.prior, strict=True))
    signals = ", ".join(f"σ{k}" for k in range(game.signals))
    tie = "in the sender's favour" if env.tie_break == "sender" else "against the sender"
    a0 = game.actions[default_action(game, env.tie_break)]
    lines = [
        f'The game is a Bayesian-persuasion instance ("{game.name}"). The sender will observe the state of the world; '
        "the receiver will not, and acts on the sender's signal.",
        f"- States: {states}.",
        f"- Receiver actions: {', '.join(game.actions)}.",
        f"- Signals the sender can send: {signals}.",
        "- Sender's utility u_S[state][action]:",
        *_table(list(game.states), list(game.actions), game.sender_utility),
        "- Receiver's utility u_R[state][action]:",
        *_table(list(game.states), list(game.actions), game.receiver_utility),
        "A signaling scheme φ is a table φ[state][signal] of probabilities, one row per state (in the order above), "
        "each row summing to 1: in state s the sender sends signal σ with probability φ[s][σ].",
        "Both players commit. After a deal on a scheme φ the sender signals with φ and the receiver obeys it: after "
        f"each signal it takes the action best for it under its posterior belief (ties broken {tie}).",
        f"Without a deal the receiver ignores all signals and always plays {a0}, its best action under the prior; "
        f"both then get the disagreement point {format_payoffs(d)}.",
        "(U_S, U_R) always lists the expected utilities of the sender and of the receiver, in that order.",
    ]
    return "\n".join(lines)


def describe_protocol(env: GameView) -> str:
    """The bargaining protocol, its parameters and who opened this episode."""
    rules = env.rules
    rounds = rules.rounds
    if rules.protocol == "ultimatum":
        lines = ["Protocol: ultimatum. The proposer makes one offer; the responder accepts it or rejects it."]
    elif rules.protocol == "fixed_role":
        lines = [
            f"Protocol: fixed roles. The same proposer makes up to {rounds} offers (rounds 0 to {rounds - 1}); "
            "the responder accepts or rejects each one."
        ]
    else:
        lines = [
            f"Protocol: alternating offers, at most {rounds} offers (rounds 0 to {rounds - 1}). After each rejection "
            "the roles swap. A responder rejects by making a counter-offer, which is the next round's offer; in the "
            "last round it rejects outright."
        ]
    lines.append(f"In this episode the {env.first} makes the first offer.")
    if rounds > 1:
        lines.append(
            f"After a rejection in any round but the last, bargaining breaks down with probability {fmt(rules.break_off)} "
            "(both get the disagreement point); a rejection in the last round ends bargaining without a deal."
        )
        if rules.discount < 1:
            lines.append(
                f"If bargaining ends in round t (counting from 0), all payoffs are multiplied by {fmt(rules.discount)}^t."
            )
        else:
            lines.append("Payoffs are not discounted over rounds.")
    else:
        lines.append("A rejection ends bargaining without a deal.")
    if not env.is_pie:
        if env.receiver_offer == "threshold":
            lines.append(
                "A receiver's offer is a scheme φ1 it demands: a sender who accepts commits to the scheme best for the "
                "sender among those giving the receiver at least U_R(φ1)."
            )
        else:
            lines.append("A receiver's offer is a scheme φ1 it demands: a sender who accepts commits to φ1 itself.")
    if env.realization == "expected":
        lines.append("Once bargaining ends, each player is paid its expected utility of the outcome.")
    elif env.is_pie:
        lines.append(
            f"Once bargaining ends, the outcome is paid for {env.realization_rounds} rounds; "
            "you receive the average payoff."
        )
    else:
        lines.append(
            f"Once bargaining ends, the outcome is played for {env.realization_rounds} rounds: nature draws a state "
            "from the prior, the committed scheme draws a signal, the receiver plays its committed rule; the episode "
            "pays the average utility. Nobody decides anything in those rounds."
        )
    return "\n".join(lines)


def describe_history(env: GameView) -> str:
    """What happened so far, from the env's transcript (common knowledge in the bargaining stage)."""
    lines = [line for line in env.transcript[1:] if not line.startswith("payoffs:")]
    return "\n".join(lines) if lines else "Nothing yet: no offer has been made."


def role_text(role: Role) -> str:
    if role == "sender":
        return "You are the SENDER (the player who will observe the state and send signals)."
    return "You are the RECEIVER (the player who will act on the sender's signals)."


# the decision at hand


def current_turn(env: GameView, role: Role) -> Turn:
    """The decision ``role`` faces now; raises ``ValueError`` when it has nothing to decide."""
    if env.phase != "bargaining" or env.acting_role != role:
        raise ValueError(f"{role}: has no bargaining decision to make now ({env.phase} stage, {env.acting_role} acts)")
    return Turn(role, env.round, env.rules.rounds, env.pending, game_view(env).state.moves())


def _offer_text(env: GameView, offer: Offer) -> str:
    """What an offer commits the players to, in words."""
    if offer.keep is not None:
        return f"the {offer.proposer} keeps x = {fmt(offer.keep)}"
    assert offer.scheme is not None
    if offer.proposer == "receiver" and offer.demanded is not None and not np.allclose(offer.demanded, offer.scheme):
        return f"the receiver demands φ1 = {format_scheme(offer.demanded)}; the sender would commit to φ = {format_scheme(offer.scheme)}"
    if offer.proposer == "receiver":
        return f"the receiver demands φ = {format_scheme(offer.scheme)}"
    return f"the sender commits to φ = {format_scheme(offer.scheme)}"


def _payoff_pair(payoffs: NDArray[np.float64]) -> tuple[float, float]:
    return (float(payoffs[0]), float(payoffs[1]))


def legal_options(env: GameView, turn: Turn, mask: NDArray[Any] | None = None) -> list[Option]:
    """Every legal action of a discrete offer space, numbered as the env numbers them (empty for ``"scheme"``)."""
    encoding = env.encoding
    if not isinstance(encoding, DiscreteOffers):
        return []
    if mask is None:
        mask = env.action_mask(AGENTS[turn.role])
    options: list[Option] = []
    if mask[ACCEPT] and turn.pending is not None:
        text = f"ACCEPT the {turn.pending.proposer}'s offer ({_offer_text(env, turn.pending)})"
        options.append(Option(ACCEPT, "accept", text, _payoff_pair(turn.pending.payoffs)))
    if mask[REJECT]:
        options.append(Option(REJECT, "reject", "REJECT the offer (no counter-offer)", None))
    verb = "REJECT and counter-offer: " if turn.responding else "OFFER: "
    for offer in encoding.offers[turn.role]:
        action = FIRST_OFFER + int(offer.index if offer.index is not None else 0)
        if mask[action]:
            options.append(Option(action, "offer", verb + _offer_text(env, offer), _payoff_pair(offer.payoffs)))
    return options


def option_line(option: Option) -> str:
    consequence = "" if option.payoffs is None else f" → {format_payoffs(option.payoffs)}"
    return f"  {option.action}: {option.text}{consequence}"


def describe_turn(env: GameView, turn: Turn, mask: NDArray[Any] | None = None) -> str:
    """The situation and the legal options."""
    lines = [f"Round {turn.round} of rounds 0 to {turn.rounds - 1}."]
    if turn.pending is None:
        lines.append("You are the proposer: make an offer.")
    else:
        lines.append(
            f"The {turn.pending.proposer} offers: {_offer_text(env, turn.pending)}. "
            f"If you accept, {format_payoffs(turn.pending.payoffs)} (before discounting)."
        )
        if turn.can_counter:
            lines.append("You may accept, or reject it by making a counter-offer.")
        else:
            lines.append("You may accept or reject it" + (" (this is the last round)." if turn.rounds > 1 else "."))
    options = legal_options(env, turn, mask)
    if options:
        lines.append("Your legal actions (the payoffs are what the deal gives if struck, before discounting):")
        lines.extend(option_line(option) for option in options)
    elif turn.can_offer:
        game = env.instance
        lines.append(
            f"An offer is any scheme: {game.n_states} rows (states {', '.join(game.states)}) of {game.signals} "
            "probabilities (signals " + ", ".join(f"σ{k}" for k in range(game.signals)) + ") each summing to 1."
        )
    return "\n".join(lines)


def scheme_placeholder(env: GameView) -> str:
    """The shape of a scheme as a player types it, with named entries: ``[[p00, p01], [p10, p11]]``."""
    game = env.instance
    rows = ("[" + ", ".join(f"p{s}{k}" for k in range(game.signals)) + "]" for s in range(game.n_states))
    return "[" + ", ".join(rows) + "]"


def reply_format(env: GameView, turn: Turn) -> str:
    """The exact JSON a decision must take now (no example value, so as not to suggest one)."""
    if isinstance(env.encoding, DiscreteOffers):
        return (
            'End your reply with one JSON object {"action": N}, where N is one of the action numbers listed above '
            "(an integer, without quotes)."
        )
    offer = '{"offer": ' + scheme_placeholder(env) + "}, where pij is the probability of signal σj in state i"
    offer += " (one row per state, each row summing to 1)"
    if not turn.responding:
        return f"End your reply with one JSON object offering a scheme: {offer}."
    if turn.can_counter:
        return (
            'End your reply with one JSON object: {"decision": "accept"} to accept, or '
            + offer
            + " to reject and counter-offer."
        )
    return 'End your reply with one JSON object: {"decision": "accept"} or {"decision": "reject"}.'


def build_prompt(env: Any, role: Role, mask: NDArray[Any] | None = None) -> Prompt:
    """The prompt of ``role``'s decision now (``env`` may be wrapped)."""
    env = game_view(env)
    turn = current_turn(env, role)
    sections = [
        role_text(role),
        "# The game\n" + describe_game(env),
        "# The bargaining protocol\n" + describe_protocol(env),
        "# What happened so far\n" + describe_history(env),
        "# Your decision\n" + describe_turn(env, turn, mask),
        "# Reply format\n" + reply_format(env, turn),
    ]
    return Prompt(SYSTEM_PROMPT, "\n\n".join(sections))


# reading a reply


def extract_decision(text: str) -> dict[str, Any]:
    """The last JSON object in ``text`` holding a decision key (at any depth); prose and code fences around it are
    ignored."""
    if not isinstance(text, str) or not text.strip():
        raise ReplyError("the reply is empty")
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict) and any(key in value for key in DECISION_KEYS):
            found.append(value)
            start = text.find("{", end)
        else:  # look inside it too: {"answer": {"action": 3}}
            start = text.find("{", start + 1)
    if not found:
        if "{" in text:
            raise ReplyError(
                'no valid JSON object with an "action", "decision" or "offer" key was found '
                "(JSON needs double quotes and plain numbers)"
            )
        raise ReplyError("the reply holds no JSON object")
    return found[-1]


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _scheme(env: GameView, value: Any) -> NDArray[np.float64]:
    """A typed scheme, checked and rescaled; raises :class:`ReplyError` naming the problem."""
    game = env.instance
    shape = (game.n_states, game.signals)
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise ReplyError(f'"offer" must be a list of {shape[0]} rows, each a list of {shape[1]} probabilities')
    if any(isinstance(p, bool) or not isinstance(p, (int, float)) for row in value for p in row):
        raise ReplyError('"offer" must hold plain numbers only')
    if len(value) != shape[0] or any(len(row) != shape[1] for row in value):
        got = f"{len(value)} rows of lengths {[len(row) for row in value]}"
        raise ReplyError(f'"offer" must have {shape[0]} rows (states) of {shape[1]} probabilities (signals), got {got}')
    scheme = np.array(value, dtype=np.float64)
    if not np.all(np.isfinite(scheme)):
        raise ReplyError('"offer" contains a non-finite number')
    if np.any(scheme < 0):
        raise ReplyError('"offer" contains a negative probability')
    sums = scheme.sum(axis=1)
    bad = [k for k, total in enumerate(sums) if abs(total - 1.0) > ROW_TOLERANCE]
    if bad:
        listed = ", ".join(f"row {k} ({game.states[k]}) sums to {fmt(sums[k])}" for k in bad)
        raise ReplyError(f'each row of "offer" must sum to 1: {listed}')
    return scheme / sums[:, None]


def _legal_text(options: list[Option]) -> str:
    actions = [option.action for option in options]
    shown = ", ".join(map(str, actions)) if len(actions) <= 12 else f"{actions[0]} to {actions[-1]}"
    return f"legal actions now: {shown}"


def interpret(decision: Mapping[str, Any], env: Any, role: Role, mask: NDArray[Any] | None = None) -> Choice:
    """The legal choice a decision object (``{"action": N}``, ``{"decision": ...}``, ``{"offer": ...}``) makes."""
    env = game_view(env)
    turn = current_turn(env, role)
    present = [key for key in DECISION_KEYS if key in decision]
    reason = decision.get("reason")
    reason = reason if isinstance(reason, str) else None
    if "action" in present and len(present) > 1:
        raise ReplyError('give either "action" or "decision"/"offer", not both')
    word = decision.get("decision")
    if word is not None:
        if not isinstance(word, str) or word.strip().lower() not in ("accept", "reject"):
            raise ReplyError(f'"decision" must be "accept" or "reject", got {json.dumps(word)}')
        word = word.strip().lower()
        if word == "accept" and "offer" in present:
            raise ReplyError('an accepting reply makes no offer: send {"decision": "accept"} alone')
    if isinstance(env.encoding, DiscreteOffers):
        return _interpret_discrete(env, turn, decision, word, mask, reason)
    return _interpret_scheme(env, turn, decision, word, reason)


def _interpret_discrete(
    env: GameView,
    turn: Turn,
    decision: Mapping[str, Any],
    word: str | None,
    mask: NDArray[Any] | None,
    reason: str | None,
) -> Choice:
    options = legal_options(env, turn, mask)
    by_action = {option.action: option for option in options}
    if "offer" in decision:
        chosen = _match_scheme(env, turn, decision["offer"], options)
    elif "action" in decision:
        action = _integer(decision["action"])
        if action is None:
            raise ReplyError(
                f'"action" must be an integer, got {json.dumps(decision["action"])}; {_legal_text(options)}'
            )
        if action not in by_action:
            raise ReplyError(f"action {action} is not legal now; {_legal_text(options)}")
        chosen = by_action[action]
    else:
        wanted = ACCEPT if word == "accept" else REJECT
        if wanted not in by_action:
            if turn.pending is None:
                raise ReplyError(f"there is no offer on the table to {word}: you must make an offer")
            raise ReplyError("you cannot reject without a counter-offer now: choose an offer to counter with")
        chosen = by_action[wanted]
    return Choice(chosen.action, chosen.kind, option_line(chosen).strip(), chosen.payoffs, reason)


def _match_scheme(env: GameView, turn: Turn, value: Any, options: list[Option]) -> Option:
    if env.is_pie:
        raise ReplyError('this game is bargained over shares, not schemes: answer with {"action": N}')
    if not turn.can_offer:
        raise ReplyError("you cannot make an offer now: accept or reject")
    scheme = _scheme(env, value)
    assert isinstance(env.encoding, DiscreteOffers)
    by_action = {option.action: option for option in options if option.kind == "offer"}
    best: tuple[float, Option] | None = None
    for offer in env.encoding.offers[turn.role]:
        table = offer.demanded if turn.role == "receiver" and offer.demanded is not None else offer.scheme
        option = by_action.get(FIRST_OFFER + int(offer.index or 0))
        if option is not None and table is not None:
            distance = float(np.abs(table - scheme).max())
            if best is None or distance < best[0]:
                best = (distance, option)
    if best is not None and best[0] <= SCHEME_MATCH_TOLERANCE:
        return best[1]
    raise ReplyError(
        f"no listed offer has the scheme {format_scheme(scheme)}: choose one of the listed offers by number"
    )


def _interpret_scheme(
    env: GameView, turn: Turn, decision: Mapping[str, Any], word: str | None, reason: str | None
) -> Choice:
    encoding = env.encoding
    assert isinstance(encoding, SchemeOffers)
    size = 1 + env.instance.n_states * env.instance.signals
    if "action" in decision:
        raise ReplyError('this game takes {"offer": [[...], ...]} or {"decision": ...}, not "action"')
    if "offer" in decision:
        if not turn.can_offer:
            raise ReplyError(
                'you cannot counter-offer in this round: answer {"decision": "accept"} or {"decision": "reject"}'
            )
        scheme = _scheme(env, decision["offer"])
        action = encoding.encode(scheme, accept=False)
        offer = encoding.decode(action, turn.role)
        verb = "REJECT and counter-offer: " if turn.responding else "OFFER: "
        summary = verb + _offer_text(env, offer) + f" → {format_payoffs(offer.payoffs)}"
        return Choice(action, "offer", summary, _payoff_pair(offer.payoffs), reason)
    if turn.pending is None:
        raise ReplyError('there is no offer on the table: you must make an offer {"offer": [[...], ...]}')
    if word == "accept":
        summary = f"ACCEPT the {turn.pending.proposer}'s offer → {format_payoffs(turn.pending.payoffs)}"
        return Choice(np.ones(size), "accept", summary, _payoff_pair(turn.pending.payoffs), reason)
    if turn.can_counter:
        raise ReplyError('in this round you reject by counter-offering: send {"offer": [[...], ...]}')
    return Choice(-np.ones(size), "reject", "REJECT the offer", None, reason)


def parse_reply(text: str, env: Any, role: Role, mask: NDArray[Any] | None = None) -> Choice:
    """The legal choice a free-text reply makes; raises :class:`ReplyError` with feedback otherwise."""
    return interpret(extract_decision(text), env, role, mask)


def retry_message(error: ReplyError, env: Any, role: Role) -> str:
    """The feedback sent after an unusable reply: what was wrong and the format again."""
    env = game_view(env)
    return (
        f"Your reply could not be used: {error}. Nothing was played yet. {reply_format(env, current_turn(env, role))}"
    )
