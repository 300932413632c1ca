"""Redis connection settings, read from the environment.

``REDIS_URL`` (e.g. ``redis://:secret@host:6379/0``) wins; otherwise ``REDIS_HOST``,
``REDIS_PORT``, ``REDIS_PASSWORD``, ``REDIS_USERNAME`` and ``REDIS_DB`` are used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

_SCHEMES = ("redis", "rediss")


@dataclass(frozen=True, slots=True)
class RedisConnectionConfig:
    """Where and how to reach Redis.

    Attributes
    ----------
    host, port, db
        Server address and database number.
    password, username
        Credentials (ACL username optional); never printed by ``repr``.
    ssl
        Use TLS (``rediss://``).
    socket_timeout_s
        Timeout of a single command (blocking reads use shorter blocks than this).
    connect_timeout_s
        Timeout of establishing a connection.
    """

    host: str = "127.0.0.1"
    port: int = 6379
    db: int = 0
    password: str | None = field(default=None, repr=False)
    username: str | None = None
    ssl: bool = False
    socket_timeout_s: float = 10.0
    connect_timeout_s: float = 2.0

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("host must not be empty")
        if not 0 < self.port < 65536:
            raise ValueError(f"port out of range: {self.port}")
        if self.db < 0:
            raise ValueError(f"db must be >= 0, got {self.db}")
        if self.socket_timeout_s <= 0 or self.connect_timeout_s <= 0:
            raise ValueError("timeouts must be positive")

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> RedisConnectionConfig:
        """Parse ``redis://[[user]:password@]host[:port][/db]`` (or ``rediss://``)."""
        parts = urlsplit(url)
        if parts.scheme not in _SCHEMES:
            raise ValueError(
                f"REDIS_URL must start with redis:// or rediss://, got {parts.scheme!r}"
            )
        path = parts.path.strip("/")
        try:
            port = parts.port or 6379
            db = int(path) if path else 0
        except ValueError as error:
            raise ValueError(f"invalid REDIS_URL: {error}") from None
        values: dict[str, Any] = {
            "host": parts.hostname or "127.0.0.1",
            "port": port,
            "db": db,
            "password": unquote(parts.password) if parts.password else None,
            "username": unquote(parts.username) if parts.username else None,
            "ssl": parts.scheme == "rediss",
        }
        values.update(overrides)
        return cls(**values)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> RedisConnectionConfig:
        """Read ``REDIS_URL`` or ``REDIS_HOST``/``REDIS_PORT``/``REDIS_PASSWORD``/``REDIS_DB``."""
        env = os.environ if environ is None else environ
        url = env.get("REDIS_URL", "").strip()
        if url:
            return cls.from_url(url)
        try:
            port = int(env.get("REDIS_PORT", "6379") or 6379)
            db = int(env.get("REDIS_DB", "0") or 0)
        except ValueError as error:
            raise ValueError(f"REDIS_PORT and REDIS_DB must be integers: {error}") from None
        return cls(
            host=env.get("REDIS_HOST", "").strip() or "127.0.0.1",
            port=port,
            db=db,
            password=env.get("REDIS_PASSWORD") or None,
            username=env.get("REDIS_USERNAME") or None,
        )

    def create_client(self, *, retries: int = 1) -> Any:
        """Return a ``redis.Redis`` client with bytes responses.

        Parameters
        ----------
        retries
            Immediate retries of a command after a connection error (one lets a
            command succeed on a fresh connection after a server restart; pub/sub
            clients use none, so the subscriber sees every disconnect).

        Raises
        ------
        ImportError
            redis-py is not installed (e.g. on QuantConnect cloud).
        """
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        return redis.Redis(
            host=self.host,
            port=self.port,
            db=self.db,
            password=self.password,
            username=self.username,
            ssl=self.ssl,
            socket_timeout=self.socket_timeout_s,
            socket_connect_timeout=self.connect_timeout_s,
            retry=Retry(NoBackoff(), retries),
            decode_responses=False,
        )
