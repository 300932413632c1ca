"""Return-series statistics: CAGR, Sharpe, Sortino, drawdown, volatility."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import empyrical  # type: ignore[import-untyped]
import numpy as np
import pandas as pd


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
