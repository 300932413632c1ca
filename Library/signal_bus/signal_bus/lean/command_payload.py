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


@dataclass(frozen=True)
class RearmCommand:
    """An operator's request to re-arm a latched local breaker: who, and why."""

    breaker: str
    by: str
    reason: str


def is_rearm_command(data: object) -> bool:
    """Whether ``data`` asks for a breaker re-arm (it has a ``rearm`` field)."""
    return _field(data, "rearm") is not None


def parse_rearm_command(data: object) -> RearmCommand:
    """Return the re-arm request carried by ``{"rearm": <breaker>, "by": ..., "reason": ...}``.

    Raises
    ------
    CommandError
        If the breaker, who or why is missing: a re-arm is audited.
    """
    values = [_field(data, name) for name in ("rearm", "by", "reason")]
    if not all(isinstance(value, str) and value.strip() for value in values):
        raise CommandError("a re-arm needs text fields rearm (the breaker), by and reason")
    breaker, by, reason = (str(value).strip() for value in values)
    return RearmCommand(breaker, by, reason)


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
