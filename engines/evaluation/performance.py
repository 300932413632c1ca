"""Return-series statistics: CAGR, Sharpe, Sortino, drawdown, volatility.

Also the performance of a timed equity curve (:func:`equity_performance`), which the
backend serves at ``/api/performance/`` for live trading and imported backtests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import empyrical  # type: ignore[import-untyped]
import numpy as np
import pandas as pd

SECONDS_PER_YEAR = 365.25 * 86_400
# Periods per year assumed when the points share one time (no spacing to infer it from).
DEFAULT_PERIODS_PER_YEAR = 252.0


@dataclass(frozen=True)
class PerformanceStats:
    """Summary of a series of simple per-period returns.

    Attributes
    ----------
    cagr
        Compound annual growth rate.
    sharpe
        Annualized Sharpe ratio (zero risk-free rate); NaN when volatility is zero.
    sortino
        Annualized Sortino ratio; NaN when there is no downside.
    max_drawdown
        Largest peak-to-trough loss of the equity curve, as a positive fraction.
    volatility
        Annualized standard deviation of returns.
    total_return
        Compounded return over the whole series.
    periods
        Number of returns.
    """

    cagr: float
    sharpe: float
    sortino: float
    max_drawdown: float
    volatility: float
    total_return: float
    periods: int

    def to_dict(self) -> dict[str, float | int | None]:
        """Return the statistics with NaN and infinities as ``None`` (JSON-safe)."""
        return {
            key: (None if isinstance(value, float) and not math.isfinite(value) else value)
            for key, value in asdict(self).items()
        }


def _clean(returns: pd.Series) -> pd.Series:
    series = pd.Series(returns, dtype=np.float64)
    if bool(np.isinf(series.to_numpy()).any()):
        raise ValueError("returns must not be infinite")
    if bool((series.dropna() < -1.0).any()):
        raise ValueError("a simple return below -100% is impossible")
    return series.dropna()


def equity_curve(returns: pd.Series, *, start: float = 1.0) -> pd.Series:
    """Return the compounded value of ``start`` invested at each period's end."""
    return start * (1.0 + _clean(returns)).cumprod()


def drawdown_series(equity: pd.Series) -> pd.Series:
    """Return the loss from the running peak at each point, as a positive fraction."""
    values = pd.Series(equity, dtype=np.float64)
    if bool((values <= 0).any()):
        raise ValueError("equity must be positive")
    return 1.0 - values / values.cummax()


def performance_stats(returns: pd.Series, periods_per_year: float) -> PerformanceStats:
    """Summarize simple per-period ``returns`` (NaN periods are dropped).

    Parameters
    ----------
    returns
        Simple returns, one per period.
    periods_per_year
        252 for daily US equity bars, 365 for daily crypto, etc.

    Raises
    ------
    ValueError
        If ``periods_per_year`` is not positive or a return is infinite or below -100%.
    """
    if not periods_per_year > 0:
        raise ValueError("periods_per_year must be positive")
    series = _clean(returns)
    if series.empty:
        nan = float("nan")
        return PerformanceStats(nan, nan, nan, 0.0, nan, 0.0, 0)
    volatility = float(empyrical.annual_volatility(series, annualization=periods_per_year))
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = float(empyrical.sharpe_ratio(series, annualization=periods_per_year))
        sortino = float(empyrical.sortino_ratio(series, annualization=periods_per_year))
    if volatility == 0.0 or not math.isfinite(sharpe):
        sharpe = float("nan")
    if not math.isfinite(sortino):
        sortino = float("nan")
    total = float(np.prod(1.0 + series.to_numpy()) - 1.0)
    years = len(series) / periods_per_year
    cagr = float((1.0 + total) ** (1.0 / years) - 1.0) if total > -1.0 else -1.0
    return PerformanceStats(
        cagr=cagr,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown=max(0.0, float(-empyrical.max_drawdown(series))),
        volatility=volatility,
        total_return=total,
        periods=len(series),
    )


@dataclass(frozen=True)
class EquityPerformance:
    """Drawdown, period returns and summary statistics of a timed equity curve.

    Attributes
    ----------
    drawdown
        Loss from the running peak at each point, as a positive fraction (0 where the
        peak is not positive).
    returns
        Simple return from each point to the next (0 after a zero equity); one fewer
        than the points.
    statistics
        ``start_equity``, ``end_equity``, ``total_return`` (``None`` from a non-positive
        start), ``max_drawdown`` and ``periods``; when there is at least one return and
        every equity is positive, also :func:`performance_stats`' CAGR, Sharpe, Sortino
        and volatility and the ``periods_per_year`` they were annualised with (the returns
        per elapsed year, so snapshots only on trading days count 252 a year, not 365).
        Empty for an empty curve.
    """

    drawdown: tuple[float, ...]
    returns: tuple[float, ...]
    statistics: dict[str, Any]


def equity_performance(times: Sequence[datetime], equity: Sequence[float]) -> EquityPerformance:
    """Return the drawdown, returns and statistics of ``equity`` observed at ``times``.

    Raises
    ------
    ValueError
        If ``times`` and ``equity`` differ in length.
    """
    if len(times) != len(equity):
        raise ValueError("times and equity must have the same length")
    values = np.array(equity, dtype=float)
    if values.size == 0:
        return EquityPerformance(drawdown=(), returns=(), statistics={})
    peaks = np.maximum.accumulate(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        drawdown = np.where(peaks > 0, 1.0 - values / peaks, 0.0)
        returns = np.where(values[:-1] != 0, values[1:] / values[:-1] - 1.0, 0.0)
    statistics: dict[str, Any] = {
        "start_equity": float(values[0]),
        "end_equity": float(values[-1]),
        "total_return": float(values[-1] / values[0] - 1.0) if values[0] > 0 else None,
        "max_drawdown": float(drawdown.max()),
        "periods": int(returns.size),
    }
    if returns.size >= 1 and bool((values > 0).all()):
        # observed periods per elapsed year: daily snapshots on trading days give ~252,
        # where the median spacing (one calendar day) would give 365 and overstate the
        # Sharpe ratio and volatility by sqrt(365 / 252) and understate the years
        elapsed = times[-1].timestamp() - times[0].timestamp()
        periods_per_year = (
            returns.size * SECONDS_PER_YEAR / elapsed if elapsed > 0 else DEFAULT_PERIODS_PER_YEAR
        )
        shared = performance_stats(pd.Series(returns), periods_per_year).to_dict()
        statistics.update({key: value for key, value in shared.items() if key != "periods"})
        statistics["periods_per_year"] = periods_per_year
    return EquityPerformance(
        drawdown=tuple(float(value) for value in drawdown),
        returns=tuple(float(value) for value in returns),
        statistics=statistics,
    )
