"""Model-version endpoints (list, detail, champions, transition, rollback) and tradable forecasts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from backend.audit.models import AuditEvent
from backend.forecasts.bulk_copy import forecast_rows_copy
from backend.forecasts.models import Forecast, ModelTransition, ModelVersion
from backend.forecasts.services import _store_with_orm, forecast_messages_store
from risk_models.promotion import ModelStatus
from signal_bus.messages import ForecastUpdate
from tests.backend.conftest import field_errors
from tests.backend.forecasts.lifecycle_support import DAY, GROUP, HORIZON, T0, promoted, version
from tests.backend.forecasts.test_api import START, forecast_document

pytestmark = pytest.mark.django_db


def two_champions_in_a_row() -> tuple[ModelVersion, ModelVersion]:
    first = promoted(version("ridge", "v1"))
    second = promoted(version("ridge", "v2"), live_at=T0 + 2 * DAY)
    return first, second


# ---------------------------------------------------------------- reads


def test_every_role_lists_and_filters_model_versions(client_for: Any) -> None:
    champion_row = promoted(version("ridge", "v1"))
    version("lgbm", "v1")
    version("ridge", "c1", group="crypto", horizon="4h")
    viewer = client_for("viewer")
    listed = viewer.get("/api/models/").json()
    assert listed["count"] == 3
    assert {item["status"] for item in listed["results"]} == {"live", "candidate"}
    live = viewer.get("/api/models/", {"status": "live"}).json()["results"]
    assert [(item["id"], item["asset_group"], item["horizon"]) for item in live] == [
        (champion_row.pk, GROUP, HORIZON)
    ]
    assert viewer.get("/api/models/", {"asset_group": "crypto"}).json()["count"] == 1
    assert viewer.get("/api/models/", {"horizon": "1d", "model": "lgbm"}).json()["count"] == 1
    assert field_errors(viewer.get("/api/models/", {"status": "champion"})) == {
        "status": "invalid_choice"
    }


def test_detail_shows_gates_and_transitions_and_champions_one_per_group(client_for: Any) -> None:
    first, second = two_champions_in_a_row()
    other = promoted(version("ridge", "c1", group="crypto"))
    viewer = client_for("viewer")
    detail = viewer.get(f"/api/models/{second.pk}/").json()
    assert (detail["model"], detail["version"], detail["status"]) == ("ridge", "v2", "live")
    assert detail["gates"]["rule"] == "shadow period passed"
    assert detail["gates"]["gates"]["gates"][0]["statistic"] == 80.0
    assert [(t["from_status"], t["to_status"]) for t in detail["transitions"]] == [
        ("candidate", "shadow"),
        ("shadow", "live"),
    ]
    assert detail["transitions"][1]["replaced"] == "ridge@v1"
    assert detail["transitions"][1]["replaced_id"] == first.pk
    champions = viewer.get("/api/models/champions/").json()
    assert [(item["asset_group"], item["id"]) for item in champions] == [
        ("crypto", other.pk),
        (GROUP, second.pk),
    ]
    assert viewer.get("/api/models/999999/").status_code == 404


# ---------------------------------------------------------------- transition


def test_viewer_and_service_cannot_transition_or_roll_back(client_for: Any) -> None:
    row = version("lgbm", "v1")
    two_champions_in_a_row()
    for role in ("viewer", "service"):
        client = client_for(role)
        response = client.post(
            f"/api/models/{row.pk}/transition/",
            {"status": "shadow", "reason": "try"},
            format="json",
        )
        assert response.status_code == 403
        response = client.post(
            "/api/models/rollback/",
            {"asset_group": GROUP, "horizon": HORIZON, "reason": "try"},
            format="json",
        )
        assert response.status_code == 403
    assert ModelVersion.objects.get(pk=row.pk).status == "candidate"
    assert ModelVersion.objects.get(model="ridge", version="v2").status == "live"


def test_transition_needs_a_reason_and_a_status_it_may_move_to(client_for: Any) -> None:
    row = version()
    operator = client_for("operator")
    url = f"/api/models/{row.pk}/transition/"
    assert field_errors(operator.post(url, {"status": "shadow"}, format="json")) == {
        "reason": "required"
    }
    assert field_errors(operator.post(url, {"status": "shadow", "reason": " "}, format="json")) == {
        "reason": "blank"
    }
    assert field_errors(operator.post(url, {"status": "best", "reason": "x"}, format="json")) == {
        "status": "invalid_choice"
    }
    refused = operator.post(url, {"status": "live", "reason": "skip shadow"}, format="json")
    assert field_errors(refused) == {"status": "transition"}
    assert "allowed: retired, shadow" in refused.json()["detail"]
    assert ModelTransition.objects.count() == 0
    assert (
        operator.post(
            "/api/models/999999/transition/", {"status": "shadow", "reason": "x"}, format="json"
        ).status_code
        == 404
    )


def test_operator_promotes_a_version_and_the_champion_is_retired(client_for: Any) -> None:
    old = promoted(version("ridge", "v1"))
    challenger = version("lgbm", "v1")
    operator = client_for("operator")
    url = f"/api/models/{challenger.pk}/transition/"
    shadowed = operator.post(url, {"status": "shadow", "reason": "looks promising"}, format="json")
    assert shadowed.status_code == 200
    assert shadowed.json()["status"] == "shadow"
    response = operator.post(url, {"status": "live", "reason": "reviewed record"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["manual"]) == ("live", True)
    last = body["transitions"][-1]
    assert (last["actor"], last["reason"], last["replaced"]) == (
        operator.user.username,
        "reviewed record",
        "ridge@v1",
    )
    assert ModelVersion.objects.get(pk=old.pk).status == "retired"
    events = AuditEvent.objects.filter(action="model_status_changed", actor=operator.user.username)
    assert sorted(event.payload["to"] for event in events) == ["live", "retired", "shadow"]


# ---------------------------------------------------------------- rollback


def test_operator_rolls_back_to_the_previous_champion(client_for: Any) -> None:
    first, second = two_champions_in_a_row()
    operator = client_for("operator")
    events_before = AuditEvent.objects.count()
    response = operator.post(
        "/api/models/rollback/",
        {"asset_group": GROUP, "horizon": HORIZON, "reason": "v2 misbehaves"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["retired"]["id"], body["retired"]["status"]) == (second.pk, "retired")
    assert (body["restored"]["id"], body["restored"]["status"]) == (first.pk, "live")
    assert body["restored"]["transitions"][-1]["actor"] == operator.user.username
    assert AuditEvent.objects.count() == events_before + 2
    champions = client_for("viewer").get("/api/models/champions/").json()
    assert [item["id"] for item in champions] == [first.pk]


def test_rollback_errors_name_the_fields(client_for: Any) -> None:
    promoted(version())
    operator = client_for("operator")
    response = operator.post(
        "/api/models/rollback/",
        {"asset_group": GROUP, "horizon": HORIZON, "reason": "undo"},
        format="json",
    )
    assert field_errors(response) == {
        "asset_group": "no_previous_champion",
        "horizon": "no_previous_champion",
    }
    assert "first champion" in response.json()["detail"]
    missing = operator.post(
        "/api/models/rollback/", {"asset_group": GROUP, "horizon": HORIZON}, format="json"
    )
    assert field_errors(missing) == {"reason": "required"}
    nobody = operator.post(
        "/api/models/rollback/", {"horizon": "4h", "reason": "undo"}, format="json"
    )
    assert field_errors(nobody)["asset_group"] == "no_champion"
    assert ModelVersion.objects.get().status == ModelStatus.LIVE.value


# ---------------------------------------------------------------- tradable forecasts


def test_forecasts_store_and_filter_tradable(client_for: Any) -> None:
    service = client_for("service")
    documents = [
        forecast_document(0),  # no flag: an older producer, tradable
        forecast_document(1, tradable=True),
        forecast_document(2, tradable=False, model="lgbm", model_version="shadow-1"),
    ]
    assert service.post("/api/forecasts/", documents, format="json").status_code == 201
    stored = dict(Forecast.objects.values_list("message_id", "tradable"))
    assert stored == {"fc-0": True, "fc-1": True, "fc-2": False}
    viewer = client_for("viewer")
    everything = viewer.get("/api/forecasts/").json()["results"]
    assert {item["message_id"]: item["tradable"] for item in everything} == stored
    shadow_only = viewer.get("/api/forecasts/", {"tradable": "false"}).json()["results"]
    assert [item["message_id"] for item in shadow_only] == ["fc-2"]
    tradable = viewer.get("/api/forecasts/", {"tradable": "1"}).json()["results"]
    assert sorted(item["message_id"] for item in tradable) == ["fc-0", "fc-1"]
    assert field_errors(viewer.get("/api/forecasts/", {"tradable": "maybe"})) == {
        "tradable": "invalid"
    }
    refused = service.post("/api/forecasts/", forecast_document(3, tradable="no"), format="json")
    assert refused.status_code == 400
    assert not Forecast.objects.filter(message_id="fc-3").exists()


def _message(index: int, *, tradable: bool) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset="SPY",
        horizon="1d",
        prediction=0.01,
        confidence=0.7,
        now=START + timedelta(days=index),
        model="m",
        model_version="v",
        tradable=tradable,
    )


def test_every_store_path_keeps_the_flag() -> None:
    # COPY straight into the table (the usual path).
    shadow, live = _message(0, tradable=False), _message(1, tradable=True)
    forecast_messages_store(messages=[shadow, live])
    # COPY of rows without the flag (benchmarks, back-fills): tradable.
    with connection.cursor() as cursor:
        forecast_rows_copy(
            cursor=cursor.cursor,
            rows=[
                {"message_id": "copied", "asset": "SPY", "horizon": "1d", "prediction": 0.0,
                 "confidence": 0.5, "timestamp": START + timedelta(days=2)},
                {"message_id": "copied-shadow", "asset": "SPY", "horizon": "1d",
                 "prediction": 0.0, "confidence": 0.5, "timestamp": START + timedelta(days=3),
                 "tradable": False},
            ],
            received_at=START,
        )  # fmt: skip
    # A batch meeting a row stored outside the registry takes the temporary-table path.
    clash = _message(4, tradable=False)
    with connection.cursor() as cursor:
        forecast_rows_copy(
            cursor=cursor.cursor,
            rows=[{"message_id": clash.id, "asset": "SPY", "horizon": "1d", "prediction": 0.01,
                   "confidence": 0.7, "timestamp": clash.ts_event, "tradable": False}],
            received_at=START,
        )  # fmt: skip
    late = _message(5, tradable=False)
    forecast_messages_store(messages=[clash, late])
    # The ORM path (SQLite, the embedded demo).
    orm = _message(6, tradable=False)
    _store_with_orm(
        messages=[orm], version_ids={orm.id: None}, entry_threshold=0.6, min_magnitude=0
    )
    flags = dict(Forecast.objects.values_list("message_id", "tradable"))
    assert (flags[shadow.id], flags[live.id]) == (False, True)
    assert (flags["copied"], flags["copied-shadow"]) == (True, False)
    assert (flags[late.id], flags[orm.id]) == (False, False)
    assert sorted(flags.values()).count(False) == 5
