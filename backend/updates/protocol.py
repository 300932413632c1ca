"""The gateway's wire contract: close codes, frames, and the client messages it accepts.

Client -> server (JSON text frames):

- ``{"type": "auth", "token": "<access JWT>"}``: first, within the auth timeout; may be sent
  again later with a fresh token (before the first one expires).
- ``{"type": "subscribe", "channels": [...], "assets": [...], "horizons": [...]}``: replaces
  the connection's subscription; ``assets`` and ``horizons`` are optional filters.

Server -> client: ``message``, ``lagged``, ``error``, ``status`` and ``subscribed`` frames
(see the ``*_frame`` functions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from signal_bus.channels import ALL_CHANNELS
from signal_bus.messages import Message

# Close codes (the 4000-4999 range is the application's).
CLOSE_AUTH_FAILED = (
    4401  # the first message is not a valid auth, or a token is invalid/expired/revoked
)
CLOSE_FORBIDDEN = 4403  # the token's user holds no role (or lost the one its subscription needs)
CLOSE_AUTH_TIMEOUT = 4408  # no auth message within the auth timeout

# Bounds of a subscribe message's lists.
MAX_FILTER_VALUES = 500
MAX_FILTER_VALUE_LENGTH = 64

# Error reasons sent in ``error`` frames.
ERROR_TOO_LARGE = "too_large"
ERROR_RATE_LIMITED = "rate_limited"
ERROR_MALFORMED = "malformed"
ERROR_UNKNOWN_TYPE = "unknown_type"
ERROR_UNKNOWN_CHANNEL = "unknown_channel"
ERROR_FORBIDDEN_CHANNEL = "forbidden_channel"
ERROR_NOT_SUBSCRIBED = "no_channels"

STATE_LIVE = "live"
STATE_RECONNECTING = "reconnecting"


class ClientMessageError(ValueError):
    """A client message the gateway refuses; ``reason`` goes into the error frame."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Subscription:
    """What a connection receives: channels, and optional asset and horizon filters.

    The asset filter applies to messages about one asset (a forecast's ``asset``, an order
    event's ``symbol``); the horizon filter to forecasts. Messages about no asset (risk
    updates, configuration, portfolio snapshots) pass both filters.
    """

    channels: frozenset[str]
    assets: frozenset[str] = frozenset()
    horizons: frozenset[str] = frozenset()

    def matches(self, channel: str, message: Message) -> bool:
        """Whether ``message`` on ``channel`` belongs to this subscription."""
        if channel not in self.channels:
            return False
        if self.assets:
            asset = getattr(message, "asset", None) or getattr(message, "symbol", None)
            if asset is not None and str(asset).upper() not in self.assets:
                return False
        if self.horizons:
            horizon = getattr(message, "horizon", None)
            if horizon is not None and str(horizon).lower() not in self.horizons:
                return False
        return True


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def message_frame(channel: str, data: str) -> str:
    """``{"type": "message", "channel": ..., "data": <the bus message>}``; ``data`` is its JSON."""
    return '{"type":"message","channel":' + json.dumps(channel) + ',"data":' + data + "}"


def lagged_frame(missed: int) -> str:
    """``{"type": "lagged", "missed": N}``: N frames were dropped before the next one."""
    return _dump({"type": "lagged", "missed": missed})


def error_frame(reason: str, detail: str = "") -> str:
    """``{"type": "error", "reason": ..., "detail": ...}``; the connection stays open."""
    return _dump({"type": "error", "reason": reason, "detail": detail})


def status_frame(state: str) -> str:
    """``{"type": "status", "state": "reconnecting" | "live"}``: the gateway's bus connection."""
    return _dump({"type": "status", "state": state})


def subscribed_frame(subscription: Subscription, current: int) -> str:
    """The subscription in force; the next ``current`` message frames are the current values."""
    return _dump(
        {
            "type": "subscribed",
            "channels": [channel for channel in ALL_CHANNELS if channel in subscription.channels],
            "assets": sorted(subscription.assets),
            "horizons": sorted(subscription.horizons),
            "current": current,
        }
    )


def client_message_parse(text: str) -> dict[str, Any]:
    """Parse a client message into a JSON object with a string ``type``.

    Raises
    ------
    ClientMessageError
        Not JSON, not an object, or without a string ``type``.
    """
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ClientMessageError(ERROR_MALFORMED, "not JSON") from error
    if not isinstance(document, dict):
        raise ClientMessageError(ERROR_MALFORMED, "a message is a JSON object")
    if not isinstance(document.get("type"), str):
        raise ClientMessageError(ERROR_MALFORMED, "field 'type' must be a string")
    return document


def auth_token(document: dict[str, Any]) -> str | None:
    """The token of an auth message, or None when ``document`` is not a well-formed one."""
    token = document.get("token")
    if document.get("type") != "auth" or not isinstance(token, str) or not token:
        return None
    return token


def _text_list(document: dict[str, Any], field: str) -> list[str]:
    value = document.get(field)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ClientMessageError(ERROR_MALFORMED, f"field '{field}' must be a list of strings")
    if len(value) > MAX_FILTER_VALUES:
        raise ClientMessageError(
            ERROR_MALFORMED, f"field '{field}' holds more than {MAX_FILTER_VALUES} values"
        )
    if any(not item or len(item) > MAX_FILTER_VALUE_LENGTH for item in value):
        raise ClientMessageError(
            ERROR_MALFORMED,
            f"values of '{field}' must be 1 to {MAX_FILTER_VALUE_LENGTH} characters",
        )
    return value


def subscription_parse(document: dict[str, Any], *, allowed: frozenset[str]) -> Subscription:
    """Build the subscription a ``subscribe`` message asks for.

    Parameters
    ----------
    document
        The parsed message (``type`` is ``subscribe``).
    allowed
        The channels the connection's roles may read.

    Raises
    ------
    ClientMessageError
        Malformed lists, no channel, an unknown channel or one the roles may not read.
    """
    channels = _text_list(document, "channels")
    if not channels:
        raise ClientMessageError(ERROR_NOT_SUBSCRIBED, "field 'channels' must name a channel")
    unknown = sorted({channel for channel in channels if channel not in ALL_CHANNELS})
    if unknown:
        raise ClientMessageError(
            ERROR_UNKNOWN_CHANNEL,
            f"{', '.join(unknown)}; known: {', '.join(ALL_CHANNELS)}",
        )
    forbidden = sorted({channel for channel in channels if channel not in allowed})
    if forbidden:
        raise ClientMessageError(
            ERROR_FORBIDDEN_CHANNEL, f"your roles may not read {', '.join(forbidden)}"
        )
    return Subscription(
        channels=frozenset(channels),
        assets=frozenset(asset.upper() for asset in _text_list(document, "assets")),
        horizons=frozenset(horizon.lower() for horizon in _text_list(document, "horizons")),
    )
