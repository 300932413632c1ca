"""Channel names and the Redis keys derived from them, built in this module only.

Each logical channel ``C`` has:

- ``C``: the pub/sub channel (low-latency fan-out);
- ``C:stream``: the bounded, replayable stream read by consumer groups;
- ``C:dead``: the dead-letter stream for messages that failed validation;
- ``C:last`` and ``C:last:<key>``: the current value per message key.

An optional namespace prefixes every name (``<namespace>:C``), so several
deployments or test runs can share one Redis server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FORECAST_UPDATES = "forecast_updates"
RISK_UPDATES = "risk_updates"
STRATEGY_CONFIG = "strategy_config"
EXECUTION_EVENTS = "execution_events"

ALL_CHANNELS: tuple[str, ...] = (FORECAST_UPDATES, RISK_UPDATES, STRATEGY_CONFIG, EXECUTION_EVENTS)

_NAMESPACE_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]+(:[A-Za-z0-9_.\-]+)*$")
_STREAM_SUFFIX = ":stream"
_DEAD_SUFFIX = ":dead"
_LAST_SUFFIX = ":last"


def require_channel(channel: str) -> str:
    """Return ``channel`` if it is one of :data:`ALL_CHANNELS`, else raise ``ValueError``."""
    if channel not in ALL_CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(ALL_CHANNELS)}")
    return channel


@dataclass(frozen=True, slots=True)
class ChannelNames:
    """Builds every Redis name the bus uses, under an optional namespace.

    Parameters
    ----------
    namespace
        Prefix for every name; empty for none. Letters, digits, ``_ . -``,
        and ``:`` between parts.
    """

    namespace: str = ""

    def __post_init__(self) -> None:
        if self.namespace and not _NAMESPACE_PATTERN.match(self.namespace):
            raise ValueError(f"invalid namespace {self.namespace!r}")

    def pubsub(self, channel: str) -> str:
        """Return the pub/sub channel name for ``channel``."""
        require_channel(channel)
        return f"{self.namespace}:{channel}" if self.namespace else channel

    def stream(self, channel: str) -> str:
        """Return the stream key of ``channel``."""
        return self.pubsub(channel) + _STREAM_SUFFIX

    def dead(self, channel: str) -> str:
        """Return the dead-letter stream key of ``channel``."""
        return self.pubsub(channel) + _DEAD_SUFFIX

    def last(self, channel: str, key: str = "") -> str:
        """Return the last-value key of ``channel`` for message key ``key`` (may be empty)."""
        base = self.pubsub(channel) + _LAST_SUFFIX
        return f"{base}:{key}" if key else base

    def last_pattern(self, channel: str) -> str:
        """Return a SCAN pattern matching every keyed last-value key of ``channel``."""
        base = self.pubsub(channel) + _LAST_SUFFIX
        return _escape_glob(base) + ":*"

    def component(self, *parts: str) -> str:
        """A key of a component's own state, e.g. ``component("risk_engine", "state")``.

        Every Redis key of the system is built here, under the namespace.
        """
        if not parts or any(not part or ":" in part for part in parts):
            raise ValueError(f"key parts must be non-empty and without ':'; got {parts!r}")
        joined = ":".join(parts)
        return f"{self.namespace}:{joined}" if self.namespace else joined

    def risk_engine_state(self) -> str:
        """The risk engine's saved state (latches, decision, drawdown, parameters)."""
        return self.component("risk_engine", "state")

    def forecast_fanout_cycle(self, cycle_id: str, part: str = "") -> str:
        """A fanned-out forecast cycle's bookkeeping (``part``: ``groups``, ``published``...)."""
        return self.component("forecast_fanout", cycle_id, *((part,) if part else ()))

    def forecast_fanout_training_lock(self, horizon: str) -> str:
        """The lock held while a fanned-out cycle trains the period's model of ``horizon``."""
        return self.component("forecast_fanout", "training", horizon)

    def forecast_fanout_last(self, horizon: str) -> str:
        """The summary of the latest merged fanned-out cycle of ``horizon``."""
        return self.component("forecast_fanout", "last", horizon)

    def channel_of(self, pubsub_name: str) -> str:
        """Return the logical channel of a (namespaced) pub/sub name; ``ValueError`` if foreign."""
        prefix = f"{self.namespace}:" if self.namespace else ""
        if not pubsub_name.startswith(prefix):
            raise ValueError(f"{pubsub_name!r} is not in namespace {self.namespace!r}")
        return require_channel(pubsub_name[len(prefix) :])


def _escape_glob(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)
