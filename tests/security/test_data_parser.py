"""Defect 2: deep nesting, lone surrogates and NUL in a body are a 400 naming the field, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from backend.backtests.models import BacktestRun
from backend.execution.models import Order
from backend.forecasts.models import Forecast
from backend.strategy.models import StrategyConfigChange
from tests.backend import conftest as backend_fixtures
from tests.backend.backtests.test_api import camel_result
from tests.backend.execution.test_api import order_event
from tests.backend.forecasts.test_api import forecast_document

# The backend suite's fixtures: users per role with JWT clients, a private bus namespace.
_private_bus, bus_namespace = backend_fixtures._private_bus, backend_fixtures.bus_namespace
make_user, client_for = backend_fixtures.make_user, backend_fixtures.client_for

pytestmark = pytest.mark.django_db

LONE_SURROGATE = '"\\ud800"'  # JSON text: a string holding one unpaired surrogate


def _client(client: APIClient) -> APIClient:
    client.raise_request_exception = False  # a server error must show as a 500, not raise here
    return client


def _post_raw(client: APIClient, path: str, body: str, method: str = "post") -> Any:
    return getattr(client, method)(path, body.encode("utf-8"), content_type="application/json")


def _error_fields(response: Any) -> dict[str, str]:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert "detail" in body
    return {error["field"]: error["rule"] for error in body["errors"]}


@pytest.mark.parametrize(
    ("path", "method", "roles"),
    [
        ("/api/auth/token/", "post", ()),
        ("/api/forecasts/", "post", ("service",)),
        ("/api/strategy/config/", "put", ("operator",)),
        ("/api/execution/events/", "post", ("service",)),
        ("/api/backtests/", "post", ("operator",)),
    ],
)
def test_deeply_nested_body_is_400(
    client_for: Any, path: str, method: str, roles: tuple[str, ...]
) -> None:
    client = _client(client_for(*roles) if roles else APIClient())
    response = _post_raw(client, path, "[" * 100_000 + "]" * 100_000, method)
    assert _error_fields(response) == {"body": "depth"}
    assert "nest" in response.json()["detail"]


def test_backtest_statistics_nested_2000_levels_is_400_and_stores_nothing(
    client_for: Any,
) -> None:
    # json.dumps would itself recurse too deep; write the document by hand.
    body = (
        '{"name": "deep", "result": {"statistics": {"deep": '
        + '{"a": ' * 2000
        + "1"
        + "}" * 2000
        + "}, "
        + '"orders": {}}}'
    )
    response = _post_raw(_client(client_for("operator")), "/api/backtests/", body)
    assert _error_fields(response) == {"body": "depth"}
    assert not BacktestRun.objects.exists()


def test_lone_surrogate_in_forecast_model_is_400_naming_the_field(client_for: Any) -> None:
    document = forecast_document(0)
    document["model"] = "@MODEL@"
    body = json.dumps(document).replace('"@MODEL@"', LONE_SURROGATE)
    response = _post_raw(_client(client_for("service")), "/api/forecasts/", body)
    assert _error_fields(response) == {"model": "text"}
    assert "surrogate" in response.json()["detail"]
    assert not Forecast.objects.exists()


def test_lone_surrogate_in_execution_tag_is_400(client_for: Any) -> None:
    body = json.dumps(order_event(0, tag="@TAG@")).replace('"@TAG@"', LONE_SURROGATE)
    response = _post_raw(_client(client_for("service")), "/api/execution/events/", body)
    assert _error_fields(response) == {"tag": "text"}
    assert not Order.objects.exists()


def test_lone_surrogate_in_a_config_key_is_400(client_for: Any) -> None:
    body = '{"values": {"\\udc00": 0.6}, "reason": "x"}'
    response = _post_raw(_client(client_for("operator")), "/api/strategy/config/", body, "put")
    assert _error_fields(response) == {"values": "text"}
    assert not StrategyConfigChange.objects.exists()


def test_lone_surrogate_in_a_backtest_statistic_is_400(client_for: Any) -> None:
    result = camel_result()
    result["statistics"] = {"Sharpe Ratio": "@S@"}
    body = json.dumps({"name": "s", "result": result}).replace('"@S@"', LONE_SURROGATE)
    response = _post_raw(_client(client_for("operator")), "/api/backtests/", body)
    assert _error_fields(response) == {"result.statistics.Sharpe Ratio": "text"}
    assert not BacktestRun.objects.exists()


@pytest.mark.parametrize("text", ['"a\\u0000b"', '"\\u0000"'])
def test_nul_in_a_backtest_statistic_is_400_without_database_text(
    client_for: Any, text: str
) -> None:
    result = camel_result()
    result["statistics"] = {"Net Profit": "@S@"}
    body = json.dumps({"name": "nul", "result": result}).replace('"@S@"', text)
    response = _post_raw(_client(client_for("operator")), "/api/backtests/", body)
    assert _error_fields(response) == {"result.statistics.Net Profit": "text"}
    assert "unicode" not in response.content.decode().lower()
    assert not BacktestRun.objects.exists()


def test_nul_in_a_forecast_asset_is_400(client_for: Any) -> None:
    body = json.dumps(forecast_document(0, asset="@A@")).replace('"@A@"', '"BTC\\u0000USD"')
    response = _post_raw(_client(client_for("service")), "/api/forecasts/", body)
    assert _error_fields(response) == {"asset": "text"}
    assert not Forecast.objects.exists()


def test_invalid_utf8_is_400(client_for: Any) -> None:
    client = _client(client_for("service"))
    response = client.post(
        "/api/forecasts/", b'{"asset": "\xff\xfe"}', content_type="application/json"
    )
    assert _error_fields(response) == {"body": "encoding"}


def test_valid_text_still_works(client_for: Any) -> None:
    document = forecast_document(0, model="modèle-😀")
    response = _client(client_for("service")).post("/api/forecasts/", document, format="json")
    assert response.status_code == 201, response.content
    assert Forecast.objects.get().model == "modèle-😀"
