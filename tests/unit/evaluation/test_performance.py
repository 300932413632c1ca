"""Performance statistics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engines.evaluation import drawdown_series, equity_curve, performance_stats


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
