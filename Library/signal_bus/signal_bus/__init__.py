"""Signal bus: message contracts, JSON codec, channel names and transports.

Importing this package needs only the standard library; ``redis`` is imported
lazily when a :class:`RedisBus` connects.
"""

from __future__ import annotations

from signal_bus.bus import Bus, DeadLetter, StreamEntry
from signal_bus.channels import (
    ALL_CHANNELS,
    EXECUTION_EVENTS,
    FORECAST_UPDATES,
    RISK_UPDATES,
    STRATEGY_CONFIG,
    ChannelNames,
)
from signal_bus.codec import decode, encode
from signal_bus.connection import RedisConnectionConfig
from signal_bus.errors import MessageValidationError, TransportConnectionError
from signal_bus.memory_bus import InMemoryBus
from signal_bus.messages import (
    ForecastUpdate,
    Message,
    OrderEvent,
    PortfolioSnapshot,
    RiskUpdate,
    StrategyConfigUpdate,
)
from signal_bus.redis_bus import RedisBus

__all__ = [
    "ALL_CHANNELS",
    "EXECUTION_EVENTS",
    "FORECAST_UPDATES",
    "RISK_UPDATES",
    "STRATEGY_CONFIG",
    "Bus",
    "ChannelNames",
    "DeadLetter",
    "ForecastUpdate",
    "InMemoryBus",
    "Message",
    "MessageValidationError",
    "OrderEvent",
    "PortfolioSnapshot",
    "RedisBus",
    "RedisConnectionConfig",
    "RiskUpdate",
    "StrategyConfigUpdate",
    "StreamEntry",
    "TransportConnectionError",
    "decode",
    "encode",
]
