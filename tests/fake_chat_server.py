"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for the chat-model player's tests.

Each request takes the next step of the script: a reply, an HTTP error, a delay, or a raw body. Every request
is recorded (path, headers, JSON body). Nothing here reaches beyond the loopback interface.
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
    """An HTTP error ``code`` with a text body."""

    code: int
    body: str = ""


@dataclass(frozen=True)
class Raw:
    """A 200 answer with this exact body (for broken completions)."""

    body: bytes


Step = Reply | Status | Raw


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
                if isinstance(step, Status):
                    body, code = step.body.encode(), step.code
                elif isinstance(step, Raw):
                    body, code = step.body, 200
                else:
                    body, code = json.dumps(completion(step.content)).encode(), 200
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

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
