"""A chat-model player: any OpenAI-compatible chat-completions endpoint plays one role through the text protocol.

``make_policy("llm:MODEL", env, role)`` builds one from environment variables, read in one place,
:meth:`LLMSettings.from_environment` (an :class:`LLMSettings` or keyword overrides passed to :class:`LLMPolicy`
take precedence; the model name may contain colons, e.g. ``llm:llama3:8b``):

- ``INFOBARGAIN_LLM_BASE_URL`` (else ``OPENAI_BASE_URL``): the endpoint's base URL, e.g.
  ``http://127.0.0.1:8000/v1``; ``/chat/completions`` is appended unless already there. Required: there is
  no default, so nothing is ever sent anywhere by accident.
- ``INFOBARGAIN_LLM_API_KEY`` (else ``OPENAI_API_KEY``): the bearer token, optional (local servers often need
  none). It is only ever sent in the ``Authorization`` header: never logged, printed, saved or put in an
  exception message (texts that echo it are scrubbed to ``***``).
- ``INFOBARGAIN_LLM_TIMEOUT``: seconds per HTTP request (default 120).
- ``INFOBARGAIN_LLM_RETRIES``: extra HTTP attempts after a timeout, a connection error, a 408, 425 or 429,
  a 5xx or a body that is not a chat completion (default 4), after waits of 1, 2, 4, … s (at most 60 s,
  or the server's ``Retry-After``). Other 4xx answers (bad key, unknown model) raise
  :class:`EndpointRefused` at once.
- ``INFOBARGAIN_LLM_REPLY_RETRIES``: extra replies asked for after a malformed or illegal one (default 2).
- ``INFOBARGAIN_LLM_FALLBACK``: the player that decides when those run out or the endpoint stays down
  (default ``random``; any ``make_policy`` name that decides by itself).
- ``INFOBARGAIN_LLM_TEMPERATURE``, ``INFOBARGAIN_LLM_MAX_TOKENS``: sent when set.
- ``INFOBARGAIN_LLM_RUN_DIR``: where the transcript goes (default ``runs/llm``; ``infobargain play
  --run-dir`` sets it).

Each decision is one fresh conversation (the prompt holds the whole history): the system and user messages
of :func:`infobargain.agents.text_protocol.build_prompt`; after an unusable reply the model's reply and the
parser's feedback are appended and it is asked again. Every request, reply, failure, retry, fallback and
decision is one line of ``llm-<role>-<model>.jsonl`` in the run directory. Passing (nothing to decide)
costs no request. Only the standard library is used.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from infobargain.agents.base import Observation, Policy, ViewPolicy
from infobargain.agents.text_protocol import ReplyError, build_prompt, parse_reply, retry_message
from infobargain.envs.view import act
from infobargain.game.protocol import Role

RETRYABLE_STATUS = frozenset({408, 425, 429})
"""HTTP 4xx statuses worth another attempt (every 5xx is retried too)."""
DEFAULT_TIMEOUT = 120.0
DEFAULT_HTTP_RETRIES = 4
DEFAULT_REPLY_RETRIES = 2
DEFAULT_RUN_DIR = Path("runs") / "llm"
ERROR_BODY_CHARS = 300


class LLMError(OSError):
    """The endpoint could not be used."""


class EndpointRefused(LLMError):
    """The endpoint refused the request (a 4xx such as a bad key or an unknown model): retrying will not help."""


class EndpointUnavailable(LLMError):
    """Timeouts, connection errors or 5xx answers outlasted every retry."""


class Secret:
    """An API key that never shows itself: ``repr`` and ``str`` print ``***``; :meth:`redact` scrubs text.

    The key must be printable ASCII without spaces (what an HTTP header carries): anything else, such as the
    ``\r`` of a key file saved with Windows line endings, raises a ``ValueError`` that does not contain it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        if value and not all("!" <= character <= "~" for character in value):
            raise ValueError(
                "llm: the API key contains a control character, a space or a non-ASCII character (e.g. a line "
                "ending copied from a file); fix the key (it is not shown here)"
            )
        self._value = value or None

    def __bool__(self) -> bool:
        return self._value is not None

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret(None)"

    __str__ = __repr__

    def reveal(self) -> str | None:
        return self._value

    def redact(self, text: str) -> str:
        """``text`` with every occurrence of the key (raw or JSON-escaped) replaced by ``***``."""
        if not self._value:
            return text
        for form in {self._value, json.dumps(self._value)[1:-1]}:
            text = text.replace(form, "***")
        return text


def exponential_backoff(base: float = 1.0, factor: float = 2.0, cap: float = 60.0) -> Callable[[int], float]:
    """Seconds to wait before retry ``k`` (0-based): ``min(cap, base · factor**k)``."""

    def delay(attempt: int) -> float:
        return float(min(cap, base * factor**attempt))

    return delay


def _env_number(environ: Mapping[str, str], name: str, kind: type[int] | type[float], default: Any) -> Any:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name}: expected a number, got {raw!r}") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{name}: must be a finite number >= 0, got {raw!r}")
    return value


def _first_env(environ: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None


@dataclass(frozen=True)
class LLMSettings:
    """Where and how a chat-model player asks its model: the endpoint, key, retries, fallback, sampling and
    transcript folder in one object. :meth:`from_environment` reads the variables of the module docstring;
    pass explicit values as overrides (``None`` keeps the environment's)."""

    base_url: str | None = None
    api_key: Secret = field(default_factory=lambda: Secret(None))
    timeout: float = DEFAULT_TIMEOUT
    http_retries: int = DEFAULT_HTTP_RETRIES
    reply_retries: int = DEFAULT_REPLY_RETRIES
    fallback: str | Policy = "random"
    temperature: float | None = None
    max_tokens: int | None = None
    run_dir: Path = DEFAULT_RUN_DIR

    def __post_init__(self) -> None:
        if not isinstance(self.api_key, Secret):  # a plain string key is wrapped (and validated) at once
            object.__setattr__(self, "api_key", Secret(self.api_key))
        object.__setattr__(self, "run_dir", Path(self.run_dir))
        if self.reply_retries < 0:
            raise ValueError(f"reply_retries: must be >= 0, got {self.reply_retries!r}")
        if isinstance(self.fallback, str) and (self.fallback == "human" or self.fallback.startswith("llm:")):
            raise ValueError(f"llm: the fallback player must decide by itself, got {self.fallback!r}")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> LLMSettings:
        """The settings the environment variables give (``os.environ`` by default), then ``overrides``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {
            "base_url": _first_env(environ, "INFOBARGAIN_LLM_BASE_URL", "OPENAI_BASE_URL"),
            "api_key": _first_env(environ, "INFOBARGAIN_LLM_API_KEY", "OPENAI_API_KEY"),
            "timeout": _env_number(environ, "INFOBARGAIN_LLM_TIMEOUT", float, DEFAULT_TIMEOUT),
            "http_retries": _env_number(environ, "INFOBARGAIN_LLM_RETRIES", int, DEFAULT_HTTP_RETRIES),
            "reply_retries": _env_number(environ, "INFOBARGAIN_LLM_REPLY_RETRIES", int, DEFAULT_REPLY_RETRIES),
            "fallback": environ.get("INFOBARGAIN_LLM_FALLBACK") or "random",
            "temperature": _env_number(environ, "INFOBARGAIN_LLM_TEMPERATURE", float, None),
            "max_tokens": _env_number(environ, "INFOBARGAIN_LLM_MAX_TOKENS", int, None),
            "run_dir": environ.get("INFOBARGAIN_LLM_RUN_DIR") or DEFAULT_RUN_DIR,
        }
        unknown = sorted(set(overrides) - set(values))
        if unknown:
            raise TypeError(f"LLMSettings: unknown setting {unknown[0]!r} (known: {', '.join(values)})")
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)

    def client(
        self, model: str, *, backoff: Callable[[int], float] | None, sleep: Callable[[float], None]
    ) -> ChatClient:
        """A :class:`ChatClient` for ``model`` at this endpoint."""
        if not self.base_url:
            raise ValueError(
                "llm: no endpoint; set INFOBARGAIN_LLM_BASE_URL (or OPENAI_BASE_URL), e.g. http://127.0.0.1:8000/v1"
            )
        return ChatClient(
            self.base_url,
            model,
            self.api_key,
            timeout=self.timeout,
            retries=self.http_retries,
            backoff=backoff,
            sleep=sleep,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )


def _public_url(url: str) -> str:
    """``url`` without any user:password part, for logs and messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def completions_url(base_url: str) -> str:
    """The chat-completions URL of an endpoint base URL."""
    url = base_url.rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"base_url: expected an http(s) URL such as http://127.0.0.1:8000/v1, got {_public_url(url)!r}"
        )
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


@dataclass(frozen=True)
class ChatReply:
    """One completion: the text and what the endpoint said about it."""

    content: str
    finish_reason: str | None = None
    usage: Mapping[str, Any] | None = None
    attempts: int = 1


Logger = Callable[[dict[str, Any]], None]


class ChatClient:
    """A minimal OpenAI-compatible chat-completions client (``urllib``), with retries and exponential backoff.

    ``backoff(k)`` gives the wait before retry ``k`` and ``sleep`` does the waiting: both are injectable so
    tests need not wait. ``log`` receives one record per request, reply and failure (never the key).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | Secret | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_HTTP_RETRIES,
        backoff: Callable[[int], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        temperature: float | None = None,
        max_tokens: int | None = None,
        log: Logger | None = None,
    ) -> None:
        if not model:
            raise ValueError("model: a chat model name is required")
        if timeout <= 0:
            raise ValueError(f"timeout: must be > 0 seconds, got {timeout!r}")
        if retries < 0:
            raise ValueError(f"retries: must be >= 0, got {retries!r}")
        self.url = completions_url(base_url)
        self.public_url = _public_url(self.url)
        self.model = model
        self.key = api_key if isinstance(api_key, Secret) else Secret(api_key)
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = backoff or exponential_backoff()
        self.sleep = sleep
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.log = log or (lambda record: None)
        handlers: list[urllib.request.BaseHandler] = []
        if _is_loopback(urllib.parse.urlsplit(self.url).hostname):
            handlers.append(urllib.request.ProxyHandler({}))  # never send loopback traffic through a proxy
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        return f"ChatClient({self.public_url!r}, model={self.model!r}, api_key={self.key!r})"

    def _request(self, payload: dict[str, Any]) -> urllib.request.Request:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = self.key.reveal()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return urllib.request.Request(self.url, json.dumps(payload).encode(), headers, method="POST")

    def complete(self, messages: list[dict[str, str]]) -> ChatReply:
        """The model's reply to ``messages``; raises :class:`LLMError` once retries are spent or on a 4xx."""
        payload: dict[str, Any] = {"model": self.model, "messages": messages}
        if self.temperature is not None:
            payload["temperature"] = self.temperature
        if self.max_tokens is not None:
            payload["max_tokens"] = self.max_tokens
        for attempt in range(self.retries + 1):
            self.log({"event": "request", "attempt": attempt, "url": self.public_url, "body": payload})
            started = time.monotonic()
            try:
                reply = self._send(payload)
            except _Retryable as error:
                message = self.key.redact(str(error))
                if attempt >= self.retries:
                    self.log({"event": "endpoint_failure", "attempt": attempt, "error": message})
                    raise EndpointUnavailable(
                        f"llm: {self.public_url} failed {attempt + 1} time(s); last error: {message}"
                    ) from None
                wait = max(self.backoff(attempt), error.retry_after or 0.0)
                self.log({"event": "retry", "attempt": attempt, "error": message, "wait_s": wait})
                self.sleep(wait)
                continue
            except LLMError as error:
                self.log({"event": "endpoint_failure", "attempt": attempt, "error": str(error)})
                raise
            elapsed = round(time.monotonic() - started, 3)
            self.log(
                {
                    "event": "reply",
                    "attempt": attempt,
                    "elapsed_s": elapsed,
                    "content": reply.content,
                    "finish_reason": reply.finish_reason,
                    "usage": reply.usage,
                }
            )
            return ChatReply(reply.content, reply.finish_reason, reply.usage, attempt + 1)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, payload: dict[str, Any]) -> ChatReply:
        try:
            with self._opener.open(self._request(payload), timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            body = self.key.redact(_read_quietly(error))[:ERROR_BODY_CHARS]
            if error.code in RETRYABLE_STATUS or error.code >= 500:
                raise _Retryable(f"HTTP {error.code}: {body}", _retry_after(error.headers)) from None
            raise EndpointRefused(f"llm: {self.public_url} answered HTTP {error.code}: {body}") from None
        except TimeoutError:
            raise _Retryable(f"timed out after {self.timeout:g} s") from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError):
                raise _Retryable(f"timed out after {self.timeout:g} s") from None
            raise _Retryable(f"connection failed: {reason}") from None
        except (http.client.HTTPException, ConnectionError, OSError) as error:
            raise _Retryable(f"connection failed: {type(error).__name__}: {error}") from None
        return _parse_completion(raw)


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _read_quietly(error: urllib.error.HTTPError) -> str:
    try:
        return error.read().decode("utf-8", "replace")
    except Exception:  # the body is only a hint for the message
        return ""


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return min(60.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _parse_completion(raw: bytes) -> ChatReply:
    try:
        data = json.loads(raw)
        choice = data["choices"][0]
        message = choice.get("message") or {}
        content = message.get("content")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise _Retryable(f"not a chat completion: {raw[:ERROR_BODY_CHARS]!r}") from None
    if isinstance(content, list):  # some servers return content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
    return ChatReply(content if isinstance(content, str) else "", choice.get("finish_reason"), usage)


class Transcript:
    """A JSONL log; every line is scrubbed of the secret before it is written."""

    def __init__(self, path: Path, secret: Secret, context: Callable[[], dict[str, Any]]) -> None:
        self.path = path
        self.secret = secret
        self.context = context

    def __call__(self, record: dict[str, Any]) -> None:
        line = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **self.context(), **record}
        text = self.secret.redact(json.dumps(line, default=_jsonable, ensure_ascii=False))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return repr(value)


@dataclass
class LLMStats:
    """Counters over the player's lifetime."""

    decisions: int = 0
    """Bargaining decisions faced (passing is not one)."""
    requests: int = 0
    """Replies asked for (HTTP retries of one request are not counted)."""
    invalid_replies: int = 0
    """Replies that were malformed or illegal."""
    fallbacks: int = 0
    """Decisions left to the fallback player."""
    endpoint_failures: int = 0
    """Decisions on which the endpoint stayed unreachable through every HTTP retry."""
    fallback_reasons: list[str] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "model"


class LLMPolicy(ViewPolicy):
    """Plays one role by asking a chat model, through the text protocol; see the module docstring.

    Args:
        model: the endpoint's model name.
        settings: endpoint, key, retries, fallback, sampling and transcript folder (default: from the
            environment, :meth:`LLMSettings.from_environment`).
        backoff, sleep: the retry wait schedule and the waiting (injectable for tests).
        client: a ready :class:`ChatClient` (then the endpoint settings are not used).
        overrides: any :class:`LLMSettings` field by name (``base_url=...``, ``reply_retries=...``), applied
            over ``settings``.
    """

    def __init__(
        self,
        env: Any,
        role: Role,
        model: str,
        settings: LLMSettings | None = None,
        *,
        backoff: Callable[[int], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        client: ChatClient | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(env, role)
        if not model:
            raise ValueError("policy: 'llm:MODEL' needs a model name, e.g. llm:gpt-4o-mini")
        if settings is None:
            settings = LLMSettings.from_environment(**overrides)
        elif overrides:
            settings = replace(settings, **{key: value for key, value in overrides.items() if value is not None})
        self.settings = settings
        self.model = model
        self.spec = f"llm:{model}"
        self.reply_retries = settings.reply_retries
        self.stats = LLMStats()
        self.episode = 0
        self.decision = 0
        self.player_id = uuid.uuid4().hex[:8]
        """Tells apart the players that share a transcript file (same role and model, e.g. in a suite)."""
        self.run_dir = settings.run_dir
        self.client = client if client is not None else settings.client(model, backoff=backoff, sleep=sleep)
        self.transcript = Transcript(self.transcript_path, self.client.key, self._context)
        self.client.log = self.transcript
        self._fallback_spec = settings.fallback
        self._fallback: Policy | None = None if isinstance(self._fallback_spec, str) else self._fallback_spec

    @classmethod
    def from_spec(cls, spec: str, env: Any, role: Role) -> LLMPolicy:
        """``llm:MODEL`` (the model name may itself contain colons, e.g. ``llm:llama3:8b``)."""
        return cls(env, role, spec.split(":", 1)[1] if ":" in spec else "")

    # configuration

    @property
    def transcript_path(self) -> Path:
        return self.run_dir / f"llm-{self.role}-{_slug(self.model)}.jsonl"

    def set_run_dir(self, run_dir: str | Path) -> None:
        """Write the transcript under ``run_dir`` from now on."""
        self.run_dir = Path(run_dir)
        self.transcript.path = self.transcript_path

    @property
    def fallback(self) -> Policy:
        if self._fallback is None:
            from infobargain.agents.registry import make_policy

            assert isinstance(self._fallback_spec, str)
            self._fallback = make_policy(self._fallback_spec, self.env, self.role)
        return self._fallback

    def _context(self) -> dict[str, Any]:
        return {
            "player": self.player_id,
            "model": self.model,
            "role": self.role,
            "episode": self.episode,
            "decision": self.decision,
            "round": self.env.round,
        }

    # the Policy protocol

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self.episode += 1
        self.decision = 0
        self.fallback.reset(seed)

    def decide(self, observation: Observation) -> Any:
        now = self.situation(observation)
        if not (now.my_turn and now.bargaining):
            return self.passing
        self.decision += 1
        self.stats.decisions += 1
        mask = observation.get("action_mask")
        prompt = build_prompt(self.env, self.role, mask)
        messages = prompt.messages()
        for attempt in range(self.reply_retries + 1):
            self.stats.requests += 1
            try:
                reply = self.client.complete(messages)
            except EndpointUnavailable as error:  # a refusal (EndpointRefused) propagates: it will not fix itself
                self.stats.endpoint_failures += 1
                return self._fall_back(observation, f"endpoint: {error}")
            try:
                choice = parse_reply(reply.content, self.env, self.role, mask)
            except ReplyError as error:
                self.stats.invalid_replies += 1
                feedback = retry_message(error, self.env, self.role)
                self.transcript(
                    {"event": "invalid_reply", "attempt": attempt, "error": str(error), "feedback": feedback}
                )
                messages = [
                    *messages,
                    {"role": "assistant", "content": reply.content},
                    {"role": "user", "content": feedback},
                ]
                continue
            self.transcript(
                {
                    "event": "decision",
                    "source": "model",
                    "kind": choice.kind,
                    "action": choice.to_json(),
                    "summary": choice.summary,
                    "reason": choice.reason,
                }
            )
            return choice.action
        return self._fall_back(observation, f"no legal reply after {self.reply_retries + 1} attempt(s)")

    def _fall_back(self, observation: Observation, reason: str) -> Any:
        self.stats.fallbacks += 1
        self.stats.fallback_reasons.append(reason)
        action = act(self.fallback, observation, self.env)
        spec = getattr(self.fallback, "spec", type(self.fallback).__name__)
        self.transcript(
            {
                "event": "fallback",
                "reason": reason,
                "player": spec,
                "action": action.tolist() if hasattr(action, "tolist") else action,
            }
        )
        return action

    def __repr__(self) -> str:
        return f"LLMPolicy({self.spec!r}, role={self.role!r}, endpoint={self.client.public_url!r})"
