"""``GET /healthz``: 200 when the database and Redis answer, 503 otherwise."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse


def database_is_reachable() -> bool:
    """Run ``SELECT 1`` on the default database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means unreachable
        return False


def redis_is_reachable() -> bool:
    """PING the configured Redis."""
    import redis

    try:
        client: Any = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - any failure means unreachable
        return False


def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether the database and Redis are reachable."""
    checks = {"database": database_is_reachable(), "redis": redis_is_reachable()}
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
