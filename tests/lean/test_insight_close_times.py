"""Insights close when their forecast's horizon ends, by LEAN's rules (defect: trading time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alpha_models.lean.forecast_alpha import ForecastAlphaModel
from alpha_models.lean.forecast_sources import RecordedForecastSource
from alpha_models.lean.recorded_forecasts import RecordedForecasts
from risk_models.lean.forecast_sizing_portfolio_construction import (
    ForecastSizingPortfolioConstructionModel,
)
from risk_models.parameters import StrategyParameters
from risk_models.settings import StrategySettings
from signal_bus.messages import ForecastUpdate
from tests.lean.lean_model.algorithm_imports import Insight, QCAlgorithm, Slice, Symbol
from tests.lean.lean_model.market_hours import US_EQUITY

AAPL = Symbol("AAPL")


def _utc(local: datetime) -> datetime:
    return US_EQUITY.to_utc(local).replace(tzinfo=UTC)


def _forecast(made_local: datetime, horizon: str, confidence: float = 0.7) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset="AAPL",
        horizon=horizon,
        prediction=0.01,
        confidence=confidence,
        model="sklearn",
        model_version="v1",
        now=_utc(made_local),
    )


def _emit(
    forecast: ForecastUpdate, at_local: datetime, parameters: StrategyParameters
) -> tuple[QCAlgorithm, list[Insight]]:
    algorithm = QCAlgorithm()
    algorithm.add_equity("AAPL")
    algorithm._set_utc(_utc(at_local))
    algorithm._set_price(AAPL, 100.0)
    source = RecordedForecastSource(RecordedForecasts([forecast]))
    alpha = ForecastAlphaModel(source, StrategySettings(parameters))
    insights = alpha.update(algorithm, Slice(algorithm.time, [], algorithm.utc_time))
    # QCAlgorithm.Framework.cs InitializeInsightFields sets the close time on emission.
    return algorithm, [algorithm._initialize_insight(insight) for insight in insights]


def test_a_ttl_shorter_than_the_horizon_closes_at_wall_clock_time_not_trading_time() -> None:
    # 23 h as a timedelta would be 23 h of open market: Friday 13:00 (see test_lean_model).
    made = datetime(2011, 3, 7, 16, 0)
    parameters = StrategyParameters(forecast_ttl_seconds=23 * 3600)
    _, insights = _emit(_forecast(made, "1d"), made, parameters)
    assert [US_EQUITY.from_utc(i.close_time_utc) for i in insights] == [datetime(2011, 3, 8, 15, 0)]


def test_a_1h_forecast_at_15_30_is_gone_by_the_next_mornings_first_hourly_slice() -> None:
    made = datetime(2011, 3, 7, 15, 30)
    _, insights = _emit(_forecast(made, "1h"), made, StrategyParameters())
    (insight,) = insights
    # 16:30 is after the close: LEAN moves the close to the next open, 09:30 Tuesday.
    assert US_EQUITY.from_utc(insight.close_time_utc) == datetime(2011, 3, 8, 9, 30)
    # The 10:00 hourly slice no longer sees it (a 1 h timedelta would last until 10:00).
    assert insight.is_expired(_utc(datetime(2011, 3, 8, 10, 0)).replace(tzinfo=None))


def test_sizing_keeps_an_insight_at_exactly_its_close_and_drops_it_after() -> None:
    made = datetime(2011, 3, 7, 12, 0)
    algorithm, insights = _emit(_forecast(made, "1h"), made, StrategyParameters())
    construction = ForecastSizingPortfolioConstructionModel(StrategySettings())
    assert construction.create_targets(algorithm, insights)[0].quantity > 0
    close = insights[0].close_time_utc
    algorithm._set_utc(close)  # Insight.IsExpired: CloseTimeUtc < utcTime -> still active
    assert construction.create_targets(algorithm, [])[0].quantity > 0
    algorithm._set_utc(close + timedelta(seconds=1))
    algorithm.portfolio._fill(AAPL, 10, 100.0)
    (target,) = construction.create_targets(algorithm, [])
    assert (target.quantity, target.tag) == (0.0, "no_active_forecast")


def test_update_never_raises_on_a_forecast_about_to_expire() -> None:
    made = datetime(2011, 3, 7, 12, 0)
    at = made + timedelta(hours=1) - timedelta(milliseconds=400)
    _, insights = _emit(_forecast(made, "1h"), at, StrategyParameters())
    assert insights == []
