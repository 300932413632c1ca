"""Retry policy and client-side rate limit shared by the provider clients."""

from __future__ import annotations

import email.utils
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class RetryConfig:
    """How often and how long to wait before retrying a failed request.

    Parameters
    ----------
    max_attempts
        Attempts in total, the first included.
    base_delay_seconds
        Wait before the second attempt; doubles on every further attempt.
    max_delay_seconds
        Cap on the exponential wait.
    max_retry_after_seconds
        Longest ``Retry-After`` the client honours; a longer one fails at once.
    timeout_seconds
        Connect and read timeout of each request.
    """

    max_attempts: int = 5
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0
    timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1; got {self.max_attempts}")
        for name in ("base_delay_seconds", "max_delay_seconds", "max_retry_after_seconds"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative number; got {value}")
        if not math.isfinite(self.timeout_seconds) or self.timeout_seconds <= 0:
            raise ValueError(f"timeout_seconds must be positive; got {self.timeout_seconds}")

    def backoff_seconds(self, attempt: int) -> float:
        """Wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1)))


def retry_after_seconds(header: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta seconds or HTTP date), if any."""
    if header is None or not header.strip():
        return None
    text = header.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    reference = now if now is not None else datetime.now(UTC)
    return max(0.0, (moment - reference).total_seconds())


class RateLimiter:
    """Space requests at least ``1 / requests_per_second`` apart (thread-safe).

    Parameters
    ----------
    requests_per_second
        Sustained request rate allowed; ``math.inf`` disables the limit.
    clock, sleep
        Monotonic clock and sleep function (injected in tests).
    """

    def __init__(
        self,
        requests_per_second: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if not requests_per_second > 0:
            raise ValueError(f"requests_per_second must be positive; got {requests_per_second}")
        self._interval = 0.0 if math.isinf(requests_per_second) else 1.0 / requests_per_second
        self._clock = clock
        self._sleep = sleep
        self._next_allowed = -math.inf
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next request may go; return the seconds waited."""
        with self._lock:
            now = self._clock()
            waited = max(0.0, self._next_allowed - now)
            if waited > 0:
                self._sleep(waited)
            self._next_allowed = max(now, self._next_allowed) + self._interval
            return waited
