"""Defect 10 (data part): bad filter values and page sizes are a 400 naming the parameter;
a body over the size limit is a JSON 413, not an HTML page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from backend.forecasts.models import Forecast
from tests.backend import conftest as backend_fixtures
from tests.backend.forecasts.test_api import forecast_document

# The backend suite's fixtures: users per role with JWT clients, a private bus namespace.
_private_bus, bus_namespace = backend_fixtures._private_bus, backend_fixtures.bus_namespace
make_user, client_for = backend_fixtures.make_user, backend_fixtures.client_for

pytestmark = pytest.mark.django_db


def _viewer(client_for: Any) -> Any:
    client = client_for("viewer")
    client.raise_request_exception = False
    return client


def _error_fields(response: Any) -> dict[str, str]:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    return {error["field"]: error["rule"] for error in response.json()["errors"]}


@pytest.mark.parametrize("value", ["maybe", "yes please", "2", ""])
def test_invalid_boolean_filter_is_400(client_for: Any, value: str) -> None:
    response = _viewer(client_for).get("/api/signals/", {"active": value})
    if value == "":
        assert response.status_code == 200  # an empty filter means no filter
        return
    assert _error_fields(response) == {"active": "invalid"}
    assert "active" in response.json()["detail"]


@pytest.mark.parametrize("value", ["true", "false", "True", "0", "1"])
def test_valid_boolean_filter_still_works(client_for: Any, value: str) -> None:
    assert _viewer(client_for).get("/api/signals/", {"active": value}).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/signals/", "/api/forecasts/", "/api/backtests/", "/api/audit/"]
)
@pytest.mark.parametrize("value", ["-1", "0", "abc", "1001", "1e3"])
def test_invalid_page_size_is_400(client_for: Any, path: str, value: str) -> None:
    response = _viewer(client_for).get(path, {"page_size": value})
    assert _error_fields(response) == {"page_size": "invalid"}


def test_valid_page_size_still_works(client_for: Any) -> None:
    response = _viewer(client_for).get("/api/signals/", {"page_size": "5"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/audit/", "since"),
        ("/api/forecasts/", "until"),
        ("/api/signals/", "since"),
        ("/api/execution/orders/", "since"),
        ("/api/market/bars/", "until"),
        ("/api/risk/history/", "since"),
    ],
)
@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-23:00", "0001-01-01T00:00:00+23:00", "3000-01-01T00:00:00Z"]
)
def test_far_time_filter_is_400_naming_it_without_sql(
    client_for: Any, path: str, parameter: str, value: str
) -> None:
    response = _viewer(client_for).get(path, {parameter: value})
    assert _error_fields(response) == {parameter: "range"}
    text = response.content.decode().lower()
    assert "select" not in text
    assert "line 1" not in text


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_body_over_the_size_limit_is_a_json_413(client_for: Any) -> None:
    service = client_for("service")
    service.raise_request_exception = False
    documents = [forecast_document(index) for index in range(200)]
    response = service.post("/api/forecasts/", documents, format="json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["errors"] == [
        {"field": "body", "rule": "max_size", "message": "at most 10000 bytes"}
    ]
    assert not Forecast.objects.exists()
