"""Container health check: exit 0 when every requested check passes, 1 otherwise.

Used by the ``healthcheck`` entries of docker-compose.yml::

    python /app/docker/healthcheck.py --http http://127.0.0.1:8000/healthz --host-header backend
    python /app/docker/healthcheck.py --redis --http http://127.0.0.1:9100/metrics
    python /app/docker/healthcheck.py --redis --pidfile /tmp/celerybeat.pid

``--redis`` PINGs the server configured by ``REDIS_URL`` or ``REDIS_HOST``/``REDIS_PORT``/
``REDIS_PASSWORD``/``REDIS_DB``, authenticating like the services do.
"""

from __future__ import annotations

import argparse
import functools
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

TIMEOUT_SECONDS = 5.0


def http_check(url: str, host_header: str | None) -> str | None:
    """Return ``None`` when ``GET url`` answers 200, else the reason."""
    request = urllib.request.Request(url, method="GET")
    if host_header:
        request.add_header("Host", host_header)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        status = int(error.code)
    except (OSError, ValueError) as error:
        return f"GET {url} failed: {error}"
    return None if status == 200 else f"GET {url} answered {status}"


def redis_check() -> str | None:
    """Return ``None`` when the configured Redis answers PING, else the reason."""
    from signal_bus.connection import RedisConnectionConfig

    try:
        config = RedisConnectionConfig.from_environment()
        client = config.create_client()
        try:
            answered = bool(client.ping())
        finally:
            client.close()
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        return f"redis PING failed: {type(error).__name__}: {error}"
    return None if answered else "redis PING got no answer"


def pidfile_check(path: Path) -> str | None:
    """Return ``None`` when the process named in ``path`` runs (and is no zombie)."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError) as error:
        return f"cannot read a pid from {path}: {error}"
    status_file = Path("/proc") / str(pid) / "status"
    try:
        status = status_file.read_text()
    except OSError:
        return f"process {pid} from {path} is not running"
    state_lines = [line for line in status.splitlines() if line.startswith("State:")]
    if state_lines and "Z" in state_lines[0].split()[1:2]:
        return f"process {pid} from {path} is a zombie"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the checks named on the command line; print failures to stderr."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--http", action="append", default=[], metavar="URL")
    parser.add_argument("--host-header", default=None, help="Host header for --http requests")
    parser.add_argument("--redis", action="store_true", help="PING the configured Redis")
    parser.add_argument("--pidfile", type=Path, default=None)
    arguments = parser.parse_args(argv)

    host_header: str | None = arguments.host_header
    checks: list[Callable[[], str | None]] = [
        functools.partial(http_check, url, host_header) for url in arguments.http
    ]
    if arguments.redis:
        checks.append(redis_check)
    if arguments.pidfile is not None:
        checks.append(functools.partial(pidfile_check, arguments.pidfile))
    if not checks:
        parser.error("name at least one check: --http, --redis or --pidfile")

    failures = [reason for check in checks if (reason := check()) is not None]
    for reason in failures:
        print(f"unhealthy: {reason}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
