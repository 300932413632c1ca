"""The demo's generated hourly series and its 1h / 4h walk-forwards (synthetic, labelled so)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ats.demo import pipeline
from ats.demo.config import DemoConfig
from ats.demo.hourly import (
    SESSION_HOURS,
    SYNTHETIC_SYMBOLS,
    SyntheticHourlyConfig,
    generate_bars,
    session_starts,
    write_synthetic_hourly,
)
from ats.demo.report import hourly_table
from engines.risk.replay import ReplayResult
from market_data.bundled import BUNDLED_SYMBOLS
from market_data.lean import read_bars
from signal_bus.messages import ForecastUpdate

DAYS = pd.bdate_range("2012-01-02", "2012-12-31")


def test_bars_cover_the_equity_session_on_the_given_days() -> None:
    starts = session_starts(DAYS[:3])
    assert len(starts) == 3 * len(SESSION_HOURS) == 21
    assert [stamp.hour for stamp in starts[:7]] == [9, 10, 11, 12, 13, 14, 15]
    assert starts.is_monotonic_increasing


def test_bars_are_seeded_consistent_and_about_as_volatile_as_configured() -> None:
    config = SyntheticHourlyConfig()
    starts = session_starts(DAYS)
    bars = generate_bars(starts, config=config, stream=0)
    assert bars.equals(generate_bars(starts, config=config, stream=0))
    assert not bars["close"].equals(generate_bars(starts, config=config, stream=1)["close"])
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["open"].iloc[1:].to_numpy() == bars["close"].iloc[:-1].to_numpy()).all()
    returns = np.log(bars["close"]).diff().dropna()
    annualised = float(returns.std() * np.sqrt(252 * len(SESSION_HOURS)))
    assert 0.15 < annualised < 0.40


def test_the_series_is_written_in_lean_format_ending_on_the_last_trading_day(
    tmp_path: Path,
) -> None:
    written = write_synthetic_hourly(tmp_path, DAYS, config=SyntheticHourlyConfig(months=3))
    assert set(written) == set(SYNTHETIC_SYMBOLS)
    assert not set(SYNTHETIC_SYMBOLS) & set(BUNDLED_SYMBOLS)
    bars = read_bars(
        tmp_path, security_type="equity", market="usa", symbol="SYNTHA", resolution="hour"
    )
    assert len(bars) == written["SYNTHA"]
    assert bars.index[-1] == pd.Timestamp("2012-12-31 15:00")
    assert bars.index[0] >= pd.Timestamp("2012-09-30")
    assert (bars["end_time"] - bars.index == pd.Timedelta(hours=1)).all()


def test_refuses_settings_that_describe_no_series() -> None:
    with pytest.raises(ValueError, match="months"):
        SyntheticHourlyConfig(months=0)
    with pytest.raises(ValueError, match="sum below 1"):
        SyntheticHourlyConfig(persistence=0.95, shock=0.1)


def test_quick_demo_leaves_the_hourly_series_out() -> None:
    assert DemoConfig().hourly
    assert not DemoConfig().quick().hourly


@pytest.mark.slow
def test_hourly_walk_forward_publishes_labelled_4h_forecasts_in_time_order(
    tmp_path: Path,
) -> None:
    config = DemoConfig(data_folder=tmp_path / "data", output_folder=tmp_path / "reports")
    series = pipeline.generate_hourly(config, ("AAPL",))
    assert series.symbols == SYNTHETIC_SYMBOLS
    assert series.last == pd.Timestamp("2013-03-01")
    run = pipeline.hourly_walk_forward(config, series, "4h")
    assert run.report.settings["resolution"] == "hour"
    assert run.forecasts["time"].min() >= series.score_start
    assert set(run.forecasts["horizon"]) == {"4h"}
    # Seeded noise: the engine finds no edge there and no version goes live.
    assert run.report.gates["tradable_share"] == 0.0

    messages = list(pipeline.forecast_messages(run, "key", "4h"))
    assert {message.horizon for message in messages} == {"4h"}
    assert {message.asset for message in messages} == {"SYNTHA", "SYNTHB"}
    assert not any(message.tradable for message in messages)
    daily = dataclasses.replace(run, forecasts=run.forecasts.iloc[:5])
    merged = [
        message
        for message in pipeline.all_messages(daily, _no_risk_runs(), "key", {"4h": run})
        if isinstance(message, ForecastUpdate)
    ]
    assert len(merged) == 5 + len(messages)
    assert [m.ts_event for m in merged] == sorted(m.ts_event for m in merged)

    table = hourly_table(series, {"4h": run})
    assert table.header == ("metric", "4h")
    assert "synthetic, not market data; not traded" in table.title
    assert {row[0]: row[1] for row in table.rows}["Scored forecasts"] == str(run.report.pooled["n"])


def _no_risk_runs() -> pipeline.RiskRuns:
    """Risk runs without a single bar (so only forecasts are published)."""
    times = pd.DatetimeIndex([])
    empty = ReplayResult(
        returns=pd.Series(dtype=float, index=times),
        states=pd.Series(dtype=str, index=times),
        risk_factors=pd.Series(dtype=float, index=times),
        breaker_trips=0,
        reasons=pd.Series(dtype=object, index=times),
        weights=pd.DataFrame(index=times),
        rearms_per_bar=pd.Series(dtype=int, index=times),
    )
    return pipeline.RiskRuns(
        unmanaged=empty,
        managed=empty,
        every_unmanaged=empty,
        every_managed=empty,
        closes=pd.DataFrame(),
        periods_per_year=252.0,
    )
