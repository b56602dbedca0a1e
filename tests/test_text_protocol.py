"""The text protocol: prompt contents for every offer space and both game kinds, and the reply parser."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from infobargain.agents.text_protocol import (
    ReplyError,
    build_prompt,
    current_turn,
    extract_decision,
    fmt,
    format_scheme,
    legal_options,
    parse_reply,
    retry_message,
)
from infobargain.envs import information_bargaining_v1 as ib
from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT


def make_env(**kwargs: Any) -> Any:
    env = ib.env(render_mode="ansi", **kwargs)
    env.reset(seed=0)
    return env


def user(env: Any, role: str) -> str:
    return build_prompt(env, role).user  # type: ignore[arg-type]


# prompts


def test_frontier_prompt_states_the_game_protocol_and_options() -> None:
    env = make_env(grid_size=5)
    prompt = build_prompt(env, "sender")
    assert "JSON object" in prompt.system
    text = prompt.user
    for expected in (
        "You are the SENDER",
        "States: s0 (prior probability 0.6667), s1 (prior probability 0.3333)",
        "Receiver actions: a0, a1",
        "Signals the sender can send: σ0, σ1",
        "u_S[state][action]",
        "u_R[state][action]",
        "s0      0  -1",  # a row of the receiver's table
        "disagreement point (U_S, U_R) = (0, 0)",
        "alternating offers, at most 10 offers",
        "the sender makes the first offer",
        "breaks down with probability 0.1",
        "Payoffs are not discounted",
        "at least U_R(φ1)",
        "Nothing yet",
        "You are the proposer",
        "2: OFFER: the sender commits to φ = [[1, 0], [0, 1]] → (U_S, U_R) = (0.3333, 0.3333)",
        "6: OFFER: the sender commits to φ = [[0.5, 0.5], [0, 1]] → (U_S, U_R) = (0.6667, 0)",
        '{"action": N}',
    ):
        assert expected in text, expected
    assert "0: ACCEPT" not in text and "1: REJECT" not in text


def test_responder_prompt_shows_history_offer_and_counter_offers() -> None:
    env = make_env(grid_size=5)
    env.step(FIRST_OFFER + 1)
    text = user(env, "receiver")
    assert "You are the RECEIVER" in text
    assert "round 0: sender offers φ = [[0.875, 0.125], [0.0, 1.0]]" in text  # the history
    assert "If you accept, (U_S, U_R) = (0.4167, 0.25)" in text
    assert "0: ACCEPT the sender's offer" in text
    assert "2: REJECT and counter-offer: the receiver demands φ = [[0.5, 0.5], [0, 1]]" in text
    assert "1: REJECT" not in text  # before the last round a rejection is a counter-offer
    with pytest.raises(ValueError, match="no bargaining decision"):
        build_prompt(env, "sender")


def test_fixed_role_responder_may_reject_and_ultimatum_is_described() -> None:
    env = make_env(protocol="fixed_role", max_rounds=3, discount=0.9)
    env.step(FIRST_OFFER)
    text = user(env, "receiver")
    assert "fixed roles" in text and "multiplied by 0.9^t" in text
    assert "1: REJECT the offer (no counter-offer)" in text and "counter-offer:" not in text
    ultimatum = user(make_env(protocol="ultimatum", first_proposer="receiver"), "receiver")
    assert "Protocol: ultimatum" in ultimatum and "the receiver makes the first offer" in ultimatum


def test_grid_prompt_lists_every_offer_and_threshold_commitments() -> None:
    env = make_env(offer_space="grid", grid_size=3, first_proposer="receiver")
    options = legal_options(env.unwrapped, current_turn(env.unwrapped, "receiver"))
    assert [o.action for o in options] == list(range(FIRST_OFFER, FIRST_OFFER + 9))
    text = user(env, "receiver")
    assert all(f"  {a}: OFFER" in text for a in range(FIRST_OFFER, FIRST_OFFER + 9))
    # a demand that is not on the frontier commits the sender to its best scheme at that receiver level
    assert "the sender would commit to φ =" in text


def test_scheme_prompt_asks_for_a_matrix() -> None:
    env = make_env(offer_space="scheme")
    text = user(env, "sender")
    assert '{"offer": [[p00, p01], [p10, p11]]}' in text and "2 rows (states s0, s1)" in text
    assert '{"action"' not in text
    env.step(env.unwrapped.encoding.encode(np.array([[0.5, 0.5], [0.0, 1.0]])))
    text = user(env, "receiver")
    assert '{"decision": "accept"} to accept, or {"offer"' in text
    last = make_env(offer_space="scheme", protocol="ultimatum")
    last.step(last.unwrapped.encoding.encode(np.array([[0.5, 0.5], [0.0, 1.0]])))
    assert '{"decision": "accept"} or {"decision": "reject"}' in user(last, "receiver")


def test_prompts_for_a_persuasion_scenario_with_names_and_sampled_realization() -> None:
    env = make_env(game="prosecutor", realization="sampled", realization_rounds=7)
    text = user(env, "sender")
    assert "guilty (prior probability 0.3)" in text and "acquit, convict" in text
    assert "always plays acquit" in text and "played for 7 rounds" in text


def test_pie_prompt_states_the_split_rule() -> None:
    env = make_env(game="split_pie_bounded", grid_size=3)
    text = user(env, "sender")
    assert "plain bargaining over a pie" in text and "0 <= x <= 0.5" in text
    assert "the proposer gets 0.3333 + 0.6667·x and the responder 0.3333 + -0.6667·x" in text
    assert "2: OFFER: the sender keeps x = 0 → (U_S, U_R) = (0.3333, 0.3333)" in text
    assert "4: OFFER: the sender keeps x = 0.5 → (U_S, U_R) = (0.6667, 0)" in text
    assert "φ" not in text and "scheme" not in text


# the parser


def test_extract_decision_tolerates_prose_and_fences() -> None:
    assert extract_decision('Sure.\n```json\n{"action": 3}\n```\nGood luck!') == {"action": 3}
    assert extract_decision('Format: {"action": N}. I pick {"action": 4}, final: {"action": 5}') == {"action": 5}
    assert extract_decision('{"reason": "x"} then {"decision": "accept", "reason": "fair"}')["decision"] == "accept"
    assert extract_decision('{"answer": {"action": 2}, "note": "nested"}') == {"action": 2}
    with pytest.raises(ReplyError, match="empty"):
        extract_decision("  ")
    with pytest.raises(ReplyError, match="no JSON object"):
        extract_decision("I accept")
    with pytest.raises(ReplyError, match="double quotes"):
        extract_decision("{'action': 3}")


def test_discrete_replies_are_checked_for_legality() -> None:
    env = make_env(grid_size=5)
    choice = parse_reply('{"action": 4, "reason": "middle"}', env, "sender")
    assert choice.action == 4 and choice.kind == "offer" and choice.reason == "middle"
    assert choice.payoffs == pytest.approx((0.5, 1 / 6)) and "(U_S, U_R) = (0.5, 0.1667)" in choice.summary
    assert parse_reply('{"action": 4.0}', env, "sender").action == 4
    cases = {
        '{"action": "4"}': "must be an integer",
        '{"action": true}': "must be an integer",
        '{"action": 7}': "action 7 is not legal now; legal actions now: 2, 3, 4, 5, 6",
        '{"action": 0}': "not legal",
        '{"decision": "accept"}': "no offer on the table",
        '{"decision": "maybe"}': '"accept" or "reject"',
        '{"action": 2, "decision": "accept"}': "not both",
        '{"offer": [[1, 0], [0.3, 0.7]]}': "no listed offer",
    }
    for reply, message in cases.items():
        with pytest.raises(ReplyError, match=message.replace("(", r"\(").replace(")", r"\)")):
            parse_reply(reply, env, "sender")
    # a listed offer can be named by its scheme, as the prompt shows it (four decimals)
    assert parse_reply('{"offer": [[0.75, 0.25], [0, 1]]}', env, "sender").action == 4
    fine = make_env(grid_size=31)
    shown = "[[0.9667, 0.0333], [0, 1]]"  # offer 4: x1 = 1/30
    assert f"4: OFFER: the sender commits to φ = {shown}" in user(fine, "sender")
    assert parse_reply(f'{{"offer": {shown}}}', fine, "sender").action == 4
    env.step(4)
    assert parse_reply('{"decision": "accept"}', env, "receiver").action == ACCEPT
    with pytest.raises(ReplyError, match="counter-offer"):
        parse_reply('{"decision": "reject"}', env, "receiver")
    assert parse_reply('{"action": 6}', env, "receiver").kind == "offer"


def test_plain_rejection_where_the_protocol_allows_it() -> None:
    env = make_env(protocol="fixed_role", max_rounds=2)
    env.step(FIRST_OFFER)
    choice = parse_reply('{"decision": "reject"}', env, "receiver")
    assert choice.action == REJECT and choice.kind == "reject" and choice.payoffs is None
    with pytest.raises(ReplyError, match="not legal"):
        parse_reply('{"action": 3}', env, "receiver")  # no counter-offers in fixed-role bargaining


def test_scheme_replies() -> None:
    env = make_env(offer_space="scheme")
    choice = parse_reply('{"offer": [[0.667, 0.333], [0, 1]]}', env, "sender")  # rows within 0.001 of 1
    x1 = 0.333 / 1.0  # φ(σ1|s0) after rescaling: the frontier point ((1 + 2 x1) / 3, (1 − 2 x1) / 3)
    assert choice.kind == "offer" and choice.payoffs == pytest.approx(((1 + 2 * x1) / 3, (1 - 2 * x1) / 3))
    decoded = env.unwrapped.encoding.to_scheme(choice.action)
    np.testing.assert_allclose(decoded.sum(axis=1), 1.0)
    cases = {
        '{"offer": [[0.5, 0.5]]}': "must have 2 rows",
        '{"offer": [[0.5, 0.5], [1]]}': "must have 2 rows",
        '{"offer": [[0.5, 0.6], [0, 1]]}': "row 0 \\(s0\\) sums to 1.1",
        '{"offer": [[-0.5, 1.5], [0, 1]]}': "negative",
        '{"offer": [["a", 1], [0, 1]]}': "plain numbers",
        '{"offer": "[[1, 0], [0, 1]]"}': "list of 2 rows",
        '{"action": 2}': 'not "action"',
        '{"decision": "accept"}': "no offer on the table",
    }
    for reply, message in cases.items():
        with pytest.raises(ReplyError, match=message):
            parse_reply(reply, env, "sender")
    env.step(choice.action)
    accept = parse_reply('{"decision": "accept"}', env, "receiver")
    assert accept.kind == "accept" and accept.action[0] >= 0
    counter = parse_reply('{"decision": "reject", "offer": [[1, 0], [0, 1]]}', env, "receiver")
    assert counter.kind == "offer" and counter.action[0] < 0 and counter.payoffs == pytest.approx((1 / 3, 1 / 3))
    with pytest.raises(ReplyError, match="counter-offering"):
        parse_reply('{"decision": "reject"}', env, "receiver")
    with pytest.raises(ReplyError, match="alone"):
        parse_reply('{"decision": "accept", "offer": [[1, 0], [0, 1]]}', env, "receiver")


def test_pie_replies_and_retry_message() -> None:
    env = make_env(game="split_pie", grid_size=3)
    assert parse_reply('{"action": 3}', env, "sender").payoffs == pytest.approx((0.5, 0.5))
    with pytest.raises(ReplyError, match="shares, not schemes") as caught:
        parse_reply('{"offer": [[1, 0], [0, 1]]}', env, "sender")
    message = retry_message(caught.value, env, "sender")
    assert message.startswith("Your reply could not be used: this game is bargained over shares")
    assert '{"action": N}' in message


def test_formatting_helpers() -> None:
    assert [fmt(v) for v in (2 / 3, 1.0, 0.0, -0.00001, 0.25)] == ["0.6667", "1", "0", "0", "0.25"]
    assert format_scheme(np.array([[0.5, 0.5], [0.0, 1.0]])) == "[[0.5, 0.5], [0, 1]]"
