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
- ``INFOBARGAIN_LLM_TIMEOUT``: the total deadline of one HTTP request in seconds, connecting, sending and
  every read of the answer together (default 120): a server that trickles its answer is cut off there.
- ``INFOBARGAIN_LLM_MAX_REPLY_BYTES``: the largest answer body read (default 262144); a larger one counts as
  a failed attempt and is not kept.
- ``INFOBARGAIN_LLM_RETRIES``: extra HTTP attempts after a timeout, a connection error, a 408, 425 or 429,
  a 5xx or a body that is not a chat completion (default 4), after waits of 1, 2, 4, … s (at most 60 s,
  or the server's ``Retry-After``). Other 4xx answers (bad key, unknown model) raise
  :class:`EndpointRefused` at once.
- ``INFOBARGAIN_LLM_REPLY_RETRIES``: extra replies asked for after a malformed or illegal one (default 2).
- ``INFOBARGAIN_LLM_FALLBACK``: the player that decides when those run out or the endpoint stays down
  (default ``random``; any ``make_policy`` name that decides by itself), each time with its reason on stderr;
  ``none`` raises :class:`FallbackRefused` instead, so the command stops with that reason and a non-zero exit.

Redirects are never followed: the key is only ever sent to the configured origin, and a redirect raises
:class:`EndpointRefused` naming where it pointed (set the base URL to the final address).
- ``INFOBARGAIN_LLM_TEMPERATURE``, ``INFOBARGAIN_LLM_MAX_TOKENS``: sent when set.
- ``INFOBARGAIN_LLM_RUN_DIR``: where the transcript goes (default ``runs/llm``; ``infobargain play
  --run-dir`` sets it).

Each decision is one fresh conversation (the prompt holds the whole history): the system and user messages
of :func:`infobargain.agents.text_protocol.build_prompt`; after an unusable reply the model's reply and the
parser's feedback are appended and it is asked again. Every request, reply, failure, retry, fallback and
decision is one line of ``llm-<role>-<model>.jsonl`` in the run directory; the request body is logged once per
reply asked for, and every text in a line is cut at :data:`TRANSCRIPT_TEXT_CHARS`, so a line stays small
whatever the server sends. A reply echoed back to the model after an unusable one is cut at
:data:`ECHOED_REPLY_CHARS`. Passing (nothing to decide) costs no request. Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from infobargain.agents.analytic import analytic_player
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
DEFAULT_MAX_REPLY_BYTES = 1 << 18
ERROR_BODY_CHARS = 300
ECHOED_REPLY_CHARS = 2_000
"""The longest unusable reply sent back to the model with the parser's feedback."""
TRANSCRIPT_TEXT_CHARS = 8_000
"""The longest text kept in one transcript field (prompts are well below it)."""
NO_FALLBACK = "none"
"""The fallback setting that stops the command instead of letting another player decide."""
SHOWN_FALLBACKS = 5
"""Fallbacks announced on stderr per player; later ones are counted and logged only."""


class LLMError(OSError):
    """The endpoint could not be used."""


class EndpointRefused(LLMError):
    """The endpoint refused the request (a 4xx such as a bad key or an unknown model): retrying will not help."""


class EndpointUnavailable(LLMError):
    """Timeouts, connection errors or 5xx answers outlasted every retry."""


class FallbackRefused(LLMError):
    """The model could not decide and the fallback setting is ``none``: the command stops with the reason."""


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
    max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES
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
            "max_reply_bytes": _env_number(environ, "INFOBARGAIN_LLM_MAX_REPLY_BYTES", int, DEFAULT_MAX_REPLY_BYTES),
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
            max_reply_bytes=self.max_reply_bytes,
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


class _Deadline:
    """One request's total deadline: at ``seconds`` after creation every socket it watches is shut down, so a
    blocked connect, send or read returns at once however the server trickles its bytes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        """Seconds left; raises ``TimeoutError`` when none are."""
        left = self.end - time.monotonic()
        if self.expired or left <= 0:
            raise TimeoutError(f"timed out after {self.seconds:g} s")
        return left

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down at the deadline (a duplicate handle is kept: TLS wrapping detaches the original)."""
        with self._lock:
            watched = sock.dup()
            self._watched.append(watched)
            if self.expired:
                self._shut(watched)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._watched:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._watched:
                sock.close()
            self._watched.clear()


class _DeadlineConnection:
    """Mixed into ``http.client`` connections: each socket connects within the time left and is watched."""

    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        create = self._create_connection  # type: ignore[has-type]

        def connect_and_watch(address: Any, timeout: Any = None, source_address: Any = None) -> socket.socket:
            sock = create(address, deadline.remaining(), source_address)
            deadline.watch(sock)
            return sock

        self._create_connection = connect_and_watch


class _DeadlineHTTPConnection(_DeadlineConnection, http.client.HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_DeadlineConnection, http.client.HTTPSConnection):
    pass


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(cast(Any, _DeadlineHTTPConnection), req, deadline=self.deadline)  # takes the deadline too


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(cast(Any, _DeadlineHTTPSConnection), req, deadline=self.deadline)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Turns every redirect into the ``HTTPError`` it answers with: the key is never sent to another address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")


class ChatClient:
    """A minimal OpenAI-compatible chat-completions client (``urllib``), with retries and exponential backoff.

    Each HTTP request has a total deadline of ``timeout`` seconds (connect, send and every read together) and
    reads at most ``max_reply_bytes`` of the answer; redirects are refused, so the key stays with its origin.
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
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        backoff: Callable[[int], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        temperature: float | None = None,
        max_tokens: int | None = None,
        log: Logger | None = None,
    ) -> None:
        if not model:
            raise ValueError("model: a chat model name is required")
        if not timeout > 0 or timeout == float("inf"):
            raise ValueError(f"timeout: must be a finite number of seconds > 0, got {timeout!r}")
        if retries < 0:
            raise ValueError(f"retries: must be >= 0, got {retries!r}")
        if max_reply_bytes < 1:
            raise ValueError(f"max_reply_bytes: must be >= 1, got {max_reply_bytes!r}")
        self.url = completions_url(base_url)
        self.public_url = _public_url(self.url)
        self.model = model
        self.key = api_key if isinstance(api_key, Secret) else Secret(api_key)
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.max_reply_bytes = int(max_reply_bytes)
        self.backoff = backoff or exponential_backoff()
        self.sleep = sleep
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.log = log or (lambda record: None)
        self._bypass_proxy = _is_loopback(urllib.parse.urlsplit(self.url).hostname)

    def __repr__(self) -> str:
        return f"ChatClient({self.public_url!r}, model={self.model!r}, api_key={self.key!r})"

    def _request(self, payload: dict[str, Any]) -> urllib.request.Request:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = self.key.reveal()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return urllib.request.Request(self.url, json.dumps(payload).encode(), headers, method="POST")

    def _opener(self, deadline: _Deadline) -> urllib.request.OpenerDirector:
        handlers: list[urllib.request.BaseHandler] = [
            _DeadlineHTTPHandler(deadline),
            _DeadlineHTTPSHandler(deadline),
            _NoRedirects(),
        ]
        if self._bypass_proxy:
            handlers.append(urllib.request.ProxyHandler({}))  # never send loopback traffic through a proxy
        return urllib.request.build_opener(*handlers)

    def complete(self, messages: list[dict[str, str]]) -> ChatReply:
        """The model's reply to ``messages``; raises :class:`LLMError` once retries are spent or on a 4xx."""
        payload: dict[str, Any] = {"model": self.model, "messages": messages}
        if self.temperature is not None:
            payload["temperature"] = self.temperature
        if self.max_tokens is not None:
            payload["max_tokens"] = self.max_tokens
        self.log({"event": "request", "url": self.public_url, "body": payload})
        for attempt in range(self.retries + 1):
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
        deadline = _Deadline(self.timeout)
        try:
            return self._exchange(payload, deadline)
        except LLMError:  # a refusal (an OSError too) is not a connection failure
            raise
        except (http.client.HTTPException, OSError) as error:  # after a cut at the deadline, that is the reason
            if deadline.expired:
                raise _Retryable(f"timed out after {self.timeout:g} s") from None
            raise _Retryable(f"connection failed: {type(error).__name__}: {error}") from None
        finally:
            deadline.close()

    def _exchange(self, payload: dict[str, Any], deadline: _Deadline) -> ChatReply:
        try:
            with self._opener(deadline).open(self._request(payload), timeout=deadline.remaining()) as response:
                raw = self._read_capped(response)
        except urllib.error.HTTPError as error:
            if deadline.expired:
                raise _Retryable(f"timed out after {self.timeout:g} s") from None
            if 300 <= error.code < 400:
                target = error.headers.get("Location", "") if error.headers is not None else ""
                where = _origin(urllib.parse.urljoin(self.url, target)) if target else "an unnamed address"
                raise EndpointRefused(
                    f"llm: {self.public_url} answered HTTP {error.code}, redirecting to {where}; redirects are not "
                    "followed, so the API key stays with its origin: set the base URL to the final address"
                ) from None
            body = self.key.redact(_read_quietly(error))[:ERROR_BODY_CHARS]
            if error.code in RETRYABLE_STATUS or error.code >= 500:
                raise _Retryable(f"HTTP {error.code}: {body}", _retry_after(error.headers)) from None
            raise EndpointRefused(f"llm: {self.public_url} answered HTTP {error.code}: {body}") from None
        except TimeoutError:
            raise _Retryable(f"timed out after {self.timeout:g} s") from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError) or deadline.expired:
                raise _Retryable(f"timed out after {self.timeout:g} s") from None
            raise _Retryable(f"connection failed: {reason}") from None
        if deadline.expired:  # a read cut at the deadline may look like the end of the body
            raise _Retryable(f"timed out after {self.timeout:g} s")
        return _parse_completion(raw)

    def _read_capped(self, response: Any) -> bytes:
        """The body, refused unread when its declared length is over the cap and cut off once it passes it."""
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_reply_bytes:
            raise _Retryable(f"the reply declares {int(declared)} bytes, over the {self.max_reply_bytes}-byte cap")
        raw = response.read(self.max_reply_bytes + 1)
        if len(raw) > self.max_reply_bytes:
            raise _Retryable(f"the reply is over the {self.max_reply_bytes}-byte cap")
        return bytes(raw)


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _read_quietly(error: urllib.error.HTTPError) -> str:
    try:
        return error.read(4 * ERROR_BODY_CHARS).decode("utf-8", "replace")
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
        line = _bounded(line)
        text = self.secret.redact(json.dumps(line, default=_jsonable, ensure_ascii=False))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")


def _cut(text: str, limit: int) -> str:
    """``text``, or its first ``limit`` characters and how many more there were."""
    return text if len(text) <= limit else f"{text[:limit]}… [{len(text) - limit} more characters cut]"


def _bounded(value: Any) -> Any:
    """``value`` with every string in it cut at :data:`TRANSCRIPT_TEXT_CHARS`."""
    if isinstance(value, str):
        return _cut(value, TRANSCRIPT_TEXT_CHARS)
    if isinstance(value, Mapping):
        return {key: _bounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_bounded(item) for item in value]
    return value


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
        self.refuses_fallback = settings.fallback == NO_FALLBACK

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
        if self.refuses_fallback:
            raise FallbackRefused(f"llm: {self.role} {self.spec} has no fallback player (the setting is 'none')")
        if self._fallback is None:
            assert isinstance(self._fallback_spec, str)
            self._fallback = analytic_player(self._fallback_spec, self.env, self.role)
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
        if not self.refuses_fallback:
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
                    {"role": "assistant", "content": _cut(reply.content, ECHOED_REPLY_CHARS)},
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
        if self.refuses_fallback:
            self.transcript({"event": "fallback_refused", "reason": reason})
            raise FallbackRefused(
                f"llm: {self.role} {self.spec} could not decide ({reason}); the fallback setting is 'none' "
                f"(INFOBARGAIN_LLM_FALLBACK), so the command stops here"
            )
        action = act(self.fallback, observation, self.env)
        spec = getattr(self.fallback, "spec", type(self.fallback).__name__)
        if self.stats.fallbacks <= SHOWN_FALLBACKS:
            later = "; later fallbacks are only counted" if self.stats.fallbacks == SHOWN_FALLBACKS else ""
            print(
                f"infobargain: {self.role} {self.spec} fell back to {spec} ({_cut(reason, ERROR_BODY_CHARS)}){later}",
                file=sys.stderr,
                flush=True,
            )
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
