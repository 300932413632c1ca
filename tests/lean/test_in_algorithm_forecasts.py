"""The forecasting core run inside the algorithm on LEAN-shaped history (no look-ahead)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from alpha_models.lean.forecast_alpha import ForecastAlphaModel
from alpha_models.lean.forecast_sources import InAlgorithmForecastSource
from alpha_models.lean.in_algorithm_forecasts import frames_from_history
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer
from risk_models.settings import StrategySettings
from signal_bus.horizon import Horizon
from tests.lean.lean_model.algorithm_imports import QCAlgorithm, Slice


def _lean_history() -> pd.DataFrame:
    from market_data.bundled import load_bundled_daily

    pieces = []
    for ticker, frame in load_bundled_daily(["AAPL", "MSFT"]).items():
        bars = frame.loc["2004-01-01":"2006-12-31", ["open", "high", "low", "close", "volume"]]
        # LEAN indexes history by (symbol, bar end time).
        index = pd.MultiIndex.from_arrays(
            [[ticker] * len(bars), pd.DatetimeIndex(frame.loc[bars.index, "end_time"])],
            names=["symbol", "time"],
        )
        pieces.append(bars.set_axis(index))
    return pd.concat(pieces).sort_index()


def _trainer() -> WalkForwardTrainer:
    config = WalkForwardConfig(
        horizon=Horizon("1d"),
        model="sklearn",
        retrain_frequency="quarterly",
        minimum_training_rows=300,
    )
    return WalkForwardTrainer(config)


def test_frames_from_history_use_bar_start_and_end() -> None:
    frames = frames_from_history(_lean_history(), timedelta(hours=16))
    assert sorted(frames) == ["AAPL", "MSFT"]
    aapl = frames["AAPL"]
    assert (aapl["end_time"] - aapl.index == timedelta(hours=16)).all()
    assert aapl.index[0] == pd.Timestamp("2004-01-02")


def test_frames_from_history_rejects_a_frame_without_prices() -> None:
    history = _lean_history().drop(columns=["close"])
    with pytest.raises(ValueError, match="close"):
        frames_from_history(history, timedelta(hours=16))


NEW_YORK = {"AAPL": "America/New_York", "MSFT": "America/New_York"}


def test_frames_from_history_convert_exchange_time_to_utc() -> None:
    # Common/Python/PandasData.cs: history is indexed by end time in exchange time.
    frames = frames_from_history(_lean_history(), timedelta(days=1), NEW_YORK)
    ends = frames["AAPL"]["end_time"]
    assert ends.loc["2004-01-01":"2004-01-03"].iloc[0] == pd.Timestamp("2004-01-02 21:00")
    assert pd.Timestamp("2006-06-01 20:00") in set(ends)  # 16:00 EDT


def test_in_algorithm_source_forecasts_newest_bar_only_from_the_past() -> None:
    history = _lean_history()
    source = InAlgorithmForecastSource(_trainer(), timedelta(days=1))
    # 16:00 New York on 2006-06-01 is 20:00 UTC: that day's bar has just ended.
    now = datetime(2006, 6, 1, 20, 0, tzinfo=UTC)
    forecasts = source.refresh(history, now, NEW_YORK)
    assert sorted(f.asset for f in forecasts) == ["AAPL", "MSFT"]
    newest_bar_end = datetime(2006, 6, 1, 20, 0, tzinfo=UTC)
    assert {f.ts_event for f in forecasts} == {newest_bar_end}
    # A minute earlier the bar had not ended: the forecast is the previous day's.
    earlier = source.refresh(history, now - timedelta(minutes=1), NEW_YORK)
    assert {f.ts_event for f in earlier} == {datetime(2006, 5, 31, 20, 0, tzinfo=UTC)}
    forecasts = source.refresh(history, now, NEW_YORK)
    assert all(0.0 <= f.confidence <= 1.0 for f in forecasts)
    assert all(f.model == "sklearn" and f.model_version for f in forecasts)

    # The alpha model turns them into insights on the modelled algorithm.
    algorithm = QCAlgorithm()
    for ticker in ("AAPL", "MSFT"):
        algorithm.add_equity(ticker)
    algorithm._set_time(datetime(2006, 6, 1, 20, 0))
    alpha = ForecastAlphaModel(source, StrategySettings())
    insights = alpha.update(algorithm, Slice(algorithm.time, [], algorithm.time))
    assert sorted(str(i.symbol) for i in insights) == ["AAPL", "MSFT"]
    assert {i.tag for i in insights} == {f.id for f in forecasts}
