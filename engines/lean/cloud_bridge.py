"""``CloudBridge``: bus messages forwarded to a QuantConnect cloud algorithm as LEAN commands.

Each message becomes the command ``{"channel": <channel>, "payload": <message JSON>}``
that the algorithm's ``on_command`` feeds to its signal inbox. Messages are read with a
consumer group (nothing lost across restarts, acknowledged only once delivered), each
id is delivered at most once by this bridge, and the algorithm drops repeats by id too.
Forecasts and risk updates older than ``max_age`` are skipped; config changes never are.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES, STRATEGY_CONFIG
from signal_bus.codec import encode
from signal_bus.messages import Message

BRIDGED_CHANNELS: tuple[str, ...] = (FORECAST_UPDATES, RISK_UPDATES, STRATEGY_CONFIG)
REMEMBERED_IDS = 100_000


class CommandSender(Protocol):
    """Sends one command to a live cloud deployment."""

    def send_command(self, project_id: int, command: dict[str, object]) -> object:
        """Deliver ``command``; raise if it could not be delivered."""


@dataclass
class BridgeCounts:
    """What the bridge did."""

    forwarded: int = 0
    duplicates: int = 0
    too_old: int = 0


def signal_command(message: Message) -> dict[str, object]:
    """Return the LEAN command carrying ``message``."""
    return {"channel": message.channel, "payload": encode(message).decode()}


class CloudBridge:
    """Forward messages to the cloud algorithm of ``project_id``.

    Parameters
    ----------
    sender
        The QuantConnect command client.
    project_id
        The cloud project running live.
    clock
        Current UTC time (timezone-aware).
    max_age
        Forecasts and risk updates older than this are not forwarded.
    """

    def __init__(
        self,
        sender: CommandSender,
        project_id: int,
        clock: Callable[[], datetime],
        max_age: timedelta = timedelta(hours=6),
    ) -> None:
        self.sender = sender
        self.project_id = project_id
        self.clock = clock
        self.max_age = max_age
        self.counts = BridgeCounts()
        self._delivered: set[str] = set()
        self._order: deque[str] = deque()

    def forward(self, message: Message) -> bool:
        """Send ``message`` unless already delivered or too old; return whether it was sent.

        Raises
        ------
        CommandDeliveryError
            If delivery failed; the caller leaves the message pending to retry later.
        """
        if message.id in self._delivered:
            self.counts.duplicates += 1
            return False
        if message.channel != STRATEGY_CONFIG and self.clock() - message.ts_event > self.max_age:
            self.counts.too_old += 1
            self._remember(message.id)
            return False
        self.sender.send_command(self.project_id, signal_command(message))
        self._remember(message.id)
        self.counts.forwarded += 1
        return True

    def _remember(self, message_id: str) -> None:
        self._delivered.add(message_id)
        self._order.append(message_id)
        if len(self._order) > REMEMBERED_IDS:
            self._delivered.discard(self._order.popleft())
