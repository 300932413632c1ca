"""Codec round trips, the brief's payloads, and strictness on bad fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from signal_bus.channels import EXECUTION_EVENTS, FORECAST_UPDATES, RISK_UPDATES
from signal_bus.codec import decode, encode, to_dict
from signal_bus.errors import MessageValidationError
from signal_bus.messages import (
    ForecastUpdate,
    Message,
    OrderEvent,
    PortfolioSnapshot,
    RiskUpdate,
    StrategyConfigUpdate,
)

from .factories import NOW, example_messages


@pytest.mark.parametrize("message", example_messages(), ids=lambda m: m.message_type)
def test_round_trip_every_type(message: Message) -> None:
    payload = encode(message)
    assert decode(payload) == message
    assert decode(payload.decode(), channel=message.channel) == message
    document = json.loads(payload)
    assert document["type"] == message.message_type
    assert document["schema_version"] == 1
    assert document["ts_event"] == "2025-04-05T12:00:00.123456Z"


def test_brief_forecast_payload_decodes() -> None:
    raw = (
        b'{"asset": "BTCUSD", "horizon": "4h", "prediction": 0.0082, "confidence": 0.76,'
        b' "timestamp": "2025-04-05T12:00:00Z"}'
    )
    message = decode(raw, channel=FORECAST_UPDATES)
    assert isinstance(message, ForecastUpdate)
    assert message.key == "BTCUSD:4h"
    assert message.prediction == pytest.approx(0.0082)
    assert message.ts_event == datetime(2025, 4, 5, 12, tzinfo=UTC)
    assert message.ts_init == message.ts_event
    assert decode(raw, channel=FORECAST_UPDATES).id == message.id  # content-derived id


def test_brief_risk_payload_decodes() -> None:
    raw = (
        '{"risk_factor": 0.8, "reasons": ["low_confidence", "high_volatility"],'
        ' "timestamp": "2025-04-05T12:00:00+00:00"}'
    )
    message = decode(raw, channel=RISK_UPDATES)
    assert isinstance(message, RiskUpdate)
    assert message.reasons == ("low_confidence", "high_volatility")
    assert message.state == "active"
    assert message.key == ""


def test_execution_events_type_is_inferred_from_fields() -> None:
    order = {k: v for k, v in to_dict(example_messages()[3]).items() if k != "type"}
    snapshot = {k: v for k, v in to_dict(example_messages()[4]).items() if k != "type"}
    assert isinstance(decode(json.dumps(order), channel=EXECUTION_EVENTS), OrderEvent)
    assert isinstance(decode(json.dumps(snapshot), channel=EXECUTION_EVENTS), PortfolioSnapshot)


def test_unknown_fields_are_ignored() -> None:
    original = example_messages()[0]
    document = to_dict(original)
    document["future_field"] = {"nested": [1, 2, 3]}
    document["channel"] = "ignored too"
    assert decode(json.dumps(document)) == original


def _forecast(**changes: object) -> bytes:
    document = to_dict(example_messages()[0])
    for name, value in changes.items():
        if value is _DROP:
            document.pop(name)
        else:
            document[name] = value
    return json.dumps(document).encode()


_DROP = object()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"confidence": 1.5}, "confidence"),
        ({"confidence": -0.1}, "confidence"),
        ({"confidence": True}, "confidence"),
        ({"confidence": "0.7"}, "confidence"),
        ({"prediction": None}, "prediction"),
        ({"prediction": _DROP}, "prediction"),
        ({"asset": ""}, "asset"),
        ({"asset": 5}, "asset"),
        ({"horizon": "4 hours"}, "horizon"),
        ({"horizon": "0h"}, "horizon"),
        ({"horizon": "4w"}, "horizon"),
        ({"ts_event": "yesterday"}, "ts_event"),
        ({"ts_event": "2025-04-05T12:00:00"}, "ts_event"),
        ({"ts_event": _DROP}, "ts_event"),
        ({"type": "no_such_type"}, "type"),
        ({"schema_version": 0}, "schema_version"),
        ({"interval_low": 0.5, "interval_high": 0.1}, "interval_low"),
        ({"id": ""}, "id"),
    ],
)
def test_bad_forecast_fields_are_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        decode(_forecast(**changes))
    assert caught.value.field == field
    assert caught.value.reason


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe",
        b"[]",
        b"null",
        b"{",
        b'{"type": "forecast_update", "prediction": NaN}',
        b'{"type": "risk_update", "risk_factor": Infinity, "timestamp": "2025-01-01T00:00:00Z"}',
        b"[" * 100_000,
        b'{"risk_factor": 1e999, "timestamp": "2025-01-01T00:00:00Z"}',
    ],
)
def test_garbage_raises_only_validation_error(raw: bytes) -> None:
    with pytest.raises(MessageValidationError):
        decode(raw, channel=RISK_UPDATES)


def test_type_must_match_channel() -> None:
    with pytest.raises(MessageValidationError) as caught:
        decode(encode(example_messages()[0]), channel=RISK_UPDATES)
    assert caught.value.field == "type"


def test_missing_type_without_channel_is_rejected() -> None:
    with pytest.raises(MessageValidationError) as caught:
        decode(_forecast(type=_DROP))
    assert caught.value.field == "type"


def test_risk_state_must_be_known() -> None:
    with pytest.raises(MessageValidationError) as caught:
        RiskUpdate.create(risk_factor=0.5, state="panicking", now=NOW)
    assert caught.value.field == "state"


def test_messages_are_immutable() -> None:
    message = example_messages()[1]
    assert isinstance(message, RiskUpdate)
    with pytest.raises(AttributeError):
        message.risk_factor = 0.1  # type: ignore[misc]
    with pytest.raises(TypeError):
        message.inputs["volatility"] = 9.0  # type: ignore[index]
    config = example_messages()[2]
    assert isinstance(config, StrategyConfigUpdate)
    assert config.value["assets"] == ("SPY", "QQQ")
    with pytest.raises(TypeError):
        config.value["threshold"] = 1.0


def test_timestamps_are_normalised_to_utc() -> None:
    message = decode(_forecast(ts_event="2025-04-05T14:00:00+02:00"))
    assert message.ts_event == datetime(2025, 4, 5, 12, tzinfo=UTC)
    assert message.ts_event.tzinfo is UTC


def test_keys() -> None:
    keys = [message.key for message in example_messages()]
    assert keys == ["BTCUSD:4h", "", "entry_confidence", "order:SPY", "portfolio"]


def test_validation_error_pickles() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(MessageValidationError("confidence", "too big")))
    assert (error.field, error.reason) == ("confidence", "too big")


def test_decode_document_validates_parsed_json() -> None:
    from signal_bus.codec import decode_document

    message = example_messages()[1]
    assert decode_document(to_dict(message)) == message
    with pytest.raises(MessageValidationError) as caught:
        decode_document({"risk_factor": -1, "timestamp": "2025-04-05T12:00:00Z"}, RISK_UPDATES)
    assert caught.value.field == "risk_factor"
    with pytest.raises(MessageValidationError):
        decode_document(["not", "an", "object"])
