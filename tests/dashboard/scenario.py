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


# ---------------------------------------------------------------- model lifecycle
# The seeded forecasts are published by FORECAST_MODEL@FORECAST_VERSION, the champion of
# crypto · 1h; the newest UNTRADABLE_HOURS forecasts of UNTRADABLE_ASSET (every horizon)
# come from UNTRADABLE_VERSION, a candidate, and are not tradable.
CRYPTO, EQUITIES = "crypto", "us-equities"
FORECAST_MODEL, FORECAST_VERSION = "lightgbm", "seed-1"
UNTRADABLE_VERSION = "seed-2"
UNTRADABLE_ASSET, UNTRADABLE_HOURS = "SPY", 12

Gate = tuple[str, float, float, bool, str]
"""A gate result: name, statistic, threshold, passed, detail."""

PASSED_GATES: tuple[Gate, ...] = (
    ("evidence", 412.0, 60.0, True, "412 resolved forecast dates; 60 needed"),
    ("ic_t", 2.84, 2.0, True, "rank IC +0.0420, bootstrap t 2.84; needs >= 2.00"),
    ("ece", 0.031, 0.05, True, "calibration error 0.0310; needs <= 0.0500"),
    ("deflated_sharpe", 0.97, 0.95, True, "deflated Sharpe 0.970; needs >= 0.95"),
)
FAILED_GATES: tuple[Gate, ...] = (
    ("evidence", 84.0, 60.0, True, "84 resolved forecast dates; 60 needed"),
    ("ic_t", 0.73, 2.0, False, "rank IC +0.0061, bootstrap t 0.73; needs >= 2.00"),
    ("ece", 0.081, 0.05, False, "calibration error 0.0810; needs <= 0.0500"),
    ("deflated_sharpe", 0.41, 0.95, False, "deflated Sharpe 0.410; needs >= 0.95"),
)
FAILED_GATE_LINES = (
    "resolved dates 84 ≥ 60 ✓",
    "IC t 0.73 ≥ 2.00 ✗",
    "ECE 0.081 ≤ 0.050 ✗",
    "deflated Sharpe 0.41 ≥ 0.95 ✗",
)
TOO_FEW_DATES: tuple[Gate, ...] = (
    ("evidence", 12.0, 60.0, False, "12 resolved forecast dates; 60 needed"),
)
SHADOW_PASSED: Gate = ("shadow", 0.12, 0.0, True, "shadow rank IC +0.1200 over 25 dates")
SHADOW_RUNNING: Gate = ("shadow", 8.0, 20.0, False, "8 resolved shadow dates; 20 needed")
SHADOW_RUNNING_LINE = "shadow dates 8 ≥ 20 ✗"

RULE_TEXTS = {
    "candidate": "out-of-sample gates failed",
    "shadow": "out-of-sample gates passed; shadow starts",
    "live": "shadow period passed",
}


@dataclass(frozen=True)
class LifecycleStep:
    """One step of a version's history: the rule's decision, or an operator's transition.

    ``actor`` ``"rule"``: the automatic rule decides ``status`` on ``gates`` (and
    ``shadow``); ``"operator"``: the seeded operator moves the version, giving ``reason``.
    """

    model: str
    version: str
    group: str
    horizon: str
    days_before_end: float
    actor: str
    status: str
    gates: tuple[Gate, ...] = PASSED_GATES
    shadow: Gate | None = None
    reason: str = ""


PROMOTION_REASON = "beat ridge@r1 on 25 shared shadow dates (challenger t 2.41)"
WITHDRAWN_REASON = "recipe withdrawn: look-ahead in its features"

LIFECYCLE: tuple[LifecycleStep, ...] = (
    LifecycleStep("ridge", "r1", CRYPTO, "1h", 40, "rule", "shadow"),
    LifecycleStep("ridge", "r1", CRYPTO, "1h", 30, "rule", "live", shadow=SHADOW_PASSED),
    LifecycleStep(FORECAST_MODEL, FORECAST_VERSION, CRYPTO, "1h", 20, "rule", "shadow"),
    LifecycleStep(FORECAST_MODEL, FORECAST_VERSION, CRYPTO, "1h", 10, "operator", "live",
                  reason=PROMOTION_REASON),
    LifecycleStep("lightgbm", "l4-1", CRYPTO, "4h", 36, "rule", "shadow"),
    LifecycleStep("lightgbm", "l4-1", CRYPTO, "4h", 30, "rule", "live", shadow=SHADOW_PASSED),
    LifecycleStep("lightgbm", "l4-2", CRYPTO, "4h", 14, "rule", "shadow"),
    LifecycleStep("lightgbm", "l4-2", CRYPTO, "4h", 7, "rule", "live", shadow=SHADOW_PASSED),
    LifecycleStep("arima", "c1", CRYPTO, "1d", 25, "operator", "retired",
                  reason=WITHDRAWN_REASON),
    LifecycleStep("arima", "c2", CRYPTO, "1d", 3, "rule", "candidate", gates=TOO_FEW_DATES),
    LifecycleStep("ridge", "e1", EQUITIES, "1d", 45, "rule", "shadow"),
    LifecycleStep("ridge", "e1", EQUITIES, "1d", 35, "rule", "live", shadow=SHADOW_PASSED),
    LifecycleStep("lightgbm", "e2", EQUITIES, "1d", 6, "rule", "shadow"),
    LifecycleStep("lightgbm", "e2", EQUITIES, "1d", 2, "rule", "shadow", shadow=SHADOW_RUNNING),
    LifecycleStep(FORECAST_MODEL, UNTRADABLE_VERSION, EQUITIES, "1h", 1, "rule", "candidate",
                  gates=FAILED_GATES),
)  # fmt: skip

# After the seed: the champion of each asset group and horizon (None: nothing trades).
CHAMPIONS = {
    (CRYPTO, "1h"): f"{FORECAST_MODEL}@{FORECAST_VERSION}",
    (CRYPTO, "4h"): "lightgbm@l4-2",
    (CRYPTO, "1d"): None,
    (EQUITIES, "1h"): None,
    (EQUITIES, "1d"): "ridge@e1",
}
# Rolled back by the page tests (AppTest) and by the browser test: each its own pair.
ROLLBACK_PAIR, ROLLBACK_PREVIOUS = (CRYPTO, "4h"), "lightgbm@l4-1"
BROWSER_ROLLBACK_PAIR, BROWSER_ROLLBACK_PREVIOUS = (CRYPTO, "1h"), "ridge@r1"
# A first champion: nothing to roll back to.
FIRST_CHAMPION_PAIR = (EQUITIES, "1d")
# Moved by the operator's status change test.
TRANSITION_VERSION = "arima@c2"


def final_statuses() -> dict[str, str]:
    """Every seeded version's status after the seed: its last step's (the rule's or operator's).

    A rule's live decision retires the champion it replaces, so that one's status is
    retired however its last step reads.
    """
    statuses: dict[str, str] = {}
    for step in LIFECYCLE:
        name = f"{step.model}@{step.version}"
        if step.status == "live":
            for other, status in statuses.items():
                if status == "live" and _pair_of(other) == (step.group, step.horizon):
                    statuses[other] = "retired"
        statuses[name] = step.status
    return statuses


def _pair_of(name: str) -> tuple[str, str]:
    model, version = name.split("@")
    step = next(s for s in LIFECYCLE if (s.model, s.version) == (model, version))
    return step.group, step.horizon
