"""Execution endpoints: events from LEAN, orders with lineage, portfolio, performance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.execution.models import Fill, Order, PortfolioSnapshot
from tests.backend.conftest import field_errors
from tests.backend.forecasts.test_api import forecast_document

pytestmark = pytest.mark.django_db
START = datetime(2025, 4, 5, 12, tzinfo=UTC)


def order_event(index: int, **overrides: Any) -> dict[str, Any]:
    document = {
        "type": "order_event",
        "id": f"oe-{index}",
        "order_id": 1,
        "symbol": "BTCUSD",
        "status": "submitted",
        "direction": "buy",
        "quantity": 0.5,
        "tag": "fc-0",
        "ts_event": (START + timedelta(minutes=index)).isoformat(),
    }
    document.update(overrides)
    return document


def snapshot(index: int, equity: float) -> dict[str, Any]:
    return {
        "type": "portfolio_snapshot",
        "id": f"ps-{index}",
        "equity": equity,
        "cash": equity / 2,
        "holdings": {"BTCUSD": 0.5},
        "drawdown": 0.0,
        "ts_event": (START + timedelta(days=index)).isoformat(),
    }


def test_events_need_the_service_role(client_for: Any, anonymous: Any) -> None:
    assert (
        anonymous.post("/api/execution/events/", order_event(0), format="json").status_code == 401
    )
    assert (
        client_for("operator")
        .post("/api/execution/events/", order_event(0), format="json")
        .status_code
        == 403
    )


def test_order_lineage_fills_and_replays(client_for: Any) -> None:
    service = client_for("service")
    service.post("/api/forecasts/", forecast_document(0), format="json")
    events = [
        order_event(0),
        order_event(1, status="partially_filled", fill_price=100.0, fill_quantity=0.2, fee=0.1),
        order_event(2, status="filled", fill_price=110.0, fill_quantity=0.3, fee=0.1),
    ]
    assert service.post("/api/execution/events/", events, format="json").status_code == 201
    assert (
        service.post("/api/execution/events/", list(reversed(events)), format="json").status_code
        == 201
    )
    assert (Order.objects.count(), Fill.objects.count()) == (1, 2)
    orders = client_for("viewer").get("/api/execution/orders/").json()["results"]
    order = orders[0]
    assert order["status"] == "filled"
    assert order["forecast_message_id"] == "fc-0"
    assert (order["model"], order["model_version"]) == ("lightgbm", "v1")
    assert order["filled_quantity"] == pytest.approx(0.5)
    assert order["average_fill_price"] == pytest.approx((0.2 * 100 + 0.3 * 110) / 0.5)
    assert len(order["fills"]) == 2
    viewer = client_for("viewer")
    assert viewer.get("/api/execution/orders/", {"symbol": "ETHUSD"}).json()["results"] == []
    assert viewer.get("/api/execution/orders/", {"status": "filled"}).json()["count"] == 1


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (order_event(0, status="exploded"), "status"),
        (order_event(0, order_id=-1), "order_id"),
        ({**snapshot(0, 100.0), "drawdown": 2}, "drawdown"),
        ({"type": "forecast_update"}, "type"),
    ],
)
def test_bad_events_are_400(client_for: Any, document: dict[str, Any], field: str) -> None:
    response = client_for("service").post("/api/execution/events/", document, format="json")
    assert list(field_errors(response)) == [field]
    assert Order.objects.count() == PortfolioSnapshot.objects.count() == 0


def test_portfolio_and_live_performance(client_for: Any) -> None:
    service = client_for("service")
    equities = [100.0, 110.0, 99.0, 121.0]
    service.post(
        "/api/execution/events/", [snapshot(i, e) for i, e in enumerate(equities)], format="json"
    )
    viewer = client_for("viewer")
    portfolio = viewer.get("/api/execution/portfolio/", {"limit": 2}).json()
    assert portfolio["latest"]["equity"] == 121.0
    assert [item["equity"] for item in portfolio["history"]] == [99.0, 121.0]
    performance = viewer.get("/api/performance/").json()
    assert performance["source"] == "live"
    assert [point["equity"] for point in performance["equity_curve"]] == equities
    assert performance["statistics"]["max_drawdown"] == pytest.approx(0.1)
    assert performance["statistics"]["total_return"] == pytest.approx(0.21)
    assert set(performance["statistics"]) >= {
        "cagr",
        "sharpe",
        "sortino",
        "volatility",
        "periods_per_year",
    }
    assert performance["statistics"]["periods_per_year"] == pytest.approx(365.25)
    assert [round(item["return"], 4) for item in performance["returns"]] == [
        0.1,
        -0.1,
        round(121 / 99 - 1, 4),
    ]
    assert viewer.get("/api/execution/portfolio/", {"limit": 0}).status_code == 400
    assert viewer.get("/api/performance/", {"backtest": 999}).status_code == 404
    assert field_errors(viewer.get("/api/performance/", {"backtest": "x"})) == {
        "backtest": "invalid"
    }


def test_order_recorded_before_its_forecast_gets_its_model_version(client_for: Any) -> None:
    service = client_for("service")
    service.post("/api/execution/events/", order_event(0, tag="fc-4"), format="json")
    assert Order.objects.get().model_version is None
    service.post("/api/forecasts/", forecast_document(4), format="json")
    order = Order.objects.select_related("model_version").get()
    assert (order.forecast_message_id, order.model_version.model, order.model_version.version) == (
        "fc-4",
        "lightgbm",
        "v1",
    )
