"""Prometheus counter of refused logins, served by ``/metrics`` with the backend's HTTP series."""

from __future__ import annotations

from prometheus_client import Counter

from backend.common.monitoring.metrics import HTTP_REGISTRY

LOGIN_FAILURES = Counter(
    "ats_login_failures",
    "Refused logins on the token endpoints, by reason (invalid_credentials, throttled).",
    ["reason"],
    registry=HTTP_REGISTRY,
)


def login_failure_count(*, reason: str) -> None:
    """Count one refused login."""
    LOGIN_FAILURES.labels(reason=reason).inc()
