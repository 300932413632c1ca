"""Where the risk engine keeps its state across restarts."""

from __future__ import annotations

import json
from typing import Any, Protocol


class StateStore(Protocol):
    """Saves and loads the engine's state (a JSON-ready dict)."""

    def load(self) -> dict[str, Any] | None:
        """Return the saved state, or None if there is none."""

    def save(self, state: dict[str, Any]) -> None:
        """Replace the saved state."""


class MemoryStateStore:
    """Keeps the state in this process (tests, embedded runs)."""

    def __init__(self) -> None:
        self.saved: dict[str, Any] | None = None

    def load(self) -> dict[str, Any] | None:
        """Return a copy of the saved state."""
        return None if self.saved is None else json.loads(json.dumps(self.saved))

    def save(self, state: dict[str, Any]) -> None:
        """Keep a copy of ``state``."""
        self.saved = json.loads(json.dumps(state))


class RedisStateStore:
    """Keeps the state as one JSON value under ``key`` in Redis.

    Parameters
    ----------
    client
        A ``redis.Redis`` client (e.g. ``RedisBus.client``).
    key
        The key, including any namespace.
    """

    def __init__(self, client: Any, key: str) -> None:
        self._client = client
        self.key = key

    def load(self) -> dict[str, Any] | None:
        """Return the saved state; a corrupt value raises ``ValueError``."""
        raw = self._client.get(self.key)
        if raw is None:
            return None
        state = json.loads(raw)
        if not isinstance(state, dict):
            raise ValueError(f"risk engine state at {self.key} is not an object")
        return state

    def save(self, state: dict[str, Any]) -> None:
        """Store ``state`` as JSON."""
        self._client.set(self.key, json.dumps(state, separators=(",", ":")))


def state_key(namespace: str) -> str:
    """Return the Redis key of the engine state under ``namespace``."""
    return f"{namespace}:risk_engine:state" if namespace else "risk_engine:state"
