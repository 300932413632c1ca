"""``SignalInbox``: the latest forecasts, the latest risk update and pending config changes.

Filled from any thread (a Redis listener, LEAN commands, a test) and read by the LEAN
models on the algorithm thread. Reads never block on I/O: they copy under a lock.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES, STRATEGY_CONFIG
from signal_bus.codec import decode, decode_document
from signal_bus.errors import MessageValidationError
from signal_bus.messages import ForecastUpdate, Message, RiskUpdate, StrategyConfigUpdate

INBOX_CHANNELS: tuple[str, ...] = (FORECAST_UPDATES, RISK_UPDATES, STRATEGY_CONFIG)
MAX_REJECTIONS = 100


@dataclass(frozen=True)
class Rejection:
    """A payload the inbox refused, with the reason."""

    channel: str
    reason: str


class SignalInbox:
    """Keep the newest signal per key; older or duplicate messages are ignored.

    Parameters
    ----------
    max_pending_config
        Bound of the queue of config changes not yet applied.
    """

    def __init__(self, max_pending_config: int = 1000) -> None:
        self._lock = threading.Lock()
        self._forecasts: dict[str, ForecastUpdate] = {}
        self._risk: RiskUpdate | None = None
        self._config: deque[StrategyConfigUpdate] = deque(maxlen=max_pending_config)
        self._config_versions: dict[str, int] = {}
        self._seen_ids: deque[str] = deque(maxlen=10_000)
        self._seen_set: set[str] = set()
        self._rejections: deque[Rejection] = deque(maxlen=MAX_REJECTIONS)
        self._version = 0

    def accept(self, channel: str, payload: bytes | str | Mapping[str, object]) -> Message | None:
        """Decode ``payload`` from ``channel`` and keep it if newer than what is held.

        Returns
        -------
        Message or None
            The message if it was accepted; ``None`` if it was invalid, a duplicate
            or older than the value held (invalid ones are listed in :meth:`rejections`).
        """
        try:
            if isinstance(payload, Mapping):
                message = decode_document(json.loads(json.dumps(dict(payload))), channel)
            else:
                message = decode(payload, channel)
        except (MessageValidationError, TypeError, ValueError) as error:
            with self._lock:
                self._rejections.append(Rejection(channel, str(error)))
            return None
        return message if self.offer(message) else None

    def offer(self, message: Message) -> bool:
        """Keep an already validated message; return whether it changed the inbox."""
        with self._lock:
            if message.id in self._seen_set:
                return False
            self._remember(message.id)
            if isinstance(message, ForecastUpdate):
                held = self._forecasts.get(message.key)
                if held is not None and not message.supersedes(held):
                    return False
                self._forecasts[message.key] = message
            elif isinstance(message, RiskUpdate):
                if self._risk is not None and self._risk.ts_event > message.ts_event:
                    return False
                self._risk = message
            elif isinstance(message, StrategyConfigUpdate):
                if self._config_versions.get(message.key, 0) >= message.version:
                    return False
                self._config_versions[message.key] = message.version
                self._config.append(message)
            else:
                self._rejections.append(
                    Rejection(message.channel, f"{message.message_type} not expected")
                )
                return False
            self._version += 1
            return True

    def forecasts(self) -> list[ForecastUpdate]:
        """Return the forecast in force per asset and horizon: the newest, except that a
        shadow model's never displaces a live model's (``ForecastUpdate.supersedes``)."""
        with self._lock:
            return list(self._forecasts.values())

    def risk(self) -> RiskUpdate | None:
        """Return the newest risk update, if any."""
        with self._lock:
            return self._risk

    def take_config_changes(self) -> list[StrategyConfigUpdate]:
        """Return and forget the config changes received since the last call, oldest first."""
        with self._lock:
            changes = list(self._config)
            self._config.clear()
            return changes

    def rejections(self) -> list[Rejection]:
        """Return the most recent refused payloads."""
        with self._lock:
            return list(self._rejections)

    @property
    def version(self) -> int:
        """A counter that grows with every accepted message."""
        with self._lock:
            return self._version

    def _remember(self, message_id: str) -> None:
        if len(self._seen_ids) == self._seen_ids.maxlen:
            self._seen_set.discard(self._seen_ids[0])
        self._seen_ids.append(message_id)
        self._seen_set.add(message_id)
