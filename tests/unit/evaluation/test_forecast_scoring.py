"""Forecast scores and the sizing-rule backtest against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engines.forecast.metrics import forecast_quality, reliability_table
from engines.forecast.strategy import buy_and_hold, every_forecast, next_bar_returns, simulate


def _forecasts() -> pd.DataFrame:
    times = pd.date_range("2020-01-01 16:00", periods=4, freq="D")
    return pd.DataFrame(
        {
            "symbol": ["A"] * 4 + ["B"] * 4,
            "time": list(times) * 2,
            "prediction": [0.01, -0.01, 0.02, 0.01, -0.01, 0.01, 0.01, -0.02],
            "confidence": [0.6, 0.55, 0.45, 0.7, 0.65, 0.5, 0.52, 0.58],
            "forward_return": [0.02, 0.01, 0.01, -0.01, -0.03, 0.02, np.nan, -0.01],
            "next_return": [0.02, 0.01, 0.01, -0.01, -0.03, 0.02, np.nan, -0.01],
        }
    )


def test_quality_scores_match_hand_computation() -> None:
    frame = _forecasts()
    quality = forecast_quality(frame)
    scored = frame.dropna(subset=["forward_return"])
    hits = np.array([1, 0, 1, 0, 1, 1, 1], dtype=float)
    assert quality.n == 7
    assert quality.hit_rate == pytest.approx(hits.mean())
    assert quality.brier == pytest.approx(np.mean((scored["confidence"].to_numpy() - hits) ** 2))
    assert quality.ic == pytest.approx(
        np.corrcoef(scored["prediction"], scored["forward_return"])[0, 1]
    )
    assert quality.rank_ic == pytest.approx(
        scored["prediction"].rank().corr(scored["forward_return"].rank())
    )
    assert len(quality.reliability) == 10
    assert sum(row.count for row in quality.reliability) == 7
    # confidences 0.6 and 0.65 fall in bin 6; 0.5, 0.52, 0.55, 0.58 in bin 5
    table = reliability_table(scored["confidence"].to_numpy(), hits)
    assert table[6].count == 2
    assert table[5].count == 3
    assert table[5].hit_rate == pytest.approx(2 / 3)
    assert quality.ece is not None
    assert quality.ece == pytest.approx(
        sum(r.count * abs(r.mean_confidence - r.hit_rate) for r in table if r.count) / 7
    )


def test_sizing_rule_backtest() -> None:
    frame = _forecasts()
    result = simulate(frame, entry_confidence=0.54, periods_per_year=252)
    # positions A: +1, -1, 0, +1 ; B: -1, 0, (nan row dropped), -1
    pnl_a = [0.02, -0.01, 0.0, -0.01]
    pnl_b = [0.03, 0.0, 0.01]
    portfolio = [
        np.mean([pnl_a[0], pnl_b[0]]),
        np.mean([pnl_a[1], pnl_b[1]]),
        pnl_a[2],
        np.mean([pnl_a[3], pnl_b[2]]),
    ]
    assert result.strategy.total_return == pytest.approx(np.prod(1 + np.array(portfolio)) - 1)
    assert result.share_invested == pytest.approx(5 / 7)
    assert result.turnover > 0
    flat = simulate(frame, entry_confidence=0.99, periods_per_year=252)
    assert flat.share_invested == 0.0
    assert flat.strategy.total_return == 0.0
    hold = buy_and_hold(frame, periods_per_year=252)
    expected = [np.mean([0.02, -0.03]), np.mean([0.01, 0.02]), 0.01, np.mean([-0.01, -0.01])]
    assert hold.total_return == pytest.approx(np.prod(1 + np.array(expected)) - 1)


def test_rows_that_are_not_tradable_hold_no_position() -> None:
    frame = _forecasts()
    # Only A's rows may trade: B's positions (-1, 0, -1) are dropped.
    gated = frame.assign(tradable=frame["symbol"] == "A")
    result = simulate(gated, entry_confidence=0.54, periods_per_year=252)
    pnl_a = [0.02, -0.01, 0.0, -0.01]
    portfolio = [pnl_a[0] / 2, pnl_a[1] / 2, pnl_a[2], pnl_a[3] / 2]
    assert result.strategy.total_return == pytest.approx(np.prod(1 + np.array(portfolio)) - 1)
    assert result.share_invested == pytest.approx(3 / 7)
    # A frame without the column, and every_forecast, trade every row.
    ungated = simulate(every_forecast(gated), entry_confidence=0.54, periods_per_year=252)
    plain = simulate(frame, entry_confidence=0.54, periods_per_year=252)
    assert ungated == plain
    assert plain.share_invested == pytest.approx(5 / 7)
    none = simulate(frame.assign(tradable=False), entry_confidence=0.54, periods_per_year=252)
    assert none.share_invested == 0.0
    assert none.strategy.total_return == 0.0
    assert none.to_dict()["sharpe"] == 0.0  # flat all along: Sharpe 0, not undefined


def test_next_bar_returns_skip_missing_bars() -> None:
    close = pd.Series([100.0, np.nan, 110.0, 99.0])
    returns = next_bar_returns(close)
    assert returns.loc[0] == pytest.approx(0.1)
    assert returns.loc[2] == pytest.approx(-0.1)
    assert np.isnan(returns.loc[3])
