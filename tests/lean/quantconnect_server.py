"""A local stand-in for QuantConnect's ``live/commands/create`` endpoint.

It checks the request the way QuantConnect documents it (basic auth with the user id
and ``sha256("<token>:<Timestamp header>")``), records accepted commands, and can be
told to fail the next requests with a status code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USER_ID = "123456"
API_TOKEN = "test-token-not-a-secret"


@dataclass
class ServerState:
    """What the server saw and what it should do next."""

    commands: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    fail_next: list[int] = field(default_factory=list)
    refuse_with_success_false: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def _authorized(headers: Any) -> bool:
    timestamp = headers.get("Timestamp", "")
    authorization = headers.get("Authorization", "")
    if not timestamp or not authorization.startswith("Basic "):
        return False
    user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
    expected = hashlib.sha256(f"{API_TOKEN}:{timestamp}".encode()).hexdigest()
    return user == USER_ID and password == expected


def _handler(state: ServerState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with state.lock:
                state.requests += 1
                failure = state.fail_next.pop(0) if state.fail_next else None
            if failure is not None:
                self._answer(failure, {"success": False, "errors": ["try later"]})
                return
            if self.path != "/api/v2/live/commands/create":
                self._answer(404, {"success": False, "errors": ["unknown endpoint"]})
                return
            if not _authorized(self.headers):
                self._answer(401, {"success": False, "errors": ["Hash doesn't match."]})
                return
            if state.refuse_with_success_false:
                self._answer(200, {"success": False, "errors": ["No live algorithm for project"]})
                return
            with state.lock:
                state.commands.append(body)
            self._answer(200, {"success": True})

    return Handler


@contextmanager
def quantconnect_server() -> Iterator[tuple[str, ServerState]]:
    """Yield the API base URL (ending in ``/api/v2/``) and the server state."""
    state = ServerState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v2/", state
    finally:
        server.shutdown()
        server.server_close()
