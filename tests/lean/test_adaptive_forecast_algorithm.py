"""algorithms/adaptive_forecast/main.py driven through the framework loop on bundled bars."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC
from pathlib import Path
from types import ModuleType

import pandas as pd

from signal_bus.codec import encode
from signal_bus.messages import ForecastUpdate
from tests.lean.fake_lean.algorithm_imports import Slice, TradeBar
from tests.lean.framework_loop import FrameworkLoop

MAIN = Path(__file__).resolve().parents[2] / "algorithms" / "adaptive_forecast" / "main.py"
WEBHOOK = "https://backend.example/api/execution-events"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("adaptive_forecast_main_loop", MAIN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _closes() -> pd.DataFrame:
    from market_data.bundled import load_bundled_daily

    bars = load_bundled_daily(["AAPL", "MSFT"])
    return pd.DataFrame({name: frame["close"] for name, frame in bars.items()}).loc[
        "2010-01-04":"2010-01-15"
    ]


def test_recorded_backtest_in_cloud_live_mode_reports_fills_with_forecast_ids() -> None:
    closes = _closes()
    forecasts = [
        ForecastUpdate.create(
            asset="AAPL",
            horizon="1d",
            prediction=0.004,
            confidence=0.7,
            model="lightgbm",
            model_version="v9",
            now=pd.Timestamp(day).to_pydatetime().replace(tzinfo=UTC),
        )  # fmt: skip
        for day in closes.index[:5]
    ]
    algorithm = _module().AdaptiveForecastAlgorithm()
    algorithm._live_mode = True
    algorithm._parameters = {
        "forecast_source": "recorded",
        "forecasts_location": "adaptive_forecast/forecasts.jsonl",
        "execution_webhook_url": WEBHOOK,
        "snapshot_minutes": "1440",
        "max_allocation": "0.4",
    }
    algorithm.object_store.save(
        "adaptive_forecast/forecasts.jsonl", "\n".join(encode(f).decode() for f in forecasts)
    )
    algorithm.initialize()
    assert algorithm._start_date.date().isoformat() == "2010-01-04"
    loop = FrameworkLoop(
        algorithm,
        algorithm._alpha,
        algorithm._portfolio_construction,
        algorithm._risk_management[0],
        on_order_event=algorithm.on_order_event,
    )
    weights = []
    for day, row in closes.iterrows():
        prices = {"AAPL": float(row["AAPL"]), "MSFT": float(row["MSFT"])}
        loop.step(pd.Timestamp(day).to_pydatetime(), prices)
        algorithm.on_data(
            Slice(
                algorithm.time,
                [TradeBar(algorithm.time, s, p, p, p, p, 0) for s, p in prices.items()],
                algorithm.time,
            )
        )
        holding = algorithm.portfolio[algorithm.assets[0]]
        weights.append(round(holding.holdings_value / algorithm.portfolio.total_portfolio_value, 6))

    # Five daily forecasts with confidence 0.7 > 0.55: 40% in AAPL, then closed when they stop.
    assert weights[:5] == [0.4] * 5
    assert weights[5:] == [0.0] * (len(weights) - 5)
    posted = [json.loads(data) for address, data, _ in algorithm.notify._web if address == WEBHOOK]
    orders = [p for p in posted if p["type"] == "order_event"]
    snapshots = [p for p in posted if p["type"] == "portfolio_snapshot"]
    assert orders[0]["tag"] == forecasts[0].id
    assert {o["tag"] for o in orders} <= {f.id for f in forecasts} | {"no_active_forecast"}
    assert orders[-1]["tag"] == "no_active_forecast"
    assert len(snapshots) == len(closes)
    assert snapshots[0]["holdings"] == {"AAPL": orders[0]["fill_quantity"]}


def test_breaker_rearm_command_is_audited_and_refused_when_incomplete() -> None:
    algorithm = _module().AdaptiveForecastAlgorithm()
    algorithm._parameters = {"forecast_source": "command"}
    algorithm.initialize()
    monitor = algorithm.risk_model.monitor
    parameters = algorithm.risk_model.settings.current
    now = pd.Timestamp("2010-01-05T00:00:00Z").to_pydatetime()
    monitor.evaluate(100_000.0, now, parameters)
    assert monitor.evaluate(80_000.0, now, parameters).state.value == "halted"

    assert algorithm.on_command({"rearm": "drawdown_limit", "by": "operator"}) is False
    assert (
        algorithm.on_command({"rearm": "volatility_spike", "by": "operator", "reason": "x"})
        is False
    )
    assert "drawdown_limit" in monitor.controller.latched
    assert (
        algorithm.on_command({"rearm": "drawdown_limit", "by": "operator", "reason": "reviewed"})
        is True
    )
    assert monitor.controller.latched == {}
    assert monitor.controller.rearms[-1].by == "operator"
    logs = algorithm._logs
    assert sum("breaker_rearm_refused" in line for line in logs) == 2
    assert any("breaker_rearmed breaker=drawdown_limit by=operator" in line for line in logs)
