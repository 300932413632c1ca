"""A private redis-server on a free port in a temporary directory, for fault tests.

Usage::

    with RedisServer(password="secret") as server:
        client = redis.Redis.from_url(server.url)
        server.stop()     # simulate an outage
        server.start()    # same port, same directory
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import quote


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """Runs ``redis-server`` bound to 127.0.0.1 on a free port.

    Parameters
    ----------
    password
        Start with ``--requirepass`` when given.
    persistent
        Keep data across :meth:`stop`/:meth:`start` (append-only file in the temp dir);
        otherwise a restart starts empty, like a crashed cache.
    executable
        The redis-server binary (found on PATH by default).
    """

    def __init__(
        self,
        *,
        password: str | None = None,
        persistent: bool = False,
        executable: str | None = None,
    ) -> None:
        found = executable or shutil.which("redis-server")
        if found is None:
            raise RuntimeError("redis-server is not installed")
        self.executable = found
        self.password = password
        self.persistent = persistent
        self.port = free_port()
        self._directory = tempfile.TemporaryDirectory(prefix="redis-test-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://[:password@]127.0.0.1:<port>/0``."""
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    @property
    def directory(self) -> Path:
        """The server's working directory."""
        return Path(self._directory.name)

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server (same port each time) and wait until it accepts connections."""
        if self.running:
            return self
        arguments = [
            self.executable,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "yes" if self.persistent else "no",
            "--protected-mode", "no",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        if self.password:
            arguments += ["--requirepass", self.password]
        deadline = time.monotonic() + timeout
        while True:
            self._process = subprocess.Popen(
                arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            if self._wait_ready(deadline):
                return self
            # The port may still be held by the previous process: try again.
            self._terminate()
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.1)

    def _wait_ready(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            if self._ping():
                return True
            time.sleep(0.02)
        return False

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                command = b"PING\r\n"
                if self.password:
                    secret = self.password.encode()
                    command = b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(secret), secret) + command
                connection.sendall(command)
                reply = connection.recv(64)
                return b"PONG" in reply or (self.password is not None and reply.startswith(b"+OK"))
        except OSError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait for it to exit."""
        self._terminate(timeout)

    def kill(self) -> None:
        """Kill the server abruptly (SIGKILL)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def _terminate(self, timeout: float = 10.0) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def close(self) -> None:
        """Stop the server and delete its directory."""
        self.stop()
        self._directory.cleanup()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
