"""The storage limits of the backend's columns, checked before a message reaches the database."""

from __future__ import annotations

from signal_bus.messages import (
    ForecastUpdate,
    Message,
    OrderEvent,
    PortfolioSnapshot,
    RiskUpdate,
    StrategyConfigUpdate,
)

from .exceptions import InvalidInput

# Longest text per message field, as the columns store it.
FIELD_LIMITS: dict[type[Message], dict[str, int]] = {
    ForecastUpdate: {"id": 64, "asset": 40, "model": 100, "model_version": 100},
    RiskUpdate: {"id": 64},
    StrategyConfigUpdate: {"id": 64, "key": 100, "changed_by": 150},
    OrderEvent: {"id": 64, "symbol": 40, "tag": 200},
    PortfolioSnapshot: {"id": 64},
}


def message_limits_check(*, message: Message) -> None:
    """Raise :class:`InvalidInput` (rule ``max_length``) when a field is too long to store."""
    for field_name, limit in FIELD_LIMITS.get(type(message), {}).items():
        value = getattr(message, field_name)
        if isinstance(value, str) and len(value) > limit:
            raise InvalidInput(
                field=field_name,
                rule="max_length",
                message=f"at most {limit} characters, got {len(value)}",
            )
