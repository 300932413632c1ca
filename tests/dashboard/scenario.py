"""The seeded data set the dashboard tests read back: deterministic, small by default."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

END = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
HORIZONS = ("1h", "4h", "1d")
SMALL_ASSETS = ("BTCUSD", "ETHUSD", "SPY")

# The newest forecast of BTCUSD 4h is the brief's example; the tests look for it.
EXAMPLE_ASSET, EXAMPLE_HORIZON = "BTCUSD", "4h"
EXAMPLE_PREDICTION, EXAMPLE_CONFIDENCE = 0.0082, 0.76
# The newest ETHUSD 1d forecast is a confident short.
SHORT_ASSET, SHORT_HORIZON = "ETHUSD", "1d"
SHORT_PREDICTION, SHORT_CONFIDENCE = -0.0125, 0.81

# Risk decisions, oldest first: (hours before END, factor, state, reasons). As the risk
# engine does, every decision names the breakers it holds: drawdown_limit stays named (and
# the state halted) from its trip until a re-arm.
RISK_STEPS = (
    (72, 1.0, "active", ()),
    (48, 0.8, "reducing", ("low_confidence", "high_volatility")),
    (24, 0.0, "halted", ("drawdown", "drawdown_limit")),
    (2, 0.0, "halted", ("low_confidence", "high_volatility", "drawdown_limit")),
)
TRIPPED_BREAKER = "drawdown_limit"

START_EQUITY = 100_000.0
EQUITY_DAYS = 120
BACKTEST_NAME = "adaptive forecast 2021"
BACKTEST_NET_PROFIT = "2.5%"


@dataclass(frozen=True)
class ForecastRow:
    """One forecast to publish."""

    asset: str
    horizon: str
    timestamp: datetime
    prediction: float
    confidence: float


def asset_names(count: int) -> tuple[str, ...]:
    """The small set for tests, or ``count`` synthetic tickers for the benchmark."""
    if count <= len(SMALL_ASSETS):
        return SMALL_ASSETS[:count]
    return SMALL_ASSETS + tuple(f"ASSET{index:02d}" for index in range(count - len(SMALL_ASSETS)))


def forecast_rows(
    *, assets: tuple[str, ...], hours: int, horizons: tuple[str, ...]
) -> Iterator[ForecastRow]:
    """Hourly forecasts per asset and horizon ending at ``END``."""
    for asset_index, asset in enumerate(assets):
        for horizon in horizons:
            for step in range(hours):
                moment = END - timedelta(hours=hours - 1 - step)
                phase = step / 9.0 + asset_index
                prediction = round(0.004 * math.sin(phase), 6)
                confidence = round(0.5 + 0.35 * abs(math.cos(phase / 2)), 4)
                if step == hours - 1 and (asset, horizon) == (EXAMPLE_ASSET, EXAMPLE_HORIZON):
                    prediction, confidence = EXAMPLE_PREDICTION, EXAMPLE_CONFIDENCE
                if step == hours - 1 and (asset, horizon) == (SHORT_ASSET, SHORT_HORIZON):
                    prediction, confidence = SHORT_PREDICTION, SHORT_CONFIDENCE
                yield ForecastRow(asset, horizon, moment, prediction, confidence)


def equity_path() -> list[tuple[datetime, float]]:
    """Daily live equity: a rise, a 6 % dip, a recovery."""
    points = []
    for day in range(EQUITY_DAYS):
        moment = END - timedelta(days=EQUITY_DAYS - 1 - day)
        drift = START_EQUITY * (1 + 0.0008 * day)
        dip = -0.06 * START_EQUITY * math.exp(-(((day - 80) / 6.0) ** 2))
        points.append((moment, round(drift + dip, 2)))
    return points


def lean_result() -> dict[str, Any]:
    """A small LEAN result document (camelCase), like ``backtests/<time>/<id>.json``."""
    start = int(datetime(2021, 1, 4, tzinfo=UTC).timestamp())
    values = [[start + day * 86400, round(100_000.0 * (1 + 0.0005 * day + 0.004 * math.sin(day)), 2)]
              for day in range(50)]  # fmt: skip
    return {
        "charts": {
            "Strategy Equity": {
                "name": "Strategy Equity",
                "series": {"Equity": {"name": "Equity", "values": values}},
            }
        },
        "orders": {
            "1": {
                "type": 0,
                "id": 1,
                "symbol": {"value": "SPY"},
                "price": 370.0,
                "time": "2021-01-04T15:00:00Z",
                "quantity": 10,
                "status": 3,
                "direction": 0,
                "value": 3700.0,
                "tag": "forecast",
            },
            "2": {
                "type": 0,
                "id": 2,
                "symbol": {"value": "SPY"},
                "price": 380.0,
                "time": "2021-02-01T15:00:00Z",
                "quantity": -10,
                "status": 3,
                "direction": 1,
                "value": -3800.0,
                "tag": "exit",
            },
        },  # fmt: skip
        "statistics": {
            "Net Profit": BACKTEST_NET_PROFIT,
            "Sharpe Ratio": "1.2",
            "Drawdown": "0.4%",
        },
        "runtimeStatistics": {"Equity": "$102,450.00"},
        "totalPerformance": {"tradeStatistics": {"totalNumberOfTrades": 1}},
        "algorithmConfiguration": {"name": "adaptive_forecast"},
    }
