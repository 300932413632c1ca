"""The bundled daily stock prices: shape, split adjustment, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from market_data.bundled import (
    BUNDLED_SYMBOLS,
    BundledDataError,
    load_bundled_daily,
    split_adjustment,
    split_ratios,
)


def test_default_symbols_and_frame_shape() -> None:
    bars = load_bundled_daily()
    assert tuple(bars) == BUNDLED_SYMBOLS == ("AAPL", "GOOG", "IBM", "MSFT")
    for frame in bars.values():
        assert list(frame.columns) == ["open", "high", "low", "close", "volume", "end_time"]
        assert frame.index.name == "time"
        assert frame.index.is_monotonic_increasing
        assert frame.index.is_unique
        assert (frame.index == frame.index.normalize()).all()
        assert (frame["end_time"] == frame.index + pd.Timedelta(hours=16)).all()
        assert (frame.dtypes.iloc[:5] == np.float64).all()
    assert bars["AAPL"].index[0] == pd.Timestamp("2000-03-01")
    assert bars["AAPL"].index[-1] == pd.Timestamp("2013-03-01")
    assert len(bars["IBM"]) == 3270


def test_split_adjustment_removes_the_split_jumps() -> None:
    raw = load_bundled_daily(["AAPL", "MSFT"], adjustment="none")
    adjusted = load_bundled_daily(["aapl", "msft"])
    # AAPL split 2:1 on 2000-06-21 and 2005-02-28; MSFT 2:1 on 2003-02-18
    for symbol, day in (("AAPL", "2000-06-21"), ("AAPL", "2005-02-28"), ("MSFT", "2003-02-18")):
        raw_return = raw[symbol]["close"].pct_change().loc[day]
        adjusted_return = adjusted[symbol]["close"].pct_change().loc[day]
        assert raw_return < -0.4
        assert abs(adjusted_return) < 0.15
    # the last bar is as traded; before both AAPL splits prices are divided by 4
    assert adjusted["AAPL"]["close"].iloc[-1] == raw["AAPL"]["close"].iloc[-1]
    first = adjusted["AAPL"].iloc[0]
    assert first["close"] == pytest.approx(raw["AAPL"]["close"].iloc[0] / 4)
    assert first["volume"] == pytest.approx(raw["AAPL"]["volume"].iloc[0] * 4)
    np.testing.assert_allclose(
        adjusted["AAPL"]["close"] * adjusted["AAPL"]["volume"],
        raw["AAPL"]["close"] * raw["AAPL"]["volume"],
        rtol=1e-12,
    )


def test_dividend_adjustment_differs_from_split_only_for_dividend_payers() -> None:
    split_only = load_bundled_daily(["IBM", "GOOG"])
    total = load_bundled_daily(["IBM", "GOOG"], adjustment="split_and_dividend")
    # IBM pays dividends: early total-return prices are lower than split-only ones
    assert total["IBM"]["close"].iloc[0] < 0.9 * split_only["IBM"]["close"].iloc[0]
    # GOOG paid none in this period and had no split: both are the raw prices
    np.testing.assert_allclose(total["GOOG"]["close"], split_only["GOOG"]["close"], rtol=1e-9)


def test_split_ratio_detection_on_a_made_up_series() -> None:
    index = pd.date_range("2020-01-01", periods=6)
    close = pd.Series([100.0, 102.0, 34.0, 35.0, 350.0, 351.0], index=index)
    # 3-for-1 split on day 2, 1-for-10 reverse split on day 4, a small dividend on day 5
    factor = np.array([1.0, 1.0, 3.0, 3.0, 0.3, 0.297])
    ratios = split_ratios(close, close * factor)
    assert ratios.tolist() == [1.0, 1.0, 3.0, 1.0, 0.1, 1.0]
    assert split_adjustment(ratios).tolist() == pytest.approx(
        [10 / 3, 10 / 3, 10.0, 10.0, 1.0, 1.0]
    )


def test_unknown_symbol_and_adjustment() -> None:
    with pytest.raises(BundledDataError, match="has no TSLA; available: AAPL, GOOG, IBM, MSFT, FB"):
        load_bundled_daily(["AAPL", "TSLA"])
    with pytest.raises(BundledDataError, match="adjustment must be"):
        load_bundled_daily(adjustment="total")  # type: ignore[arg-type]


def test_short_history_symbol_on_request() -> None:
    bars = load_bundled_daily(["FB"])
    assert bars["FB"].index[0] == pd.Timestamp("2012-05-18")
