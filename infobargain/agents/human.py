"""A person plays one role at the terminal, through the text protocol.

At the first decision of each episode the player is shown the game and the protocol; at every decision,
the situation and the legal options. An entry is one of

- an option's number (discrete offer spaces), ``a``/``accept``, ``r``/``reject``;
- a scheme, as JSON (``[[0.5, 0.5], [0, 1]]``) or rows separated by ``;`` (``0.5 0.5; 0 1``): on the
  ``"scheme"`` offer space it is the offer; on a discrete space it picks the listed offer with that scheme;
- a decision object as a chat model would send it (``{"action": 3}``);
- ``?`` to list the options again.

Every choice is echoed with its payoff consequences ``(U_S, U_R)`` and needs a ``y`` to be committed;
anything invalid is explained and asked again. Passing (nothing to decide) asks nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from infobargain.agents.base import Observation, ViewPolicy
from infobargain.agents.text_protocol import (
    Choice,
    ReplyError,
    Turn,
    current_turn,
    describe_game,
    describe_protocol,
    describe_turn,
    fmt,
    format_payoffs,
    interpret,
    role_text,
)
from infobargain.envs.offers import DiscreteOffers
from infobargain.game.protocol import Role

_NUMBER_ROWS = re.compile(r"^[\s\d.,;eE+-]+$")
YES = ("y", "yes")
NO = ("n", "no")


class HumanPolicy(ViewPolicy):
    """Asks a person for every decision (``read`` and ``write`` default to the terminal)."""

    spec = "human"

    def __init__(
        self,
        env: Any,
        role: Role,
        *,
        read: Callable[[str], str] = input,
        write: Callable[[str], None] = print,
    ) -> None:
        super().__init__(env, role)
        self.read = read
        self.write = write
        self._introduced = False

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self._introduced = False

    def decide(self, observation: Observation) -> Any:
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return self.passing
        if not self._introduced:
            self.write(
                "\n".join(["", role_text(self.role), "", describe_game(self.env), "", describe_protocol(self.env)])
            )
            self._introduced = True
        mask = observation.get("action_mask")
        turn = current_turn(self.env, self.role)
        self.write("\n" + describe_turn(self.env, turn, mask) + "\n" + self._help(turn))
        while True:
            entry = self.read(f"{self.role}> ").strip()
            if entry in ("?", "h", "help"):
                self.write(describe_turn(self.env, turn, mask) + "\n" + self._help(turn))
                continue
            try:
                choice = interpret(self._decision(entry), self.env, self.role, mask)
            except ReplyError as error:
                self.write(f"Invalid entry: {error}. Try again ('?' lists the options).")
                continue
            if self._confirm(choice, turn):
                return choice.action

    def _help(self, turn: Turn) -> str:
        parts = []
        discrete = isinstance(self.env.encoding, DiscreteOffers)
        if discrete:
            parts.append("an option's number")
        if turn.responding:
            parts.append("'a' to accept")
        if turn.can_reject:
            parts.append("'r' to reject")
        if turn.can_offer and not self.env.is_pie:
            game = self.env.instance
            example = "; ".join(" ".join(["1"] + ["0"] * (game.signals - 1)) for _ in range(game.n_states))
            kind = "a listed offer's scheme" if discrete else "a scheme to offer"
            parts.append(f"{kind} (rows by state separated by ';', e.g. {example})")
        return "Enter " + ", ".join(parts) + "; '?' shows the options again."

    def _decision(self, entry: str) -> dict[str, Any]:
        """The decision object an entry stands for."""
        lowered = entry.lower()
        if not entry:
            raise ReplyError("nothing was entered")
        if lowered in ("a", "accept"):
            return {"decision": "accept"}
        if lowered in ("r", "reject"):
            return {"decision": "reject"}
        if re.fullmatch(r"[+-]?\d+", entry):
            if not isinstance(self.env.encoding, DiscreteOffers):
                raise ReplyError("there are no numbered options in this game: type a scheme, 'a' or 'r'")
            return {"action": int(entry)}
        if entry.startswith("{"):
            try:
                value = json.loads(entry)
            except ValueError:
                raise ReplyError("that is not valid JSON") from None
            if not isinstance(value, dict):
                raise ReplyError('a JSON entry must be an object such as {"action": 3}')
            return value
        if entry.startswith("["):
            try:
                return {"offer": json.loads(entry)}
            except ValueError:
                raise ReplyError("that is not a valid JSON matrix") from None
        if _NUMBER_ROWS.match(entry):
            try:
                rows = [[float(p) for p in re.split(r"[\s,]+", row.strip()) if p] for row in entry.split(";")]
            except ValueError:
                raise ReplyError("could not read the numbers of that scheme") from None
            return {"offer": rows}
        raise ReplyError(f"could not understand {entry!r}")

    def _confirm(self, choice: Choice, turn: Turn) -> bool:
        self.write(f"You chose: {choice.summary}")
        self.write(self._consequence(choice, turn))
        while True:
            answer = self.read("Commit? [y/n] ").strip().lower()
            if answer in YES:
                return True
            if answer in NO:
                self.write("Not committed; choose again.")
                return False
            self.write("Please answer y or n.")

    def _consequence(self, choice: Choice, turn: Turn) -> str:
        rules = self.env.rules
        factor = rules.discount**turn.round
        discount = f" (× {fmt(factor)} for the discount of round {turn.round})" if factor != 1 else ""
        d = format_payoffs(self.env.problem.d)
        if choice.kind == "accept" and choice.payoffs is not None:
            return f"Accepting ends bargaining with this deal: {format_payoffs(choice.payoffs)}{discount}."
        if choice.kind == "reject" or turn.responding:
            if turn.round >= turn.rounds - 1:
                ending = f"Rejecting in the last round ends bargaining without a deal: {d}{discount}."
            else:
                ending = (
                    f"Rejecting leads to round {turn.round + 1}, unless bargaining breaks down "
                    f"(probability {fmt(rules.break_off)}, then {d})."
                )
            if choice.kind == "reject" or choice.payoffs is None:
                return ending
            return f"{ending} Your counter-offer, if accepted: {format_payoffs(choice.payoffs)} (before discounting)."
        assert choice.payoffs is not None
        return f"If accepted, this offer gives {format_payoffs(choice.payoffs)}{discount}."
