"""``infobargain play``: a person at a pseudo-terminal, analytic players, a chat model on a loopback server; and the
terminal player's entry handling."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pexpect
import pytest
from fake_chat_server import FakeChatServer, Status

from infobargain.agents import make_policy
from infobargain.agents.human import HumanPolicy
from infobargain.cli import add_env_arguments, add_game_arguments, env_kwargs_from_args, main
from infobargain.envs import information_bargaining_v1 as ib
from infobargain.envs.offers import ACCEPT, FIRST_OFFER

REPO = Path(__file__).resolve().parents[1]
KEY = "sk-play-SECRET-42"


def test_human_plays_a_whole_episode_in_a_terminal() -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "infobargain.cli", "play", "--sender", "human", "--receiver", "spe", "--grid-size", "3"],
        cwd=str(REPO),
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 200),
    )
    try:
        child.expect("You are the SENDER")
        child.expect("4: OFFER: the sender commits to φ = \\[\\[0.5, 0.5\\], \\[0, 1\\]\\]")
        child.expect_exact("sender> ")
        child.sendline("99")  # not an option: re-asked
        child.expect_exact("Invalid entry: action 99 is not legal now; legal actions now: 2, 3, 4.")
        child.expect_exact("sender> ")
        child.sendline("4")
        child.expect_exact("If accepted, this offer gives (U_S, U_R) = (0.6667, 0).")
        child.expect_exact("Commit? [y/n] ")
        child.sendline("n")  # changes its mind
        child.expect_exact("Not committed; choose again.")
        child.expect_exact("sender> ")
        child.sendline("1 0; 0 1")  # full disclosure, typed as a scheme
        child.expect_exact("You chose: 2: OFFER")
        child.expect_exact("(U_S, U_R) = (0.3333, 0.3333)")
        child.expect_exact("Commit? [y/n] ")
        child.sendline("y")
        child.expect_exact("receiver accepts")
        child.expect_exact("outcome:   deal in round 0, (U_S, U_R) = (0.3333, 0.3333)")
        child.expect_exact("exact SPE: deal in round 0, (U_S, U_R) = (0.3333, 0.3333)")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_analytic_players_match_the_spe(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    argv = ["play", "--sender", "spe", "--receiver", "spe", "--episodes", "2", "--seed", "3", "--run-dir", str(run_dir)]
    assert main([*argv, "--scenario", "prosecutor", "--protocol", "fixed_role", "--max-rounds", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count("outcome − SPE: (+0.0000, +0.0000)") == 2
    assert "=== episode 2/2: sender spe, receiver spe" in out and "mean over 2 episodes (2 deals)" in out
    records = [json.loads(line) for line in (run_dir / "episodes.jsonl").read_text().splitlines()]
    assert [r["seed"] for r in records] == [3, 4] and all(r["deal"] for r in records)
    np.testing.assert_allclose(records[0]["payoffs"], records[0]["spe_played"]["payoffs"])
    assert records[0]["transcript"][0] == "prosecutor: fixed_role, sender proposes first"


def test_scheme_space_pie_and_sampled_realization(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", "--sender", "bp", "--receiver", "obedient", "--offer-space", "scheme", "--seed", "0"]) == 0
    assert "exact SPE" in capsys.readouterr().out
    argv = ["play", "--sender", "random", "--receiver", "random", "--scenario", "split_pie", "--realization", "sampled"]
    assert main([*argv, "--realization-rounds", "3", "--seed", "1"]) == 0
    assert "(sampled realization: the SPE is in expectation)" in capsys.readouterr().out


def test_bad_arguments_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", "--sender", "nobody", "--receiver", "spe"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("infobargain: error: policy: unknown player 'nobody'") and err.count("\n") == 1
    assert main(["play", "--sender", "spe", "--receiver", "spe", "--episodes", "0"]) == 2
    assert (
        main(["play", "--sender", "spe", "--receiver", "spe", "--offer-space", "grid", "--scenario", "split_pie"]) == 2
    )
    assert main(["play", "--sender", "spe", "--receiver", "llm:x"]) == 2  # no endpoint configured
    assert "INFOBARGAIN_LLM_BASE_URL" in capsys.readouterr().err


def test_chat_model_plays_through_the_cli(
    server: FakeChatServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFOBARGAIN_LLM_BASE_URL", server.url)
    monkeypatch.setenv("INFOBARGAIN_LLM_API_KEY", KEY)
    monkeypatch.setenv("INFOBARGAIN_LLM_REPLY_RETRIES", "1")
    server.replies('Let me think. {"action": 12}', '{"action": 2}')  # an illegal action, then full disclosure
    argv = ["play", "--sender", "llm:fake-model", "--receiver", "spe", "--grid-size", "5", "--run-dir", str(tmp_path)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "outcome:   deal in round 0, (U_S, U_R) = (0.3333, 0.3333)" in captured.out
    assert "sender llm:fake-model: 1 decisions, 2 replies asked, 1 unusable, 0 fallbacks" in captured.out
    transcript = tmp_path / "llm-sender-fake-model.jsonl"
    log = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert [e["event"] for e in log] == ["request", "reply", "invalid_reply", "request", "reply", "decision"]
    assert (tmp_path / "episodes.jsonl").exists()
    for text in (captured.out, captured.err, *(p.read_text() for p in tmp_path.iterdir())):
        assert KEY not in text


def test_a_fallback_is_named_and_no_fallback_exits_non_zero(
    server: FakeChatServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFOBARGAIN_LLM_BASE_URL", server.url)
    monkeypatch.setenv("INFOBARGAIN_LLM_RETRIES", "0")
    argv = ["play", "--sender", "llm:m", "--receiver", "spe", "--grid-size", "5", "--run-dir", str(tmp_path)]
    server.push(Status(429, "rate limited"))
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "fell back to random" in captured.err and "HTTP 429: rate limited" in captured.err
    assert "1 fallback(s): endpoint:" in captured.out and "HTTP 429: rate limited" in captured.out
    server.push(Status(500, "down"))
    assert main([*argv, "--no-fallback"]) != 0
    err = capsys.readouterr().err
    assert "HTTP 500: down" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_env_flags_helpers() -> None:
    parser = argparse.ArgumentParser()
    add_game_arguments(parser)
    add_env_arguments(parser)
    args = parser.parse_args(
        ["--offer-space", "grid", "--grid-size", "4", "--realization", "sampled", "--discount", "0.9"]
    )
    kwargs = env_kwargs_from_args(args)
    assert kwargs["offer_space"] == "grid" and kwargs["grid_size"] == 4 and kwargs["realization"] == "sampled"
    assert kwargs["discount"] == 0.9 and kwargs["receiver_offer"] == "threshold" and kwargs["realization_rounds"] == 10
    ib.env(**kwargs)  # every key is a constructor argument


# the terminal player, in process


class Terminal:
    """Scripted entries for ``HumanPolicy``; collects what it writes."""

    def __init__(self, *entries: str) -> None:
        self.entries = list(entries)
        self.prompts: list[str] = []
        self.written: list[str] = []

    def read(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.entries:
            raise EOFError
        return self.entries.pop(0)

    def write(self, text: str) -> None:
        self.written.append(text)

    @property
    def text(self) -> str:
        return "\n".join(self.written)


def human(env: Any, role: str, terminal: Terminal) -> HumanPolicy:
    policy = HumanPolicy(env, role, read=terminal.read, write=terminal.write)  # type: ignore[arg-type]
    policy.reset(0)
    return policy


def test_human_on_the_scheme_space() -> None:
    env = ib.env(offer_space="scheme")
    env.reset(seed=0)
    terminal = Terminal("", "3", "?", "[[0.5, 0.5], [0, 1]]", "maybe", "y")
    action = human(env, "sender", terminal).act(env.observe("sender_0"))
    np.testing.assert_allclose(env.unwrapped.encoding.to_scheme(action), [[0.5, 0.5], [0.0, 1.0]])
    assert action[0] < 0
    text = terminal.text
    assert "Invalid entry: nothing was entered" in text and "no numbered options" in text
    assert "If accepted, this offer gives (U_S, U_R) = (0.6667, 0)." in text and "Please answer y or n." in text
    assert text.count("An offer is any scheme") == 2  # '?' listed the options again
    env.step(action)
    terminal = Terminal("r", "a", "y")
    assert human(env, "receiver", terminal).act(env.observe("receiver_0"))[0] >= 0
    assert "reject by counter-offering" in terminal.text
    assert "Accepting ends bargaining with this deal: (U_S, U_R) = (0.6667, 0)." in terminal.text


def test_human_responder_consequences_and_passing() -> None:
    env = ib.env(protocol="fixed_role", max_rounds=2, discount=0.5, grid_size=3)
    env.reset(seed=0)
    terminal = Terminal()
    assert human(env, "receiver", terminal).act(env.observe("receiver_0")) == ACCEPT  # not its turn: passes
    assert terminal.prompts == []
    env.step(FIRST_OFFER + 2)
    terminal = Terminal('{"decision": "reject"}', "y")
    assert human(env, "receiver", terminal).act(env.observe("receiver_0")) == 1
    assert "Rejecting leads to round 1, unless bargaining breaks down (probability 0.1" in terminal.text
    env.step(1)
    terminal = Terminal("r", "2", "y")  # round 1: the sender proposes again and has nothing to reject
    assert human(env, "sender", terminal).act(env.observe("sender_0")) == FIRST_OFFER
    assert "Invalid entry: there is no offer on the table to reject: you must make an offer" in terminal.text
    assert "(× 0.5 for the discount of round 1)" in terminal.text
    env.step(FIRST_OFFER)
    terminal = Terminal("r", "y")
    assert human(env, "receiver", terminal).act(env.observe("receiver_0")) == 1
    assert "Rejecting in the last round ends bargaining without a deal: (U_S, U_R) = (0, 0) (× 0.5" in terminal.text
    env.reset(seed=0)
    with pytest.raises(EOFError):  # input closed: the play command reports it in one line
        human(env, "sender", Terminal()).act(env.observe("sender_0"))
    assert make_policy("human", env, "sender").spec == "human"
