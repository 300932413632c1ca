"""The risk monitor and forecasts of model versions that are not live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from risk_models.monitor import RiskMonitor, RiskMonitorConfig
from risk_models.parameters import StrategyParameters

NOW = datetime(2025, 1, 6, 21, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _monitor() -> RiskMonitor:
    monitor = RiskMonitor(RiskMonitorConfig(use_garch=False))
    monitor.on_portfolio(100_000.0, NOW)
    return monitor


def test_an_asset_forecast_only_by_non_live_models_is_named_in_the_reasons() -> None:
    monitor = _monitor()
    parameters = StrategyParameters()
    monitor.on_forecast("AAPL", "1d", 0.01, 0.6, made_at=NOW, horizon_length=DAY)
    monitor.on_forecast("MSFT", "1d", 0.01, 0.9, made_at=NOW, horizon_length=DAY, tradable=False)
    decision = monitor.evaluate(parameters, NOW)
    assert "no live model for MSFT" in decision.reasons
    assert "no live model for AAPL" not in decision.reasons
    # The non-live forecast sets no confidence: only AAPL's counts.
    assert monitor.inputs(parameters, NOW).confidence == 0.6


def test_the_reason_goes_when_a_live_model_forecasts_the_asset_again() -> None:
    monitor = _monitor()
    parameters = StrategyParameters()
    monitor.on_forecast("MSFT", "1d", 0.01, 0.6, made_at=NOW, horizon_length=DAY, tradable=False)
    assert monitor.assets_without_live_model(parameters, NOW) == ["MSFT"]
    monitor.on_forecast("MSFT", "1d", 0.01, 0.6, made_at=NOW + DAY, horizon_length=DAY)
    assert monitor.assets_without_live_model(parameters, NOW + DAY) == []
    assert not any(
        reason.startswith("no live model")
        for reason in monitor.evaluate(parameters, NOW + DAY).reasons
    )


def test_only_live_forecasts_are_scored_for_skill() -> None:
    monitor = _monitor()
    monitor.on_forecast("MSFT", "1d", 0.01, 0.6, made_at=NOW, horizon_length=DAY, tradable=False)
    monitor.on_price("MSFT", 100.0, NOW)
    monitor.on_price("MSFT", 101.0, NOW + DAY)
    assert monitor.skill.score(50).observations == 0


def test_a_shadow_models_forecast_never_displaces_the_live_models() -> None:
    monitor = _monitor()
    parameters = StrategyParameters()
    monitor.on_forecast(
        "AAPL", "1d", 0.01, 0.6, made_at=NOW, horizon_length=DAY, model_version="champion"
    )
    later = NOW + timedelta(minutes=5)
    monitor.on_forecast(
        "AAPL",
        "1d",
        -0.02,
        0.9,
        made_at=later,
        horizon_length=DAY,
        tradable=False,
        model_version="challenger",
    )
    assert monitor.inputs(parameters, later).confidence == 0.6
    assert monitor.assets_without_live_model(parameters, later) == []
    # The champion itself demoted: its own untradable forecast does replace it.
    monitor.on_forecast(
        "AAPL",
        "1d",
        0.01,
        0.6,
        made_at=later,
        horizon_length=DAY,
        tradable=False,
        model_version="champion",
    )
    assert monitor.assets_without_live_model(parameters, later) == ["AAPL"]
