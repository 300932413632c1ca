"""Throttles of the token endpoints: per user name and per client address.

Rates come from the ``LOGIN_THROTTLE_RATES`` setting (``{"username": "10/min", "address":
"30/min"}``), counters live in the ``LOGIN_THROTTLE_CACHE`` cache (Redis in a deployment,
so every worker shares them). A throttled request is answered 429 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from .metrics import login_failure_count


class _LoginThrottle(SimpleRateThrottle):
    rate_key = ""

    @property
    def cache(self) -> Any:  # type: ignore[override]
        return caches[settings.LOGIN_THROTTLE_CACHE]

    def get_rate(self) -> str | None:
        return settings.LOGIN_THROTTLE_RATES.get(self.rate_key)

    def throttle_failure(self) -> bool:
        login_failure_count(reason="throttled")
        return False


class LoginUsernameThrottle(_LoginThrottle):
    """Attempts per user name (case-insensitive), whatever address they come from."""

    scope = "login_username"
    rate_key = "username"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data if isinstance(request.data, dict) else {}
        username = data.get("username")
        if not isinstance(username, str) or not username:
            return None
        digest = hashlib.sha256(username.strip().casefold().encode("utf-8", "replace"))
        return self.cache_format % {"scope": self.scope, "ident": digest.hexdigest()}


class LoginAddressThrottle(_LoginThrottle):
    """Attempts per client address (``REMOTE_ADDR``, or ``X-Forwarded-For`` behind
    ``NUM_PROXIES`` proxies as DRF reads it)."""

    scope = "login_address"
    rate_key = "address"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
