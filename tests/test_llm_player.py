"""The chat-model player against a scripted OpenAI-compatible server on 127.0.0.1: actions, retries, backoff,
fallback, configuration, and that the API key is never written anywhere."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_chat_server import Drip, FakeChatServer, Raw, Reply, Status

from infobargain.agents import make_policy
from infobargain.agents.llm import (
    ECHOED_REPLY_CHARS,
    ChatClient,
    EndpointRefused,
    FallbackRefused,
    LLMPolicy,
    Secret,
    completions_url,
    exponential_backoff,
)
from infobargain.envs import information_bargaining_v1 as ib
from infobargain.envs.offers import ACCEPT, FIRST_OFFER

KEY = "sk-test-SECRET-0123456789"
BP_OFFER = FIRST_OFFER + 10  # frontier, grid_size 11: the sender's best point is the last offer


@pytest.fixture(autouse=True)
def no_llm_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "INFOBARGAIN_LLM_BASE_URL",
        "OPENAI_BASE_URL",
        "INFOBARGAIN_LLM_API_KEY",
        "OPENAI_API_KEY",
        "INFOBARGAIN_LLM_FALLBACK",
        "INFOBARGAIN_LLM_RUN_DIR",
        "INFOBARGAIN_LLM_REPLY_RETRIES",
        "INFOBARGAIN_LLM_RETRIES",
        "INFOBARGAIN_LLM_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)


def make_env(**kwargs: Any) -> Any:
    """The env at its first move, on 11 offers per frontier (where :data:`BP_OFFER` is the last) unless told."""
    env = ib.env(**{"grid_size": 11, **kwargs})
    env.reset(seed=0)
    return env


class Waits:
    """Records the waits the client asks for instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def player(env: Any, server: FakeChatServer, tmp_path: Path, role: str = "sender", **kwargs: Any) -> LLMPolicy:
    options: dict[str, Any] = {
        "base_url": server.url,
        "api_key": KEY,
        "timeout": 5.0,
        "http_retries": 2,
        "reply_retries": 2,
        "sleep": Waits(),
        "run_dir": tmp_path,
    }
    options.update(kwargs)
    policy = LLMPolicy(env, role, "test-model", **options)  # type: ignore[arg-type]
    policy.reset(seed=0)
    return policy


def events(policy: LLMPolicy) -> list[dict[str, Any]]:
    return [json.loads(line) for line in policy.transcript_path.read_text().splitlines()]


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert KEY not in text


def observe(env: Any, role: str = "sender") -> Any:
    return env.observe(f"{role}_0")


def test_valid_reply_is_played_and_logged(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    policy = player(env, server, tmp_path)
    server.replies(f'I keep the most for myself.\n```json\n{{"action": {BP_OFFER}, "reason": "greedy"}}\n```')
    assert policy.act(observe(env)) == BP_OFFER
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"  # the key is sent …
    assert request["body"]["model"] == "test-model"
    assert [m["role"] for m in request["body"]["messages"]] == ["system", "user"]
    assert "You are the SENDER" in request["body"]["messages"][1]["content"]
    log = events(policy)
    assert [e["event"] for e in log] == ["request", "reply", "decision"]
    assert log[-1]["action"] == BP_OFFER and log[-1]["source"] == "model" and log[-1]["reason"] == "greedy"
    assert all(e["role"] == "sender" and e["model"] == "test-model" and e["episode"] == 1 for e in log)
    assert_no_secret(policy.transcript_path.read_text())  # … and never written
    assert policy.stats.decisions == 1 and policy.stats.fallbacks == 0


def test_malformed_then_illegal_then_valid_reply(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    policy = player(env, server, tmp_path)
    server.replies("{'action': 3}", '{"action": 99}', '{"action": 3}')
    assert policy.act(observe(env)) == 3
    assert len(server.requests) == 3
    second, third = server.requests[1]["body"]["messages"], server.requests[2]["body"]["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[2]["content"] == "{'action': 3}"
    assert "could not be used" in second[3]["content"] and "double quotes" in second[3]["content"]
    assert len(third) == 6 and "action 99 is not legal" in third[5]["content"]
    assert policy.stats.invalid_replies == 2 and policy.stats.fallbacks == 0
    assert [e["event"] for e in events(policy)].count("invalid_reply") == 2


def test_fallback_after_the_reply_retries_run_out(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    policy = player(env, server, tmp_path, reply_retries=1, fallback="bp")
    server.replies("no idea", '{"action": 0}')  # no JSON, then ACCEPT while proposing
    assert policy.act(observe(env)) == BP_OFFER  # the BP sender's offer
    assert len(server.requests) == 2
    assert policy.stats.fallbacks == 1 and policy.stats.invalid_replies == 2
    fallback = [e for e in events(policy) if e["event"] == "fallback"]
    assert fallback == [fallback[0]] and fallback[0]["player"] == "bp" and fallback[0]["action"] == BP_OFFER
    assert "no legal reply after 2 attempt(s)" in fallback[0]["reason"]


def test_random_fallback_is_legal_and_seeded(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    actions = []
    for _ in range(2):
        policy = player(env, server, tmp_path, reply_retries=0)
        server.replies("")
        actions.append(policy.act(observe(env)))
    assert actions[0] == actions[1] and observe(env)["action_mask"][actions[0]] == 1


def test_timeout_is_retried_after_backoff(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    waits = Waits()
    policy = player(env, server, tmp_path, timeout=0.2, sleep=waits, backoff=exponential_backoff(0.5, 2.0))
    server.push(Reply('{"action": 2}', delay=0.6), Reply('{"action": 4}'))
    assert policy.act(observe(env)) == 4
    assert len(server.requests) == 2 and waits.waits == [0.5]
    retry = next(e for e in events(policy) if e["event"] == "retry")
    assert "timed out after 0.2 s" in retry["error"] and retry["wait_s"] == 0.5


def test_server_errors_back_off_exponentially(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    waits = Waits()
    policy = player(env, server, tmp_path, http_retries=3, sleep=waits, backoff=exponential_backoff(1.0, 2.0, cap=3.0))
    server.push(Status(500), Status(503, "overloaded"), Raw(b"<html>proxy</html>"), Reply('{"action": 5}'))
    assert policy.act(observe(env)) == 5
    assert waits.waits == [1.0, 2.0, 3.0]  # 1, 2, then the cap
    assert policy.stats.endpoint_failures == 0


def test_endpoint_failure_falls_back(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    waits = Waits()
    policy = player(env, server, tmp_path, http_retries=1, sleep=waits, fallback="bp")
    server.push(Status(500), Status(502))
    assert policy.act(observe(env)) == BP_OFFER
    assert len(server.requests) == 2 and len(waits.waits) == 1
    assert policy.stats.endpoint_failures == 1 and policy.stats.fallbacks == 1
    log = events(policy)
    assert [e["event"] for e in log][-2:] == ["endpoint_failure", "fallback"]
    assert log[-1]["reason"].startswith("endpoint: llm: http://127.0.0.1")


def test_connection_refused_is_retried_then_falls_back(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = make_env()
    waits = Waits()
    policy = LLMPolicy(
        env, "sender", "m", base_url=f"http://127.0.0.1:{port}/v1", http_retries=2, sleep=waits, run_dir=tmp_path
    )
    policy.reset(0)
    action = policy.act(observe(env))
    assert observe(env)["action_mask"][action] == 1
    assert len(waits.waits) == 2 and policy.stats.fallbacks == 1
    assert "connection failed" in events(policy)[-1]["reason"]


def test_refusal_raises_without_revealing_the_key(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    policy = player(env, server, tmp_path)
    server.push(Status(401, json.dumps({"error": f"invalid key {KEY}"})))
    with pytest.raises(EndpointRefused) as caught:
        policy.act(observe(env))
    assert "HTTP 401" in str(caught.value) and "invalid key ***" in str(caught.value)
    assert len(server.requests) == 1  # a refusal is not retried
    assert_no_secret(str(caught.value), repr(caught.value), policy.transcript_path.read_text())


def test_the_key_is_never_shown(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    policy = player(env, server, tmp_path)
    server.replies(f'my key is {KEY} and I choose {{"action": 2, "reason": "{KEY}"}}')  # the model echoes it
    policy.act(observe(env))
    policy.save(tmp_path / "player.json")
    assert json.loads((tmp_path / "player.json").read_text()) == {"policy": "llm:test-model", "role": "sender"}
    texts = [repr(policy), str(policy), repr(policy.client), repr(policy.client.key), str(policy.client.key)]
    assert_no_secret(*texts, *(p.read_text() for p in tmp_path.iterdir()))
    assert "***" in policy.transcript_path.read_text()
    secret = Secret('a"b\\c')
    assert secret.redact(json.dumps({"k": 'a"b\\c'})) == '{"k": "***"}'


def test_make_policy_reads_the_environment(
    server: FakeChatServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFOBARGAIN_LLM_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("INFOBARGAIN_LLM_RUN_DIR", str(tmp_path))
    monkeypatch.setenv("INFOBARGAIN_LLM_TIMEOUT", "3")
    env = make_env()
    policy = make_policy("llm:llama3:8b", env, "receiver")
    assert isinstance(policy, LLMPolicy) and policy.model == "llama3:8b" and policy.client.timeout == 3.0
    assert policy.transcript_path == tmp_path / "llm-receiver-llama3_8b.jsonl"
    env.step(3)  # the sender offers; the receiver answers
    server.replies('{"decision": "accept"}')
    assert policy.act(observe(env, "receiver")) == ACCEPT
    assert server.requests[0]["headers"]["Authorization"] == f"Bearer {KEY}"
    assert server.requests[0]["body"]["model"] == "llama3:8b"


def test_configuration_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = make_env()
    with pytest.raises(ValueError, match="INFOBARGAIN_LLM_BASE_URL"):
        make_policy("llm:gpt", env, "sender")
    with pytest.raises(ValueError, match="model name"):
        make_policy("llm:", env, "sender")
    monkeypatch.setenv("INFOBARGAIN_LLM_BASE_URL", "ftp://example")
    with pytest.raises(ValueError, match="http"):
        make_policy("llm:gpt", env, "sender")
    monkeypatch.setenv("INFOBARGAIN_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("INFOBARGAIN_LLM_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="INFOBARGAIN_LLM_TIMEOUT"):
        make_policy("llm:gpt", env, "sender")
    monkeypatch.delenv("INFOBARGAIN_LLM_TIMEOUT")
    with pytest.raises(ValueError, match="fallback"):
        LLMPolicy(env, "sender", "gpt", fallback="human", run_dir=tmp_path)
    assert completions_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"
    assert completions_url("http://h:1/v1/chat/completions") == "http://h:1/v1/chat/completions"
    client = ChatClient("http://user:pw@h:1/v1", "m", KEY)
    assert "pw" not in repr(client) and KEY not in repr(client)


def test_passing_costs_no_request(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    policy = player(env, server, tmp_path, role="receiver")
    assert policy.act(observe(env, "receiver")) == ACCEPT  # not its turn
    assert server.requests == []


def test_whole_episode_on_the_scheme_space(server: FakeChatServer, tmp_path: Path) -> None:
    """An LLM sender and an LLM receiver bargain over schemes: a counter-offer, then acceptance."""
    env = ib.env(offer_space="scheme", render_mode="ansi")
    env.reset(seed=0)
    players = {
        "sender_0": player(env, server, tmp_path, role="sender"),
        "receiver_0": player(env, server, tmp_path, role="receiver"),
    }
    server.replies(
        '{"offer": [[0.5, 0.5], [0, 1]]}',  # the sender proposes the BP scheme
        '{"decision": "reject"}',  # illegal: before the last round a rejection must counter-offer
        'Counter: {"decision": "reject", "offer": [[1, 0], [0, 1]]}',  # the receiver demands full disclosure
        '{"decision": "accept"}',
    )
    for agent in env.agent_iter():
        observation, _, done, cut, _ = env.last()
        env.step(None if done or cut else players[agent].act(observation))
    raw = env.unwrapped
    assert raw.deal is not None and raw.end_round == 1
    np.testing.assert_allclose(raw.payoffs, [0.9 / 3, 0.9 / 3])
    assert len(server.requests) == 4
    assert "counter-offer" in server.requests[2]["body"]["messages"][3]["content"]
    assert players["receiver_0"].stats.invalid_replies == 1


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_never_carries_the_key_elsewhere(server: FakeChatServer, tmp_path: Path, code: int) -> None:
    elsewhere = FakeChatServer().start()
    try:
        env = make_env()
        policy = player(env, server, tmp_path)
        server.push(Status(code, headers=(("Location", elsewhere.url + "/chat/completions"),)))
        elsewhere.replies('{"action": 2}')
        with pytest.raises(EndpointRefused) as caught:
            policy.act(observe(env))
        assert elsewhere.requests == []  # nothing at all reached the other origin, least of all the key
        port = elsewhere.httpd.server_address[1]
        assert f"HTTP {code}, redirecting to http://127.0.0.1:{port}" in str(caught.value)
        assert len(server.requests) == 1  # a redirect is not retried
    finally:
        elsewhere.stop()


@pytest.mark.parametrize("body_only", [False, True], ids=["trickled-head", "trickled-body"])
def test_the_timeout_bounds_a_whole_request(server: FakeChatServer, tmp_path: Path, body_only: bool) -> None:
    """A server that sends one byte every 0.1 s would take about 30 s per answer: each attempt ends at 1 s."""
    env = make_env()
    policy = player(env, server, tmp_path, timeout=1.0, http_retries=2, fallback="bp")
    server.push(*(Drip('{"action": 2}', 0.1, body_only) for _ in range(3)))
    started = time.monotonic()
    assert policy.act(observe(env)) == BP_OFFER  # every attempt timed out: the fallback decided
    assert time.monotonic() - started < 3 * 1.0 + 1.5
    assert len(server.requests) == 3
    assert "timed out after 1 s" in events(policy)[-1]["reason"]


def test_an_oversized_reply_is_neither_kept_nor_resent(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    policy = player(env, server, tmp_path, http_retries=1, max_reply_bytes=10_000, fallback="bp")
    huge = json.dumps({"choices": [{"message": {"content": "x" * 1_000_000}}]}).encode()
    server.push(Raw(huge), Raw(huge))
    assert policy.act(observe(env)) == BP_OFFER
    assert "over the 10000-byte cap" in events(policy)[-1]["reason"]
    assert policy.transcript_path.stat().st_size < 20_000


def test_an_unusable_long_reply_is_echoed_and_logged_cut(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    policy = player(env, server, tmp_path, reply_retries=2, fallback="bp")
    server.replies(*("no " * 60_000 for _ in range(3)))  # 180 kB each, under the cap, never an action
    assert policy.act(observe(env)) == BP_OFFER
    echoed = [m["content"] for m in server.requests[2]["body"]["messages"] if m["role"] == "assistant"]
    assert len(echoed) == 2 and all(len(text) < ECHOED_REPLY_CHARS + 100 for text in echoed)
    assert policy.transcript_path.stat().st_size < 100_000  # three 180 kB replies, three requests


def test_rate_limits_back_off_then_the_fallback_is_named(
    server: FakeChatServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env()
    waits = Waits()
    policy = player(env, server, tmp_path, http_retries=2, sleep=waits, fallback="bp")
    server.push(*(Status(429, "slow down", (("Retry-After", "7"),)) for _ in range(3)))
    assert policy.act(observe(env)) == BP_OFFER
    assert waits.waits == [7.0, 7.0] and len(server.requests) == 3  # bounded: 1 + 2 retries
    err = capsys.readouterr().err
    assert "sender llm:test-model fell back to bp" in err and "HTTP 429: slow down" in err


def test_fallback_none_stops_with_the_reason(server: FakeChatServer, tmp_path: Path) -> None:
    env = make_env()
    policy = player(env, server, tmp_path, http_retries=0, fallback="none")
    server.push(Status(500, "down"))
    with pytest.raises(FallbackRefused, match="HTTP 500: down"):
        policy.act(observe(env))
    assert events(policy)[-1]["event"] == "fallback_refused"
