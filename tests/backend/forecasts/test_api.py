"""Forecast and signal endpoints: roles, idempotent ingestion, filters, cursor pagination."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.forecasts.models import Forecast, ModelVersion, Signal
from tests.backend.conftest import field_errors

pytestmark = pytest.mark.django_db
START = datetime(2025, 4, 5, 12, tzinfo=UTC)


def forecast_document(index: int = 0, **overrides: Any) -> dict[str, Any]:
    document = {
        "type": "forecast_update",
        "id": f"fc-{index}",
        "asset": "BTCUSD" if index % 2 == 0 else "ETHUSD",
        "horizon": "4h",
        "prediction": 0.0082 if index % 3 else -0.004,
        "confidence": 0.76,
        "ts_event": (START + timedelta(hours=index)).isoformat().replace("+00:00", "Z"),
        "model": "lightgbm",
        "model_version": "v1",
    }
    document.update(overrides)
    return document


def test_unauthenticated_is_401(anonymous: Any) -> None:
    assert anonymous.get("/api/forecasts/").status_code == 401
    assert anonymous.post("/api/forecasts/", forecast_document(), format="json").status_code == 401


def test_user_without_role_is_403(client_for: Any) -> None:
    assert client_for().get("/api/forecasts/").status_code == 403


def test_viewer_cannot_post(client_for: Any) -> None:
    response = client_for("viewer").post("/api/forecasts/", forecast_document(), format="json")
    assert response.status_code == 403
    assert Forecast.objects.count() == 0


def test_service_posts_one_and_a_list_idempotently(client_for: Any) -> None:
    service = client_for("service")
    assert service.post("/api/forecasts/", forecast_document(0), format="json").status_code == 201
    batch = [forecast_document(index) for index in range(5)]
    response = service.post("/api/forecasts/", batch, format="json")
    assert response.status_code == 201
    assert response.json() == {"received": 5, "stored": 4, "duplicates": 1, "conflicts": 0}
    assert service.post("/api/forecasts/", batch, format="json").status_code == 201
    assert Forecast.objects.count() == 5
    assert Signal.objects.count() == 5
    assert ModelVersion.objects.filter(model="lightgbm", version="v1").count() == 1
    stored = Forecast.objects.get(message_id="fc-1")
    assert (stored.asset, stored.prediction, stored.model_version.version) == (
        "ETHUSD",
        0.0082,
        "v1",
    )


def test_brief_example_without_id_decodes_and_is_idempotent(client_for: Any) -> None:
    service = client_for("service")
    example = {
        "asset": "BTCUSD",
        "horizon": "4h",
        "prediction": 0.0082,
        "confidence": 0.76,
        "timestamp": "2025-04-05T12:00:00Z",
    }
    assert service.post("/api/forecasts/", example, format="json").status_code == 201
    assert service.post("/api/forecasts/", example, format="json").status_code == 201
    forecast = Forecast.objects.get()
    assert forecast.timestamp == START


def test_signal_follows_the_entry_threshold(client_for: Any) -> None:
    from backend.strategy.services import strategy_config_update

    strategy_config_update(
        values={"entry_confidence": 0.6}, changed_by="test", reason="explicit threshold"
    )
    service = client_for("service")
    service.post(
        "/api/forecasts/",
        [
            forecast_document(1, confidence=0.9),
            forecast_document(2, prediction=-0.01, confidence=0.51),
        ],
        format="json",
    )
    strong = Signal.objects.get(forecast_message_id="fc-1")
    weak = Signal.objects.get(forecast_message_id="fc-2")
    assert (strong.direction, strong.active) == (1, True)
    assert (weak.direction, weak.active) == (-1, False)
    assert weak.entry_threshold == 0.6
    response = client_for("viewer").get("/api/signals/?active=true")
    assert [item["forecast_message_id"] for item in response.json()["results"]] == ["fc-1"]
    # 1 and 0 are booleans too (they used to be ignored: every signal came back).
    for value, expected in (("1", ["fc-1"]), ("0", ["fc-2"])):
        response = client_for("viewer").get("/api/signals/", {"active": value})
        assert [item["forecast_message_id"] for item in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"confidence": 1.5}, "confidence", "contract"),
        ({"prediction": "lots"}, "prediction", "contract"),
        ({"horizon": "soon"}, "horizon", "contract"),
        ({"asset": ""}, "asset", "contract"),
        ({"ts_event": "yesterday"}, "ts_event", "contract"),
        ({"type": "risk_update"}, "type", "contract"),
        ({"asset": "X" * 41}, "asset", "max_length"),
    ],
)
def test_bad_forecast_is_400_naming_field_and_rule(
    client_for: Any, overrides: dict[str, Any], field: str, rule: str
) -> None:
    response = client_for("service").post(
        "/api/forecasts/", forecast_document(0, **overrides), format="json"
    )
    assert field_errors(response) == {field: rule}
    assert field in response.json()["detail"]
    assert Forecast.objects.count() == 0


def test_one_bad_item_rejects_the_whole_list(client_for: Any) -> None:
    batch = [forecast_document(0), forecast_document(1, confidence=-0.1)]
    response = client_for("service").post("/api/forecasts/", batch, format="json")
    assert field_errors(response) == {"[1].confidence": "contract"}
    assert Forecast.objects.count() == 0


def test_non_json_and_empty_bodies_are_400(client_for: Any) -> None:
    service = client_for("service")
    assert (
        service.post("/api/forecasts/", "not json", content_type="application/json").status_code
        == 400
    )
    assert field_errors(service.post("/api/forecasts/", [], format="json")) == {
        "body": "min_length"
    }
    assert service.post("/api/forecasts/", [1, 2], format="json").status_code == 400


def test_filters_and_cursor_pagination(client_for: Any) -> None:
    client_for("service").post(
        "/api/forecasts/", [forecast_document(index) for index in range(10)], format="json"
    )
    viewer = client_for("viewer")
    since = (START + timedelta(hours=4)).isoformat()
    response = viewer.get("/api/forecasts/", {"asset": "BTCUSD", "since": since, "page_size": 2})
    assert response.status_code == 200
    page = response.json()
    assert [item["message_id"] for item in page["results"]] == ["fc-8", "fc-6"]
    following = viewer.get(page["next"]).json()
    assert [item["message_id"] for item in following["results"]] == ["fc-4"]
    assert following["next"] is None
    until = viewer.get(
        "/api/forecasts/", {"until": (START + timedelta(hours=2)).isoformat()}
    ).json()
    assert sorted(item["message_id"] for item in until["results"]) == ["fc-0", "fc-1"]
    assert viewer.get("/api/forecasts/", {"model": "other"}).json()["results"] == []
    assert viewer.get("/api/forecasts/", {"horizon": "4h"}).json()["results"]


def test_bad_filter_value_is_400(client_for: Any) -> None:
    response = client_for("viewer").get("/api/forecasts/", {"since": "not-a-time"})
    assert field_errors(response) == {"since": "invalid"}


def test_binary_copy_loads_rows_the_api_reads(client_for: Any) -> None:
    from django.db import connection

    from backend.forecasts.bulk_copy import forecast_rows_copy

    rows = [
        {"message_id": f"copy-{index}", "asset": "SPY", "horizon": "1d", "prediction": 0.001 * index,
         "confidence": 0.6, "timestamp": START + timedelta(days=index), "ts_init": None, "model": "m"}
        for index in range(3)
    ]  # fmt: skip
    with connection.cursor() as cursor:
        forecast_rows_copy(cursor=cursor.cursor, rows=rows, received_at=START)
    results = client_for("viewer").get("/api/forecasts/", {"asset": "SPY"}).json()["results"]
    assert [(item["message_id"], item["prediction"]) for item in results] == [
        ("copy-2", 0.002),
        ("copy-1", 0.001),
        ("copy-0", 0.0),
    ]
    assert results[0]["timestamp"] == "2025-04-07T12:00:00Z"


def test_fast_rows_match_the_serializer(client_for: Any) -> None:
    from backend.forecasts.models import Forecast as ForecastModel
    from backend.forecasts.serializers import ForecastOutputSerializer

    client_for("service").post(
        "/api/forecasts/",
        [
            forecast_document(1, interval_low=-0.01, interval_high=0.02),
            forecast_document(
                2,
                ts_event="2025-04-05T13:00:00.123456Z",
                ts_init="1999-12-31T23:59:59.000001+00:00",
            ),
        ],
        format="json",
    )
    listed = client_for("viewer").get("/api/forecasts/").json()["results"]
    expected = [
        ForecastOutputSerializer(row).data for row in ForecastModel.objects.order_by("-timestamp")
    ]
    assert listed == expected
    assert listed[0]["timestamp"] == "2025-04-05T13:00:00.123456Z"


def test_inactive_or_deleted_user_token_is_401(client_for: Any) -> None:
    viewer = client_for("viewer")
    viewer.user.is_active = False
    viewer.user.save()
    assert viewer.get("/api/forecasts/").status_code == 401
    service = client_for("service")
    service.user.delete()
    assert service.get("/api/forecasts/").status_code == 401


def test_role_revoked_takes_effect_on_the_next_request(client_for: Any) -> None:
    operator = client_for("operator")
    assert operator.get("/api/forecasts/").status_code == 200
    operator.user.groups.clear()
    # Removing roles revokes the user's tokens (issue 20, defect 6): refused outright.
    assert operator.get("/api/forecasts/").status_code == 401


def test_copy_path_and_orm_path_derive_the_same_signals() -> None:
    from django.db import connection

    from backend.forecasts.bulk_copy import forecast_messages_encode
    from backend.forecasts.signals_rule import signal_from_forecast
    from signal_bus.messages import ForecastUpdate

    cases = [
        (0.02, 0.7, True),
        (-0.02, 0.7, True),
        (0.001, 0.9, True),
        (0.0, 0.9, True),
        (-0.5, 0.59, True),
        (0.5, 0.6, True),
        (0.02, 0.7, False),  # a model version that is not live: never active
    ]
    messages = [
        ForecastUpdate.create(
            asset="SPY",
            horizon="1d",
            prediction=p,
            confidence=c,
            now=START + timedelta(hours=i),
            tradable=tradable,
        )
        for i, (p, c, tradable) in enumerate(cases)
    ]
    forecasts, signals = forecast_messages_encode(
        messages, version_ids={}, received_at=START, entry_threshold=0.6, min_magnitude=0.001
    )
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            'COPY forecasts_signal (forecast_message_id, asset, horizon, "timestamp", direction, confidence,'
            " strength, active, entry_threshold) FROM STDIN WITH (FORMAT binary)",
            io.BytesIO(signals),
        )
    stored = {row.forecast_message_id: row for row in Signal.objects.all()}
    for message in messages:
        expected = signal_from_forecast(
            prediction=message.prediction,
            confidence=message.confidence,
            entry_threshold=0.6,
            min_magnitude=0.001,
            tradable=message.tradable,
        )
        row = stored[message.id]
        assert (row.direction, row.strength, row.active) == (
            expected.direction,
            expected.strength,
            expected.active,
        )
    assert [stored[message.id].active for message in messages] == [
        True, True, False, False, False, True, False,
    ]  # fmt: skip
    assert forecasts.startswith(b"PGCOPY")
