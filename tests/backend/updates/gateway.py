"""A real gateway for the tests: the ASGI application under uvicorn in a thread, on a free port.

Clients are websockets' synchronous clients over real TCP connections.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from backend.updates.config import GatewayLimits
from backend.updates.fanout import BusFanout
from signal_bus.backoff import BackoffConfig
from signal_bus.redis_bus import RedisBus

# Generous: the test machine is a loaded 2-core box.
FRAME_TIMEOUT_S = 20.0


def fanout_on(url: str, namespace: str) -> BusFanout:
    """A fan-out reading the bus at ``url`` under ``namespace``, reconnecting quickly."""
    return BusFanout(
        bus_factory=lambda: RedisBus(url=url, namespace=namespace),
        backoff=BackoffConfig(initial_delay_s=0.05, max_delay_s=0.5),
    )


class GatewayServer:
    """uvicorn serving ``backend.asgi.build_application(...)`` from a daemon thread."""

    def __init__(
        self,
        *,
        fanout: BusFanout,
        limits: GatewayLimits,
        allowed_origins: list[str] | None = None,
        send_buffer: int | None = None,
    ) -> None:
        from backend.asgi import build_application

        self.fanout = fanout
        # Accepted sockets inherit the listening socket's buffer sizes (Linux): a fixed send
        # buffer stops the kernel from growing it past what a test's publishing can fill.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if send_buffer is not None:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        application = build_application(
            fanout=fanout, limits=limits, allowed_origins=allowed_origins or ["*"]
        )
        config = uvicorn.Config(
            application,
            host="127.0.0.1",
            port=self.port,
            ws="websockets-sansio",
            lifespan="off",
            ws_per_message_deflate=False,
            log_level="warning",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/updates/"

    def start(self) -> GatewayServer:
        self._thread.start()
        deadline = time.monotonic() + FRAME_TIMEOUT_S
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the gateway did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(FRAME_TIMEOUT_S)
        self.fanout.stop()
        self._socket.close()


@contextmanager
def gateway(
    *, fanout: BusFanout, limits: GatewayLimits | None = None, **options: Any
) -> Iterator[GatewayServer]:
    server = GatewayServer(
        fanout=fanout, limits=limits or GatewayLimits(auth_timeout_s=5.0), **options
    ).start()
    try:
        yield server
    finally:
        server.stop()


def open_client(
    url: str,
    *,
    receive_buffer: int | None = None,
    max_queue: int | None = 64,
    origin: str | None = None,
) -> ClientConnection:
    """A WebSocket client; ``receive_buffer`` shrinks its socket's receive buffer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    sock.connect((host, int(port)))
    headers = {"Origin": origin} if origin else None
    return connect(
        url,
        sock=sock,
        max_queue=max_queue,
        additional_headers=headers,
        open_timeout=FRAME_TIMEOUT_S,
        close_timeout=2,
    )


def send(client: ClientConnection, document: dict[str, Any]) -> None:
    client.send(json.dumps(document))


def receive(client: ClientConnection, timeout: float = FRAME_TIMEOUT_S) -> dict[str, Any]:
    frame = client.recv(timeout=timeout)
    document: dict[str, Any] = json.loads(frame)
    return document


def receive_until(
    client: ClientConnection,
    predicate: Callable[[dict[str, Any]], bool],
    timeout: float = FRAME_TIMEOUT_S,
) -> list[dict[str, Any]]:
    """Every frame up to and including the first that satisfies ``predicate``."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no matching frame within {timeout} s; got {frames[-5:]}")
        frames.append(receive(client, remaining))
        if predicate(frames[-1]):
            return frames


def authenticate_and_subscribe(
    client: ClientConnection, token: str, **subscription: Any
) -> dict[str, Any]:
    """Send auth and subscribe; return the ``subscribed`` frame."""
    send(client, {"type": "auth", "token": token})
    send(client, {"type": "subscribe", **subscription})
    frames = receive_until(client, lambda frame: frame["type"] in {"subscribed", "error"})
    return frames[-1]


def close_code(client: ClientConnection, timeout: float = FRAME_TIMEOUT_S) -> tuple[int, list[Any]]:
    """Wait for the server to close; return the close code and any frames received before."""
    received: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            received.append(client.recv(timeout=deadline - time.monotonic()))
    except ConnectionClosed as closed:
        if closed.rcvd is None:
            raise AssertionError("closed without a close frame") from closed
        return closed.rcvd.code, received
    raise TimeoutError("the server did not close the connection")
