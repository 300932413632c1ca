"""LEAN result import (both key styles) and the backtest endpoints."""

from __future__ import annotations

from typing import Any

import pytest

from backend.audit.models import AuditEvent
from backend.backtests.models import BacktestRun
from tests.backend.conftest import field_errors

pytestmark = pytest.mark.django_db
T0 = 1_609_736_400  # 2021-01-04 05:00 UTC


def pascal_result() -> dict[str, Any]:
    return {
        "Charts": {
            "Strategy Equity": {
                "Name": "Strategy Equity",
                "Series": {
                    "Equity": {
                        "Name": "Equity",
                        "Values": [
                            {"x": T0, "y": 100000.0},
                            {"x": T0 + 86400, "y": 101000.0},
                            {"x": T0 + 2 * 86400, "y": 99990.0},
                        ],
                    },
                    "Daily Performance": {"Values": [{"x": T0, "y": 0.0}]},
                },
            },
            "Benchmark": {"Series": {"Benchmark": {"Values": [{"x": T0, "y": 1.0}]}}},
        },
        "Orders": {
            "1": {
                "Type": 0,
                "Id": 1,
                "Symbol": {"Value": "BTCUSD", "ID": "BTCUSD XJ"},
                "Price": 32843.35,
                "Time": "2021-01-04T05:00:00Z",
                "Quantity": 0.1,
                "Status": 3,
                "Direction": 0,
                "Value": 3284.335,
                "Tag": "fc-1",
            },
            "2": {
                "Type": 1,
                "Id": 2,
                "Symbol": {"Value": "BTCUSD"},
                "Price": 33000.0,
                "Time": "2021-01-05T05:00:00Z",
                "Quantity": -0.1,
                "Status": 5,
                "Direction": 1,
                "Value": -3300.0,
            },
        },
        "Statistics": {"Total Orders": "2", "Net Profit": "-0.01%", "Sharpe Ratio": "0.5"},
        "RuntimeStatistics": {"Equity": "$99,990.00"},
    }


def camel_result() -> dict[str, Any]:
    return {
        "charts": {
            "Strategy Equity": {
                "name": "Strategy Equity",
                "series": {
                    "Equity": {
                        "name": "Equity",
                        "values": [
                            [T0, 100.0, 101.0, 99.0, 100.0],
                            [T0 + 3600, 100.0, 103.0, 100.0, 102.5],
                        ],
                    }
                },
            }
        },
        "orders": {
            "7": {
                "type": 0,
                "id": 7,
                "symbol": {"value": "SPY"},
                "price": 400.0,
                "time": "2021-01-04T15:00:00Z",
                "quantity": 10,
                "status": 3,
                "direction": 0,
                "value": 4000.0,
                "tag": "",
            }
        },
        "statistics": {"Net Profit": "2.5%"},
        "runtimeStatistics": {"Equity": "$102.50"},
        "totalPerformance": {"tradeStatistics": {"totalNumberOfTrades": 1}},
        "algorithmConfiguration": {"name": "adaptive_forecast"},
    }


def test_import_pascal_case_result(client_for: Any) -> None:
    operator = client_for("operator")
    response = operator.post(
        "/api/backtests/", {"name": "report test", "result": pascal_result()}, format="json"
    )
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["source_format"] == "PascalCase"
    assert run["statistics"]["Sharpe Ratio"] == "0.5"
    assert [point["equity"] for point in run["equity_curve"]] == [100000.0, 101000.0, 99990.0]
    assert run["equity_curve"][0]["timestamp"] == "2021-01-04T05:00:00Z"
    assert [
        (o["order_id"], o["symbol"], o["status"], o["direction"], o["order_type"])
        for o in run["orders"]
    ] == [
        (1, "BTCUSD", "filled", "buy", "market"),
        (2, "BTCUSD", "canceled", "sell", "limit"),
    ]
    assert run["orders"][0]["tag"] == "fc-1"
    again = operator.post(
        "/api/backtests/", {"name": "same file", "result": pascal_result()}, format="json"
    )
    assert again.status_code == 200
    assert BacktestRun.objects.count() == 1
    assert AuditEvent.objects.filter(action="backtest_imported").count() == 1


def test_import_camel_case_result_bare_body(client_for: Any) -> None:
    service = client_for("service")
    response = service.post("/api/backtests/?name=nightly", camel_result(), format="json")
    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["name"], run["source_format"]) == ("nightly", "camelCase")
    assert [point["equity"] for point in run["equity_curve"]] == [100.0, 102.5]  # candle close
    assert run["total_performance"]["tradeStatistics"]["totalNumberOfTrades"] == 1
    assert run["orders"][0]["quantity"] == 10
    viewer = client_for("viewer")
    listed = viewer.get("/api/backtests/").json()["results"]
    assert [(item["id"], item["order_count"], item["equity_point_count"]) for item in listed] == [
        (run["id"], 1, 2)
    ]
    assert viewer.get(f"/api/backtests/{run['id']}/").json()["orders"][0]["symbol"] == "SPY"
    performance = viewer.get("/api/performance/", {"backtest": run["id"]}).json()
    assert performance["source"] == "backtest"
    assert performance["statistics"]["total_return"] == pytest.approx(0.025)
    assert performance["lean_statistics"] == {"Net Profit": "2.5%"}


def test_backtest_roles_and_bad_files(client_for: Any, anonymous: Any) -> None:
    assert anonymous.get("/api/backtests/").status_code == 401
    assert (
        client_for("viewer")
        .post("/api/backtests/?name=x", camel_result(), format="json")
        .status_code
        == 403
    )
    operator = client_for("operator")
    assert field_errors(operator.post("/api/backtests/?name=x", {"hello": 1}, format="json")) == {
        "statistics": "required"
    }
    assert field_errors(operator.post("/api/backtests/", camel_result(), format="json")) == {
        "name": "required"
    }
    broken = camel_result()
    broken["charts"]["Strategy Equity"]["series"]["Equity"]["values"] = [["not a time", 1.0]]
    errors = field_errors(operator.post("/api/backtests/?name=x", broken, format="json"))
    assert list(errors) == ["charts.Strategy Equity.series.Equity.values[0][0]"]
    assert BacktestRun.objects.count() == 0
    assert client_for("viewer").get("/api/backtests/12345/").status_code == 404
