"""Alpha -> portfolio construction -> risk management over real bundled daily bars.

AAPL and MSFT, 2000-09-18 .. 2000-10-20: AAPL lost half its value on 2000-09-29,
which trips the drawdown breaker of a book holding half its equity in AAPL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta

import pandas as pd
import pytest

from alpha_models.lean.forecast_alpha import ForecastAlphaModel
from alpha_models.lean.forecast_sources import RecordedForecastSource
from alpha_models.lean.recorded_forecasts import RecordedForecasts
from risk_models.lean.adaptive_risk_management import AdaptiveRiskManagementModel
from risk_models.lean.forecast_sizing_portfolio_construction import (
    ForecastSizingPortfolioConstructionModel,
)
from risk_models.parameters import StrategyParameters
from risk_models.settings import StrategySettings
from risk_models.states import RiskState
from signal_bus.codec import encode
from signal_bus.lean.execution_recorder import ExecutionRecorder
from signal_bus.lean.execution_sinks import MemorySink
from signal_bus.lean.signal_inbox import SignalInbox
from signal_bus.messages import ForecastUpdate, StrategyConfigUpdate
from signal_bus.messages import OrderEvent as OrderEventMessage
from tests.lean.framework_loop import FrameworkLoop, always_open_market
from tests.lean.lean_model.algorithm_imports import QCAlgorithm, Symbol

AAPL, MSFT = Symbol("AAPL"), Symbol("MSFT")
# PortfolioTarget.Percent sizes on the value less the free buffer (AlgorithmSettings
# FreePortfolioValuePercentage = 0.25 %) in whole shares (a share is ~0.1 % here).
INVESTABLE = 1 - 0.0025


def _bundled_closes() -> pd.DataFrame:
    from market_data.bundled import load_bundled_daily

    bars = load_bundled_daily(["AAPL", "MSFT"])
    closes = pd.DataFrame({name: frame["close"] for name, frame in bars.items()})
    return closes.loc["2000-09-18":"2000-10-20"]


def _forecast(
    asset: str, day: pd.Timestamp, prediction: float, confidence: float
) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset=asset,
        horizon="1d",
        prediction=prediction,
        confidence=confidence,
        model="lightgbm",
        model_version="v7",
        now=day.to_pydatetime().replace(tzinfo=UTC),
    )


class Scenario:
    """The loop plus the objects a test inspects."""

    def __init__(self, forecasts: list[ForecastUpdate]) -> None:
        self.closes = _bundled_closes()
        self.algorithm = QCAlgorithm()
        self.algorithm.set_cash(100_000)
        always_open_market(self.algorithm)
        for ticker in ("AAPL", "MSFT"):
            self.algorithm.add_equity(ticker)
        export = "\n".join(encode(forecast).decode() for forecast in forecasts)
        self.settings = StrategySettings(StrategyParameters(max_allocation=0.5))
        self.inbox = SignalInbox()
        self.alpha = ForecastAlphaModel(
            RecordedForecastSource(RecordedForecasts.from_json_lines(export)), self.settings
        )
        self.construction = ForecastSizingPortfolioConstructionModel(self.settings, self.inbox)
        self.risk = AdaptiveRiskManagementModel(self.settings)
        self.sink = MemorySink()
        self.recorder = ExecutionRecorder(self.sink)
        self.loop = FrameworkLoop(
            self.algorithm,
            self.alpha,
            self.construction,
            self.risk,
            on_order_event=lambda event: self.recorder.record_order_event(self.algorithm, event),
        )

    def days(self) -> Iterator[tuple[pd.Timestamp, dict[str, float]]]:
        for day, row in self.closes.iterrows():
            yield pd.Timestamp(day), {"AAPL": float(row["AAPL"]), "MSFT": float(row["MSFT"])}

    def weight(self, symbol: Symbol) -> float:
        holding = self.algorithm.portfolio[symbol]
        return holding.holdings_value / self.algorithm.portfolio.total_portfolio_value


def test_targets_step_by_step_with_breaker_trip_stale_forecast_and_rearm() -> None:
    closes = _bundled_closes()
    days = list(closes.index)
    forecasts = [_forecast("AAPL", day, 0.01, 0.8) for day in days]
    forecasts += [
        _forecast("MSFT", days[0], -0.005, 0.7),  # short
        _forecast("MSFT", days[1], -0.005, 0.7),
        # no MSFT forecast on day 2: yesterday's goes stale -> close
        _forecast("MSFT", days[3], -0.006, 0.49),  # below entry confidence -> stays flat
    ]
    scenario = Scenario(forecasts)
    steps = {}
    weights: dict[pd.Timestamp, dict[Symbol, float]] = {}
    for day, prices in scenario.days():
        if day == pd.Timestamp("2000-10-10"):
            # Re-arming restarts the high-water mark at today's equity (the risk engine's
            # rule, RiskMonitor.rearm), so trading resumes from here.
            scenario.risk.rearm(
                "drawdown_limit",
                reason="reviewed",
                by="operator",
                now=day.to_pydatetime().replace(tzinfo=UTC),
            )
        if day == pd.Timestamp("2000-10-16"):
            scenario.inbox.offer(
                StrategyConfigUpdate.create(
                    key="drawdown_halt_limit",
                    value=0.4,
                    version=1,
                    changed_by="operator",
                    now=day.to_pydatetime().replace(tzinfo=UTC),
                )
            )
        result = scenario.loop.step(day.to_pydatetime(), prices)
        steps[day] = (result, scenario.risk.last_risk)
        weights[day] = {symbol: scenario.weight(symbol) for symbol in (AAPL, MSFT)}

    day0, day1, day2 = days[0], days[1], days[2]
    result, risk = steps[day0]
    assert [i.symbol for i in result.insights] == [AAPL, MSFT]
    assert result.insights[0].tag == forecasts[0].id
    assert result.insights[0].magnitude == pytest.approx(0.01)
    assert result.insights[0].source_model == "lightgbm:v7"
    assert result.insights[0].period == timedelta(days=1)
    assert risk is not None
    assert risk.state is RiskState.ACTIVE
    assert risk.factor == 1.0
    assert weights[day0][AAPL] == pytest.approx(0.5 * INVESTABLE, abs=2e-3)
    assert weights[day0][MSFT] == pytest.approx(-0.5 * INVESTABLE, abs=2e-3)

    result, _ = steps[day1]
    assert result.final["MSFT"] < 0
    assert weights[day1][MSFT] == pytest.approx(-0.5 * INVESTABLE, abs=2e-3)
    result, _ = steps[day2]
    # Day 1's forecast closes exactly at day 2's step, and LEAN keeps an insight active
    # at its close time (Insight.cs IsExpired: CloseTimeUtc < utcTime): still short.
    assert result.final["MSFT"] < 0
    result, _ = steps[days[3]]
    assert [i.symbol for i in result.insights] == [AAPL, MSFT]
    assert result.final["MSFT"] == 0.0, "confidence below entry threshold keeps it closed"

    crash = pd.Timestamp("2000-09-29")
    before = pd.Timestamp("2000-09-28")
    assert steps[before][1].state is RiskState.ACTIVE
    # A 10% drawdown before the crash: the drawdown rule halves the factor, no breaker yet.
    assert steps[before][1].factor == pytest.approx(0.5)
    assert weights[before][AAPL] == pytest.approx(0.25 * INVESTABLE, abs=2e-3)
    result, risk = steps[crash]
    assert risk.state is RiskState.HALTED
    assert risk.factor == 0.0
    assert "drawdown_limit" in risk.reasons
    assert result.final == {"AAPL": 0.0}
    assert weights[crash][AAPL] == 0.0
    # InsightManager.Cancel at the crash: every AAPL insight emitted so far is closed.
    crash_utc = crash.to_pydatetime()
    emitted = [i for day in days if day <= crash for i in steps[day][0].insights]
    assert [i for i in emitted if i.symbol == AAPL and i.is_active(crash_utc)] == []
    # Latched: fresh bullish forecasts keep arriving but nothing is bought.
    rearmed = pd.Timestamp("2000-10-10")
    for day in [d for d in days if crash < d < rearmed]:
        result, risk = steps[day]
        assert risk.state is RiskState.HALTED, day
        assert result.final.get("AAPL", 0.0) == 0.0
        assert result.insights, "forecasts still become insights while halted"
    # Re-armed: the drawdown counts from the new high-water mark and trading resumes.
    result, risk = steps[rearmed]
    assert risk.state is RiskState.ACTIVE
    assert scenario.risk.monitor.drawdown.high_water_mark is not None
    assert weights[rearmed][AAPL] > 0.2
    assert [trip.by for trip in scenario.risk.monitor.controller.rearms] == ["operator"]
    result, risk = steps[pd.Timestamp("2000-10-16")]
    assert scenario.settings.current.drawdown_halt_limit == 0.4
    assert any(
        "strategy_config_applied key=drawdown_halt_limit" in line
        for line in scenario.algorithm._logs
    )

    # Every fill traces back to its forecast.
    order_events = [m for m in scenario.sink.messages if isinstance(m, OrderEventMessage)]
    forecast_ids = {forecast.id for forecast in forecasts}
    opening = [m for m in order_events if m.tag in forecast_ids]
    assert opening
    assert opening[0].tag == forecasts[0].id
    assert {m.tag for m in order_events} <= forecast_ids | {"risk_halted", "no_active_forecast"}


def test_config_change_out_of_range_is_refused_and_old_value_kept() -> None:
    scenario = Scenario([])
    day, prices = next(scenario.days())
    scenario.inbox.offer(
        StrategyConfigUpdate.create(
            key="entry_confidence",
            value=1.5,
            version=1,
            changed_by="operator",
            now=day.to_pydatetime().replace(tzinfo=UTC),
        )
    )
    scenario.loop.step(day.to_pydatetime(), prices)
    assert scenario.settings.current.entry_confidence == StrategyParameters().entry_confidence
    refused = [line for line in scenario.algorithm._logs if "strategy_config_refused" in line]
    assert refused
    assert "key=entry_confidence" in refused[0]
    assert f"kept={StrategyParameters().entry_confidence}" in refused[0]


def test_entry_threshold_change_applies_on_next_step() -> None:
    closes = _bundled_closes()
    days = list(closes.index)[:3]
    scenario = Scenario([_forecast("AAPL", day, 0.02, 0.7) for day in days])
    iterator = scenario.days()
    day, prices = next(iterator)
    assert scenario.loop.step(day.to_pydatetime(), prices).final["AAPL"] > 0
    scenario.inbox.offer(
        StrategyConfigUpdate.create(
            key="entry_confidence",
            value="0.75",
            version=2,
            changed_by="operator",
            now=day.to_pydatetime().replace(tzinfo=UTC) + timedelta(hours=1),
        )
    )
    day, prices = next(iterator)
    assert scenario.loop.step(day.to_pydatetime(), prices).final["AAPL"] == 0.0
    assert scenario.settings.current.entry_confidence == 0.75


def test_gross_exposure_cap_scales_the_book() -> None:
    closes = _bundled_closes()
    day0 = closes.index[0]
    scenario = Scenario([_forecast("AAPL", day0, 0.01, 0.9), _forecast("MSFT", day0, 0.01, 0.9)])
    scenario.settings.apply("gross_exposure_cap", 0.6)
    day, prices = next(scenario.days())
    scenario.loop.step(day.to_pydatetime(), prices)
    assert scenario.weight(AAPL) == pytest.approx(0.3 * INVESTABLE, abs=2e-3)
    assert scenario.weight(MSFT) == pytest.approx(0.3 * INVESTABLE, abs=2e-3)


def test_forecast_below_min_magnitude_gives_flat_insight() -> None:
    closes = _bundled_closes()
    day0 = closes.index[0]
    scenario = Scenario([_forecast("AAPL", day0, 0.0004, 0.9)])
    scenario.settings.apply("min_prediction_magnitude", 0.001)
    day, prices = next(scenario.days())
    result = scenario.loop.step(day.to_pydatetime(), prices)
    assert [int(i.direction) for i in result.insights] == [0]
    assert result.final["AAPL"] == 0.0


def test_recorded_forecast_is_not_visible_before_publication() -> None:
    closes = _bundled_closes()
    day0, day1 = closes.index[0], closes.index[1]
    published_late = ForecastUpdate.create(
        asset="AAPL",
        horizon="1d",
        prediction=0.01,
        confidence=0.9,
        ts_event=day0.to_pydatetime().replace(tzinfo=UTC),
        now=day0.to_pydatetime().replace(tzinfo=UTC) + timedelta(hours=12),
    )
    scenario = Scenario([published_late])
    iterator = scenario.days()
    day, prices = next(iterator)
    assert scenario.loop.step(day.to_pydatetime(), prices).insights == []
    day, prices = next(iterator)
    result = scenario.loop.step(day.to_pydatetime(), prices)
    # Published at day0 12:00, horizon 1d from ts_event: still 0 left at day1 00:00 -> expired.
    assert result.insights == []
    assert day == day1
