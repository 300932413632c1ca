"""The gateway's limits, read once from the Django settings (``UPDATES_*``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True, slots=True)
class GatewayLimits:
    """Limits of one gateway connection.

    Attributes
    ----------
    auth_timeout_s
        Seconds a new connection has to authenticate.
    queue_size
        Frames queued per connection before the oldest are dropped.
    max_message_bytes
        Largest client message accepted (UTF-8 bytes).
    rate_per_second, burst
        Client messages allowed per second, and at once.
    revalidate_s
        Seconds between re-checks of an authenticated connection's token.
    execution_roles
        Roles that may read ``execution_events``.
    """

    auth_timeout_s: float = 5.0
    queue_size: int = 1000
    max_message_bytes: int = 4096
    rate_per_second: float = 2.0
    burst: int = 10
    revalidate_s: float = 60.0
    execution_roles: frozenset[str] = frozenset({"viewer", "operator", "service"})

    def __post_init__(self) -> None:
        if self.auth_timeout_s <= 0 or self.revalidate_s <= 0:
            raise ValueError("auth_timeout_s and revalidate_s must be positive")
        if self.queue_size < 1 or self.max_message_bytes < 64:
            raise ValueError("queue_size must be >= 1 and max_message_bytes >= 64")
        if self.rate_per_second <= 0 or self.burst < 1:
            raise ValueError("rate_per_second must be positive and burst >= 1")

    @classmethod
    def from_settings(cls) -> GatewayLimits:
        """Read ``UPDATES_*`` from the Django settings."""
        return cls(
            auth_timeout_s=float(settings.UPDATES_AUTH_TIMEOUT_SECONDS),
            queue_size=int(settings.UPDATES_QUEUE_SIZE),
            max_message_bytes=int(settings.UPDATES_MAX_CLIENT_MESSAGE_BYTES),
            rate_per_second=float(settings.UPDATES_CLIENT_RATE_PER_SECOND),
            burst=int(settings.UPDATES_CLIENT_BURST),
            revalidate_s=float(settings.UPDATES_REVALIDATE_SECONDS),
            execution_roles=frozenset(settings.UPDATES_EXECUTION_ROLES),
        )
