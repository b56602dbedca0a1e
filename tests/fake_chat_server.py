"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for the chat-model player's tests.

Each request takes the next step of the script: a reply, an HTTP error, a redirect, a raw body, or an answer
trickled one byte at a time. Every request is recorded (path, headers, JSON body). Nothing here reaches beyond the loopback interface.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """A 200 chat completion whose message content is ``content``."""

    content: str | None
    delay: float = 0.0


@dataclass(frozen=True)
class Status:
    """An HTTP status ``code`` with a text body and extra headers (a ``Location``, a ``Retry-After``)."""

    code: int
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Raw:
    """A 200 answer with this exact body (for broken completions)."""

    body: bytes


@dataclass(frozen=True)
class Drip:
    """A valid completion sent one byte every ``interval`` seconds: from its status line on, or (``body_only``)
    with the headers at once and the body trickled."""

    content: str
    interval: float
    body_only: bool = False


Step = Reply | Status | Raw | Drip


def completion(content: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


class FakeChatServer:
    """Start with :meth:`start`, script with :meth:`push`, read :attr:`requests`, stop with :meth:`stop`."""

    def __init__(self) -> None:
        self.script: deque[Step] = deque()
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # recorded too: a redirected POST may arrive as a GET
                with server.lock:
                    server.requests.append({"path": self.path, "headers": dict(self.headers), "body": None})
                self.send_error(405)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                with server.lock:
                    server.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(raw)})
                    step = server.script.popleft() if server.script else Status(500, "script exhausted")
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    self._answer(step)

            def _answer(self, step: Step) -> None:
                if isinstance(step, Reply) and step.delay:
                    time.sleep(step.delay)
                if isinstance(step, Drip):
                    self._drip(step)
                    return
                headers: tuple[tuple[str, str], ...] = ()
                if isinstance(step, Status):
                    body, code, headers = step.body.encode(), step.code, step.headers
                elif isinstance(step, Raw):
                    body, code = step.body, 200
                else:
                    body, code = json.dumps(completion(step.content)).encode(), 200
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _drip(self, step: Drip) -> None:
                body = json.dumps(completion(step.content)).encode()
                head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                if step.body_only:
                    self.wfile.write(head.encode())
                    self.wfile.flush()
                    trickled = body
                else:
                    trickled = head.encode() + body
                for index in range(len(trickled)):
                    self.wfile.write(trickled[index : index + 1])
                    self.wfile.flush()
                    time.sleep(step.interval)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeChatServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def push(self, *steps: Step) -> None:
        with self.lock:
            self.script.extend(steps)

    def replies(self, *contents: str) -> None:
        self.push(*(Reply(content) for content in contents))
