"""JSON codec for bus messages.

:func:`encode` turns a message into compact UTF-8 JSON. :func:`decode` is strict on
required fields and value ranges, tolerant of unknown fields, and raises only
:class:`~signal_bus.errors.MessageValidationError`.

Forecasts, the bulk of the traffic, have a fast path: a document whose fields all have
their usual JSON types and pass the same checks as the message's constructor is turned
into a :class:`~signal_bus.messages.ForecastUpdate` without the keyword-argument round trip;
anything else (a missing id, an integer where a float is usual, a value out of range)
takes the general path, which accepts or rejects it exactly as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import MISSING, fields
from datetime import UTC, datetime
from math import isfinite
from typing import Any

from signal_bus.channels import ALL_CHANNELS, EXECUTION_EVENTS
from signal_bus.errors import MessageValidationError
from signal_bus.messages import (
    MESSAGE_TYPES,
    SCHEMA_VERSION,
    ForecastUpdate,
    Message,
    OrderEvent,
    PortfolioSnapshot,
)
from signal_bus.validation import is_horizon, is_name, is_text

MAX_PAYLOAD_BYTES = 1_000_000

_ENVELOPE_FIELDS = frozenset({"type", "schema_version", "id", "ts_event", "ts_init", "timestamp"})
_PAYLOAD_FIELDS: Mapping[type[Message], frozenset[str]] = {
    cls: frozenset(spec.name for spec in fields(cls) if spec.init) - _ENVELOPE_FIELDS
    for cls in MESSAGE_TYPES.values()
}
_DEFAULT_TYPE_BY_CHANNEL: Mapping[str, str] = {
    cls.channel: name for name, cls in MESSAGE_TYPES.items() if cls.channel != EXECUTION_EVENTS
}


def _encode_default(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


_ENCODER = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_encode_default
)


def format_timestamp(moment: datetime) -> str:
    """Return ``moment`` (timezone-aware) as UTC ISO-8601 ending in ``Z``."""
    text = (moment if moment.tzinfo is UTC else moment.astimezone(UTC)).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def to_dict(message: Message) -> dict[str, Any]:
    """Return the JSON-ready dictionary of ``message``, envelope first."""
    ts_event = format_timestamp(message.ts_event)
    document: dict[str, Any] = {
        "type": message.message_type,
        "schema_version": message.schema_version,
        "id": message.id,
        "ts_event": ts_event,
        "ts_init": ts_event
        if message.ts_init == message.ts_event
        else format_timestamp(message.ts_init),
    }
    document.update(message.payload_fields())
    return document


def encode(message: Message) -> bytes:
    """Return ``message`` as compact UTF-8 JSON."""
    return _ENCODER.encode(to_dict(message)).encode()


def decode(data: bytes | bytearray | memoryview | str, channel: str | None = None) -> Message:
    """Parse and validate one message.

    Parameters
    ----------
    data
        The JSON payload.
    channel
        The logical channel it came from, if known. When the payload has no
        ``type``, the type is inferred from the channel (and, on
        ``execution_events``, from the fields). A ``type`` that does not belong on
        the channel is rejected.

    Returns
    -------
    Message
        The validated message.

    Raises
    ------
    MessageValidationError
        The only exception raised, naming the field and the reason.
    """
    try:
        return _decode(data, channel)
    except MessageValidationError:
        raise
    except Exception as error:  # the contract: nothing else escapes
        raise MessageValidationError("payload", f"undecodable: {type(error).__name__}") from None


def decode_document(document: object, channel: str | None = None) -> Message:
    """Validate an already parsed JSON document; same contract as :func:`decode`."""
    try:
        return _from_document(document, channel, b"")
    except MessageValidationError:
        raise
    except Exception as error:
        raise MessageValidationError("payload", f"undecodable: {type(error).__name__}") from None


def _decode(data: bytes | bytearray | memoryview | str, channel: str | None) -> Message:
    if isinstance(data, str):
        raw = data.encode("utf-8", "surrogatepass")
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        raise MessageValidationError("payload", f"must be bytes or str, got {type(data).__name__}")
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise MessageValidationError("payload", f"larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MessageValidationError("payload", "not valid UTF-8") from None
    try:
        document = _DECODER.decode(text)
    except MessageValidationError:
        raise
    except (ValueError, RecursionError):
        raise MessageValidationError("payload", "not valid JSON") from None
    return _from_document(document, channel, raw)


def _reject_constant(name: str) -> object:
    raise MessageValidationError("payload", f"{name} is not allowed; numbers must be finite")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _from_document(document: object, channel: str | None, raw: bytes) -> Message:
    if not isinstance(document, dict):
        raise MessageValidationError("payload", "must be a JSON object")
    if channel is not None and channel not in ALL_CHANNELS:
        raise MessageValidationError("channel", f"unknown channel {channel!r}")
    cls = _message_class(document, channel)
    if cls is ForecastUpdate and FORECAST_FAST_PATH:
        message = _forecast_fast(document)
        if message is not None:
            return message
    return _from_fields(cls, document, raw)


def _document_bytes(document: dict[str, Any]) -> bytes:
    """The bytes a content id is derived from; a non-finite number (refused later by the
    field checks, with the field named) must not fail here first."""
    try:
        return _ENCODER.encode(document).encode()
    except ValueError:
        return json.dumps(document, sort_keys=True, default=str).encode()


def _from_fields(cls: type[Message], document: dict[str, Any], raw: bytes) -> Message:
    ts_event = document.get("ts_event", document.get("timestamp"))
    if ts_event is None:
        raise MessageValidationError("ts_event", "required (or 'timestamp')")
    ts_init = document.get("ts_init", ts_event)
    if ts_init == ts_event:
        ts_init = ts_event  # parsed once
    message_id = document.get("id")
    if message_id is None:
        message_id = _content_id(raw or _document_bytes(document))
    fields = {name: value for name, value in document.items() if name in _PAYLOAD_FIELDS[cls]}
    envelope: dict[str, Any] = {"id": message_id, "ts_event": ts_event, "ts_init": ts_init}
    if "schema_version" in document:
        envelope["schema_version"] = document["schema_version"]
    try:
        return cls(**envelope, **fields)
    except TypeError as error:
        missing = _missing_field(cls, document)
        if missing is not None:
            raise MessageValidationError(missing, "required") from None
        raise MessageValidationError("payload", f"bad fields: {error}") from None


# The fields _forecast_fast sets; if ForecastUpdate gains or loses one, the fast path is off
# (and a unit test fails) until it is updated.
_FORECAST_FAST_FIELDS = frozenset(
    {
        "id", "ts_event", "ts_init", "schema_version", "asset", "horizon", "prediction",
        "confidence", "model", "model_version", "interval_low", "interval_high", "tradable",
    }
)  # fmt: skip
FORECAST_FAST_PATH = (
    frozenset(spec.name for spec in fields(ForecastUpdate)) == _FORECAST_FAST_FIELDS
)
_new_object = object.__new__
_set_field = object.__setattr__


def _utc_timestamp(value: object) -> datetime | None:
    """What ``require_timestamp`` returns for an ISO-8601 string, or None for the general path."""
    if type(value) is not str or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _forecast_fast(document: dict[str, Any]) -> ForecastUpdate | None:
    """A forecast from a well-formed document, or None to let the general path decide.

    Returns a message only when every field passes the checks ``ForecastUpdate`` runs on
    construction, unchanged (floats already floats, timestamps ISO strings with an offset),
    so the result equals what the constructor would build; it never raises on bad input.
    """
    get = document.get
    message_id = get("id")
    asset = get("asset")
    horizon = get("horizon")
    prediction = get("prediction")
    confidence = get("confidence")
    model = get("model", "")
    model_version = get("model_version", "")
    schema_version = get("schema_version", SCHEMA_VERSION)
    low = get("interval_low")
    high = get("interval_high")
    tradable = get("tradable", True)
    if not (
        type(tradable) is bool
        and type(prediction) is float
        and isfinite(prediction)
        and type(confidence) is float
        and 0.0 <= confidence <= 1.0
        and type(schema_version) is int
        and schema_version >= 1
        and is_name(message_id)
        and is_name(asset)
        and is_horizon(horizon)
        and is_text(model)
        and is_text(model_version)
        and (low is None or (type(low) is float and isfinite(low)))
        and (high is None or (type(high) is float and isfinite(high)))
        and (low is None or high is None or low <= high)
    ):
        return None
    ts_event_text = get("ts_event")
    ts_event = _utc_timestamp(ts_event_text)
    if ts_event is None:
        return None
    ts_init_text = get("ts_init", ts_event_text)
    ts_init = ts_event if ts_init_text == ts_event_text else _utc_timestamp(ts_init_text)
    if ts_init is None:
        return None
    message: ForecastUpdate = _new_object(ForecastUpdate)
    _set_field(message, "id", message_id)
    _set_field(message, "ts_event", ts_event)
    _set_field(message, "ts_init", ts_init)
    _set_field(message, "schema_version", schema_version)
    _set_field(message, "asset", asset)
    _set_field(message, "horizon", horizon)
    _set_field(message, "prediction", prediction)
    _set_field(message, "confidence", confidence)
    _set_field(message, "model", model)
    _set_field(message, "model_version", model_version)
    _set_field(message, "interval_low", low)
    _set_field(message, "interval_high", high)
    _set_field(message, "tradable", tradable)
    return message


def _message_class(document: Mapping[str, object], channel: str | None) -> type[Message]:
    type_name = document.get("type")
    if type_name is None:
        if channel is None:
            raise MessageValidationError("type", "required when the channel is not known")
        if channel == EXECUTION_EVENTS:
            return OrderEvent if "order_id" in document else PortfolioSnapshot
        return MESSAGE_TYPES[_DEFAULT_TYPE_BY_CHANNEL[channel]]
    if not isinstance(type_name, str) or type_name not in MESSAGE_TYPES:
        raise MessageValidationError("type", f"unknown message type {type_name!r}")
    cls = MESSAGE_TYPES[type_name]
    if channel is not None and cls.channel != channel:
        raise MessageValidationError("type", f"{type_name!r} does not belong on {channel!r}")
    return cls


def _missing_field(cls: type[Message], document: Mapping[str, object]) -> str | None:
    for spec in fields(cls):
        if spec.name not in _PAYLOAD_FIELDS[cls]:
            continue
        if (
            spec.default is MISSING
            and spec.default_factory is MISSING
            and spec.name not in document
        ):
            return spec.name
    return None


def _content_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:32]
