"""A real HTTP server on 127.0.0.1 that replays recorded provider responses in tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    """The parsed JSON of a recorded response under ``fixtures/``."""
    return json.loads((FIXTURES / name).read_text())


@dataclass(frozen=True)
class Request:
    """What the client sent."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw_path: str


@dataclass(frozen=True)
class Reply:
    """What the server answers: status, JSON (or raw) body, headers, optional faults."""

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cut_after_bytes: int | None = None
    delay_seconds: float = 0.0

    def payload(self) -> bytes:
        return self.raw if self.raw is not None else json.dumps(self.body).encode()


Responder = Callable[[Request], Reply]


class RecordedServer:
    """Answers every GET with ``responder(request)`` and records the requests."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.requests: list[Request] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                parts = urlsplit(self.path)
                request = Request(
                    path=parts.path,
                    query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    raw_path=self.path,
                )
                outer.requests.append(request)
                reply = outer.responder(request)
                if reply.delay_seconds:
                    time.sleep(reply.delay_seconds)
                payload = reply.payload()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    if reply.cut_after_bytes is not None:
                        self.wfile.write(payload[: reply.cut_after_bytes])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    # the client gave up (a timeout test); nothing left to send
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[RecordedServer]:
        thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(timeout=5)


def scripted(*replies: Reply | Responder) -> Responder:
    """Answer with the given replies in order; the last one repeats."""
    queue = list(replies)

    def respond(request: Request) -> Reply:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        return item(request) if callable(item) else item

    return respond
