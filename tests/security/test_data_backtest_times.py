"""Defect 1: a backtest whose times fall outside a sane range once in UTC is refused whole;
nothing is stored and the backtest pages keep working."""

from __future__ import annotations

from typing import Any

import pytest

from backend.audit.models import AuditEvent
from backend.backtests.models import BacktestRun
from tests.backend import conftest as backend_fixtures
from tests.backend.backtests.test_api import T0, camel_result

# The backend suite's fixtures: users per role with JWT clients, a private bus namespace.
_private_bus, bus_namespace = backend_fixtures._private_bus, backend_fixtures.bus_namespace
make_user, client_for = backend_fixtures.make_user, backend_fixtures.client_for

pytestmark = pytest.mark.django_db

FAR_TIMES = [
    "0001-01-01T00:00:00+01:00",  # year 0 in UTC
    "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
    "1000-06-01T00:00:00Z",
    "2500-01-01T00:00:00Z",
]
EQUITY_FIELD = "result.charts.Strategy Equity.series.Equity.values[1][0]"


def _operator(client_for: Any) -> Any:
    client = client_for("operator")
    client.raise_request_exception = False
    return client


def _pages_still_work(client: Any) -> None:
    assert client.get("/api/backtests/").status_code == 200
    for run in BacktestRun.objects.all():
        assert client.get(f"/api/backtests/{run.pk}/").status_code == 200
        assert client.get("/api/performance/", {"backtest": run.pk}).status_code == 200


@pytest.mark.parametrize("moment", FAR_TIMES)
def test_far_equity_time_is_400_and_stores_nothing(client_for: Any, moment: str) -> None:
    operator = _operator(client_for)
    result = camel_result()
    result["charts"]["Strategy Equity"]["series"]["Equity"]["values"][1][0] = moment
    events_before = AuditEvent.objects.count()
    response = operator.post("/api/backtests/", {"name": "far", "result": result}, format="json")
    assert response.status_code == 400, response.content[:300]
    errors = {error["field"]: error["rule"] for error in response.json()["errors"]}
    assert errors == {EQUITY_FIELD: "range"}
    assert not BacktestRun.objects.exists()
    assert AuditEvent.objects.count() == events_before
    _pages_still_work(operator)


@pytest.mark.parametrize("moment", FAR_TIMES)
def test_far_order_time_is_400_and_stores_nothing(client_for: Any, moment: str) -> None:
    operator = _operator(client_for)
    result = camel_result()
    result["orders"]["7"]["time"] = moment
    response = operator.post("/api/backtests/", {"name": "far", "result": result}, format="json")
    assert response.status_code == 400, response.content[:300]
    errors = {error["field"]: error["rule"] for error in response.json()["errors"]}
    assert errors == {"result.orders[0].time": "range"}
    assert not BacktestRun.objects.exists()
    _pages_still_work(operator)


def test_far_unix_time_in_a_bare_result_is_400(client_for: Any) -> None:
    operator = _operator(client_for)
    result = camel_result()
    result["charts"]["Strategy Equity"]["series"]["Equity"]["values"][0][0] = 1.0e11
    response = operator.post("/api/backtests/?name=bare", result, format="json")
    errors = {error["field"]: error["rule"] for error in response.json()["errors"]}
    assert errors == {"charts.Strategy Equity.series.Equity.values[0][0]": "range"}
    assert not BacktestRun.objects.exists()


def test_a_sane_result_still_imports_and_reads(client_for: Any) -> None:
    operator = _operator(client_for)
    result = camel_result()
    result["charts"]["Strategy Equity"]["series"]["Equity"]["values"][0][0] = T0
    response = operator.post("/api/backtests/", {"name": "ok", "result": result}, format="json")
    assert response.status_code == 201, response.content[:300]
    _pages_still_work(operator)
