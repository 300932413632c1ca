"""Performance statistics against hand-computed values."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from engines.evaluation import (
    drawdown_series,
    equity_curve,
    equity_performance,
    performance_stats,
)


def test_statistics_match_hand_computation() -> None:
    returns = pd.Series([0.10, -0.20, 0.05, 0.0, 0.10])
    stats = performance_stats(returns, periods_per_year=5)
    total = 1.1 * 0.8 * 1.05 * 1.0 * 1.1 - 1
    assert stats.total_return == pytest.approx(total)
    assert stats.cagr == pytest.approx(total)  # exactly one year
    assert stats.max_drawdown == pytest.approx(0.2)
    assert stats.volatility == pytest.approx(returns.std(ddof=1) * math.sqrt(5))
    assert stats.sharpe == pytest.approx(returns.mean() / returns.std(ddof=1) * math.sqrt(5))
    assert stats.sortino > 0
    assert stats.periods == 5


def test_equity_and_drawdown_series() -> None:
    equity = equity_curve(pd.Series([0.5, -0.5, 0.5]))
    np.testing.assert_allclose(equity.to_numpy(), [1.5, 0.75, 1.125])
    np.testing.assert_allclose(drawdown_series(equity).to_numpy(), [0.0, 0.5, 0.25])


def test_flat_and_empty_series_are_well_defined() -> None:
    flat = performance_stats(pd.Series([0.0] * 10), periods_per_year=252)
    assert math.isnan(flat.sharpe)
    assert flat.max_drawdown == 0.0
    assert flat.total_return == 0.0
    assert flat.to_dict()["sharpe"] is None
    empty = performance_stats(pd.Series([], dtype=float), periods_per_year=252)
    assert empty.periods == 0


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="periods_per_year"):
        performance_stats(pd.Series([0.01]), periods_per_year=0)
    with pytest.raises(ValueError, match="below -100%"):
        performance_stats(pd.Series([-1.5]), periods_per_year=252)
    with pytest.raises(ValueError, match="infinite"):
        performance_stats(pd.Series([np.inf]), periods_per_year=252)


def test_equity_performance_of_a_timed_curve() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    times = [start + timedelta(days=day) for day in range(4)]
    result = equity_performance(times, [100.0, 110.0, 88.0, 99.0])
    np.testing.assert_allclose(result.drawdown, [0.0, 0.0, 0.2, 0.1])
    np.testing.assert_allclose(result.returns, [0.1, -0.2, 0.125])
    statistics = result.statistics
    assert statistics["start_equity"] == 100.0
    assert statistics["end_equity"] == 99.0
    assert statistics["total_return"] == pytest.approx(-0.01)
    assert statistics["max_drawdown"] == pytest.approx(0.2)
    assert statistics["periods"] == 3
    assert statistics["periods_per_year"] == pytest.approx(365.25)  # daily points
    shared = performance_stats(pd.Series([0.1, -0.2, 0.125]), 365.25)
    assert statistics["sharpe"] == pytest.approx(shared.sharpe)
    assert statistics["cagr"] == pytest.approx(shared.cagr)


def test_snapshots_on_trading_days_are_annualised_per_elapsed_year() -> None:
    # one snapshot per business day for two years: about 261 returns a year, not the 365
    # a median spacing of one calendar day would give
    days = pd.bdate_range("2020-01-01", "2021-12-31", tz="UTC")
    times = [day.to_pydatetime() for day in days]
    generator = np.random.default_rng(4)
    equity = 100.0 * np.cumprod(1.0 + generator.normal(0.0005, 0.01, size=len(times)))
    statistics = equity_performance(times, list(equity)).statistics
    elapsed_years = (times[-1] - times[0]).total_seconds() / (365.25 * 86_400)
    assert statistics["periods_per_year"] == pytest.approx((len(times) - 1) / elapsed_years)
    assert 255 < statistics["periods_per_year"] < 265
    shared = performance_stats(pd.Series(np.diff(equity) / equity[:-1]), 261.0)
    assert statistics["sharpe"] == pytest.approx(shared.sharpe, rel=0.01)
    assert statistics["cagr"] == pytest.approx(
        (equity[-1] / equity[0]) ** (1 / elapsed_years) - 1, rel=0.01
    )


def test_equity_performance_edge_cases() -> None:
    empty = equity_performance([], [])
    assert (empty.drawdown, empty.returns, empty.statistics) == ((), (), {})
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    single = equity_performance([moment], [50.0])
    assert single.returns == ()
    assert "sharpe" not in single.statistics
    zero_start = equity_performance([moment, moment + timedelta(hours=1)], [0.0, 10.0])
    assert zero_start.statistics["total_return"] is None
    assert zero_start.returns == (0.0,)
    assert "sharpe" not in zero_start.statistics  # a non-positive equity: no shared statistics
    with pytest.raises(ValueError, match="same length"):
        equity_performance([moment], [1.0, 2.0])
