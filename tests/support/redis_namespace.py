"""A unique key namespace on the shared Redis server, removed afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

SHARED_REDIS_URL = "redis://127.0.0.1:6379/0"


def unique_namespace(prefix: str = "test") -> str:
    """Return a namespace no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def delete_namespace(url: str, namespace: str) -> int:
    """Delete every key under ``namespace:``; return how many."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        return int(client.delete(*keys)) if keys else 0
    finally:
        client.close()


@contextmanager
def redis_namespace(url: str = SHARED_REDIS_URL, prefix: str = "test") -> Iterator[str]:
    """Yield a fresh namespace and delete its keys on exit."""
    namespace = unique_namespace(prefix)
    try:
        yield namespace
    finally:
        delete_namespace(url, namespace)
