"""The forecast fast path of the codec builds exactly what the general path builds, or defers."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signal_bus import codec
from signal_bus.channels import FORECAST_UPDATES
from signal_bus.codec import decode, decode_document, encode, to_dict
from signal_bus.errors import MessageValidationError
from signal_bus.messages import ForecastUpdate, Message

from .factories import NOW, example_messages


def _document(**changes: Any) -> dict[str, Any]:
    document = to_dict(example_messages()[0])
    document.update(changes)
    return document


def _general(document: dict[str, Any]) -> Message:
    """What the general path makes of ``document`` (the behaviour before the fast path)."""
    return codec._from_fields(ForecastUpdate, document, b"")


def _same_message(fast: Message, general: Message) -> None:
    assert fast == general
    for spec in fields(general):
        fast_value, general_value = getattr(fast, spec.name), getattr(general, spec.name)
        assert type(fast_value) is type(general_value), spec.name
    assert fast.ts_event.tzinfo is UTC
    assert fast.ts_init.tzinfo is UTC


def test_fast_path_covers_every_forecast_field() -> None:
    # Fails when ForecastUpdate gains or loses a field the fast path does not set.
    assert codec.FORECAST_FAST_PATH


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"interval_low": None, "interval_high": None},
        {"model": "", "model_version": ""},
        {"ts_init": "2025-04-05T12:00:01.5Z"},
        {"ts_event": "2025-04-05T14:00:00+02:00", "ts_init": "2025-04-05T14:00:00+02:00"},
        {"schema_version": 7},
        {"confidence": 0.0, "prediction": -0.0},
        {"confidence": 1.0, "interval_low": 0.01, "interval_high": 0.01},
        {"future_field": [1, 2], "channel": "ignored"},
        {"asset": "BTC/USD spot", "horizon": "999999d"},
    ],
)
def test_fast_path_equals_general_path(changes: dict[str, Any]) -> None:
    document = _document(**changes)
    fast = codec._forecast_fast(document)
    assert fast is not None
    _same_message(fast, _general(document))
    assert decode(json.dumps(document), FORECAST_UPDATES) == fast
    assert decode(encode(fast)) == fast


def test_equal_timestamps_are_parsed_once() -> None:
    fast = codec._forecast_fast(_document())
    assert fast is not None
    assert fast.ts_init is fast.ts_event


@pytest.mark.parametrize(
    "changes",
    [
        {"prediction": 1},  # an integer: the constructor converts it
        {"confidence": 1},
        {"interval_low": 0, "interval_high": 1},
        {"id": None},  # the id then derives from the content
        {"ts_event": None, "timestamp": "2025-04-05T12:00:00Z"},
    ],
)
def test_accepted_documents_of_unusual_shape_take_the_general_path(
    changes: dict[str, Any],
) -> None:
    document = _document(**changes)
    assert codec._forecast_fast(document) is None
    if changes.get("id", "") is None:
        del document["id"]
    if "timestamp" in changes:
        del document["ts_event"], document["ts_init"]
    message = decode(json.dumps(document), FORECAST_UPDATES)
    assert isinstance(message, ForecastUpdate)
    assert type(message.prediction) is float
    assert type(message.confidence) is float


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"confidence": 1.5}, "confidence", "must be in [0, 1], got 1.5"),
        ({"confidence": True}, "confidence", "must be a number, got bool"),
        ({"prediction": 1e400}, "prediction", "must be finite"),
        ({"prediction": "0.1"}, "prediction", "must be a number, got str"),
        ({"asset": " BTC"}, "asset", "must be non-empty without surrounding spaces"),
        ({"asset": "A\x01B"}, "asset", "contains control characters"),
        ({"asset": "A" * 257}, "asset", "longer than 256 characters"),
        ({"id": ""}, "id", "must be non-empty without surrounding spaces"),
        (
            {"horizon": "4w"},
            "horizon",
            "must be a horizon such as '15m', '1h', '4h' or '1d', got '4w'",
        ),
        ({"model": 3}, "model", "must be a string, got int"),
        ({"model_version": "v" * 4097}, "model_version", "longer than 4096 characters"),
        ({"schema_version": 0}, "schema_version", "must be >= 1, got 0"),
        ({"schema_version": True}, "schema_version", "must be an integer, got bool"),
        (
            {"interval_low": 0.5, "interval_high": 0.1},
            "interval_low",
            "must not exceed interval_high",
        ),
        ({"interval_high": float("inf")}, "interval_high", "must be finite"),
        (
            {"ts_event": "2025-04-05T12:00:00", "ts_init": "2025-04-05T12:00:00"},
            "ts_event",
            "timestamp must carry a UTC offset",
        ),
        ({"ts_init": "noon"}, "ts_init", "not an ISO-8601 timestamp: 'noon'"),
        ({"ts_init": "2" * 65}, "ts_init", "timestamp string too long"),
        ({"ts_event": 1712318400}, "ts_event", "must be a timestamp, got int"),
    ],
)
def test_invalid_documents_are_rejected_with_the_same_field_and_reason(
    changes: dict[str, Any], field: str, reason: str
) -> None:
    document = _document(**changes)
    assert codec._forecast_fast(document) is None
    with pytest.raises(MessageValidationError) as caught:
        decode_document(document, FORECAST_UPDATES)
    assert (caught.value.field, caught.value.reason) == (field, reason)
    with pytest.raises(MessageValidationError) as general:
        _general(document)
    assert (general.value.field, general.value.reason) == (field, reason)


_TIMESTAMPS = st.sampled_from(
    [
        "2025-04-05T12:00:00Z",
        "2025-04-05T12:00:00.123456Z",
        "2025-04-05T14:00:00+02:00",
        "2025-04-05T12:00:00",
        "2025-04-05",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "yesterday",
        "",
    ]
)
_VALUES = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
    | st.sampled_from(["1h", "4h", "0h", " 1d", "BTCUSD", "A" * 257, "\x00", "2025-04-05T12:00Z"])
    | _TIMESTAMPS
)
_FIELDS = st.sampled_from(
    [
        "id",
        "ts_event",
        "ts_init",
        "schema_version",
        "asset",
        "horizon",
        "prediction",
        "confidence",
        "model",
        "model_version",
        "interval_low",
        "interval_high",
    ]
)


def _outcome(build: Any, document: dict[str, Any]) -> Message | tuple[str, str]:
    try:
        message: Message = build(document)
    except MessageValidationError as error:
        return error.field, error.reason
    return message


@settings(max_examples=500, deadline=None)
@given(changes=st.dictionaries(_FIELDS, _VALUES, max_size=4), drop=st.sets(_FIELDS, max_size=2))
def test_decoding_agrees_with_the_general_path(changes: dict[str, Any], drop: set[str]) -> None:
    document = _document(**changes)
    for name in drop:
        document.pop(name, None)
    fast = _outcome(lambda d: decode_document(d, FORECAST_UPDATES), document)
    general = _outcome(lambda d: codec._from_fields(ForecastUpdate, d, b""), document)
    if isinstance(general, Message):
        assert isinstance(fast, Message)
        _same_message(fast, general)
    else:
        assert fast == general


def test_fast_path_is_used_for_published_forecasts(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = codec._from_fields

    def general(*arguments: Any) -> Message:
        calls.append("general")
        return original(*arguments)

    monkeypatch.setattr(codec, "_from_fields", general)
    message = ForecastUpdate.create(
        asset="SPY", horizon="1d", prediction=0.01, confidence=0.6, now=NOW
    )
    assert decode(encode(message), FORECAST_UPDATES) == message
    assert calls == []
    decode(encode(example_messages()[1]))  # other types take the general path
    assert calls == ["general"]
