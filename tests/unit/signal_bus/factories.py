"""Valid example messages of every type, built at a fixed time."""

from __future__ import annotations

from datetime import UTC, datetime

from signal_bus.messages import (
    ForecastUpdate,
    Message,
    OrderEvent,
    PortfolioSnapshot,
    RiskUpdate,
    StrategyConfigUpdate,
)

NOW = datetime(2025, 4, 5, 12, 0, 0, 123456, tzinfo=UTC)


def example_messages() -> list[Message]:
    """Return one valid message of each type."""
    return [
        ForecastUpdate.create(
            asset="BTCUSD",
            horizon="4h",
            prediction=0.0082,
            confidence=0.76,
            model="lightgbm",
            model_version="2025.04.01",
            interval_low=-0.01,
            interval_high=0.02,
            now=NOW,
        ),
        RiskUpdate.create(
            risk_factor=0.8,
            state="reducing",
            reasons=["low_confidence", "high_volatility"],
            inputs={"volatility": 0.031, "drawdown": 0.04},
            now=NOW,
        ),
        StrategyConfigUpdate.create(
            key="entry_confidence",
            value={"threshold": 0.58, "assets": ["SPY", "QQQ"]},
            version=3,
            changed_by="operator@example.com",
            reason="calibration review",
            now=NOW,
        ),
        OrderEvent.create(
            order_id=17,
            symbol="SPY",
            status="filled",
            direction="buy",
            quantity=10,
            fill_price=512.25,
            fill_quantity=10,
            fee=1.0,
            fee_currency="USD",
            tag="forecast",
            order_event_id=2,
            limit_price=513.0,
            now=NOW,
        ),
        PortfolioSnapshot.create(
            equity=100_250.5, cash=95_128.0, holdings={"SPY": 10.0}, drawdown=0.012, now=NOW
        ),
    ]
