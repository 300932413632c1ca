"""Signals delivered as LEAN commands (QuantConnect cloud live, where there is no Redis).

The cloud bridge sends each bus message as a command ``{"channel": <channel>,
"payload": <the message JSON as text>}``. LEAN hands ``on_command`` a dynamic object
(attributes) in the cloud and tests may pass a plain mapping; both are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from signal_bus.lean.signal_inbox import INBOX_CHANNELS

COMMAND_CHANNEL_FIELD = "channel"
COMMAND_PAYLOAD_FIELD = "payload"


class CommandError(ValueError):
    """A command does not carry a bus message."""


@dataclass(frozen=True)
class SignalCommand:
    """A bus message received as a LEAN command."""

    channel: str
    payload: str


def _field(data: object, name: str) -> object:
    if isinstance(data, Mapping):
        return data.get(name)
    return getattr(data, name, None)


def parse_signal_command(data: object) -> SignalCommand:
    """Return the channel and message text carried by a LEAN command.

    Raises
    ------
    CommandError
        If the channel is missing or not one the algorithm consumes, or the payload
        is not text.
    """
    channel = _field(data, COMMAND_CHANNEL_FIELD)
    payload = _field(data, COMMAND_PAYLOAD_FIELD)
    if not isinstance(channel, str) or channel not in INBOX_CHANNELS:
        raise CommandError(
            f"command channel must be one of {', '.join(INBOX_CHANNELS)}; got {channel!r}"
        )
    if not isinstance(payload, str) or not payload.strip():
        raise CommandError("command payload must be the message JSON as text")
    return SignalCommand(str(channel), str(payload))
