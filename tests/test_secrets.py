"""An API key never shows itself: a key with a control character (a key file with Windows line endings) is
refused with a message that does not contain it, and no output or written file carries it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fake_chat_server import FakeChatServer

from infobargain.agents.llm import ChatClient, Secret

SECRET = "sk-SECRET-crlf-0123456789"
BAD_KEYS = [SECRET + "\r\n", SECRET + "\r", SECRET + "\n", "sk-SECRET\x00x", "sk-SECRET with space", "sk-SECRET-é"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_with_a_control_character_is_refused_without_showing_it(key: str) -> None:
    with pytest.raises(ValueError, match="API key") as raised:
        ChatClient("http://127.0.0.1:9/v1", "model", key)
    assert "SECRET" not in str(raised.value) and "SECRET" not in repr(raised.value)


def test_a_clean_key_is_kept() -> None:
    assert Secret(SECRET).reveal() == SECRET


@pytest.mark.parametrize(
    "command",
    [
        ["play", "--sender", "llm:fake-model", "--receiver", "spe", "--run-dir", "out"],
        ["evaluate", "--sender", "llm:fake-model", "--receiver", "spe", "--episodes", "1", "--out", "out"],
    ],
)
def test_a_crlf_key_never_reaches_output_files_or_the_server(
    command: list[str], server: FakeChatServer, tmp_path: Path
) -> None:
    environment = {
        **os.environ,
        "INFOBARGAIN_LLM_BASE_URL": server.url,
        "INFOBARGAIN_LLM_API_KEY": SECRET + "\r\n",
        "INFOBARGAIN_LLM_RUN_DIR": str(tmp_path / "llm"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "infobargain.cli", *command],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "API key" in done.stderr
    assert "SECRET" not in done.stdout + done.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"SECRET" not in path.read_bytes(), path
    assert server.requests == []


def test_settings_come_from_one_mapping_with_overrides_and_never_show_the_key(tmp_path: Path) -> None:
    from infobargain.agents.llm import LLMSettings

    environ = {
        "INFOBARGAIN_LLM_BASE_URL": "http://127.0.0.1:9/v1",
        "OPENAI_API_KEY": SECRET,
        "INFOBARGAIN_LLM_TIMEOUT": "7.5",
        "INFOBARGAIN_LLM_RETRIES": "1",
        "INFOBARGAIN_LLM_REPLY_RETRIES": "0",
        "INFOBARGAIN_LLM_FALLBACK": "spe",
        "INFOBARGAIN_LLM_TEMPERATURE": "0.2",
        "INFOBARGAIN_LLM_MAX_TOKENS": "64",
        "INFOBARGAIN_LLM_RUN_DIR": str(tmp_path),
    }
    settings = LLMSettings.from_environment(environ, reply_retries=3, temperature=None)
    assert (settings.base_url, settings.timeout, settings.http_retries, settings.reply_retries) == (
        "http://127.0.0.1:9/v1",
        7.5,
        1,
        3,
    )
    assert (settings.fallback, settings.temperature, settings.max_tokens, settings.run_dir) == (
        "spe",
        0.2,
        64,
        tmp_path,
    )
    assert settings.api_key.reveal() == SECRET and "SECRET" not in repr(settings)
    with pytest.raises(TypeError, match="unknown setting 'base'"):
        LLMSettings.from_environment(environ, base="x")
    with pytest.raises(ValueError, match="INFOBARGAIN_LLM_TIMEOUT: must be a finite number"):
        LLMSettings.from_environment({"INFOBARGAIN_LLM_TIMEOUT": "nan"})
    with pytest.raises(ValueError, match="API key") as raised:
        LLMSettings.from_environment({"OPENAI_API_KEY": SECRET + "\r"})
    assert "SECRET" not in str(raised.value)
