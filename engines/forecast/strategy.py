"""Backtest of the brief's sizing rule on forecasts, next to buy-and-hold.

The forecast made at a bar's close sets the position held over the next bar:
``sign(prediction)`` when confidence clears the entry threshold, else flat. A forecast
whose ``tradable`` column is false (its model version is not live) sets no position:
only proven models trade. :func:`every_forecast` marks every row tradable, for the
comparison with trading every forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engines.evaluation import PerformanceStats, performance_stats
from risk_models.promotion import tradable_mask
from risk_models.sizing import entry_weights

SWEEP_THRESHOLDS: tuple[float, ...] = tuple(round(0.50 + 0.02 * step, 2) for step in range(16))


@dataclass(frozen=True)
class StrategyResult:
    """The sizing rule's performance at one entry threshold."""

    entry_confidence: float
    strategy: PerformanceStats
    turnover: float
    share_invested: float

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-safe form (turnover is per year, in units of capital).

        A rule that never held a position stayed flat: its Sharpe ratio is 0, not undefined.
        """
        stats = self.strategy.to_dict()
        return {
            "entry_confidence": self.entry_confidence,
            "sharpe": 0.0 if self.share_invested == 0.0 else stats["sharpe"],
            "max_drawdown": stats["max_drawdown"],
            "cagr": stats["cagr"],
            "total_return": stats["total_return"],
            "turnover": self.turnover,
            "share_invested": self.share_invested,
        }


def next_bar_returns(close: pd.Series) -> pd.Series:
    """Return, at each bar, the simple return from its close to the next bar's close."""
    clean = close.dropna()
    return (clean.shift(-1) / clean - 1.0).rename("next_return")


def every_forecast(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Return ``forecasts`` with every row tradable (the rule trades every model version)."""
    return forecasts.assign(tradable=True)


def _positions(frame: pd.DataFrame, entry_confidence: float) -> pd.Series:
    values = entry_weights(
        frame["prediction"].to_numpy(dtype=np.float64),
        frame["confidence"].to_numpy(dtype=np.float64),
        entry_confidence=entry_confidence,
    )
    return pd.Series(np.where(tradable_mask(frame), values, 0.0), index=frame.index)


def simulate(
    forecasts: pd.DataFrame, entry_confidence: float, periods_per_year: float
) -> StrategyResult:
    """Run the sizing rule on forecasts of one or more symbols (equal weight across symbols).

    Parameters
    ----------
    forecasts
        Columns ``symbol``, ``time``, ``prediction``, ``confidence``, ``next_return``
        and optionally ``tradable`` (rows where it is false hold no position; without
        the column every row may trade).
    entry_confidence
        Threshold above which the rule trades.
    periods_per_year
        Bars per year, for annualizing.
    """
    frame = forecasts.dropna(subset=["next_return"]).sort_values(["time", "symbol"])
    position = _positions(frame, entry_confidence)
    table = pd.DataFrame(
        {
            "time": frame["time"],
            "symbol": frame["symbol"],
            "position": position,
            "pnl": position * frame["next_return"],
        }
    )
    wide_position = table.pivot(index="time", columns="symbol", values="position")
    wide_pnl = table.pivot(index="time", columns="symbol", values="pnl")
    portfolio = wide_pnl.mean(axis=1)
    changes = wide_position.fillna(0.0).diff().abs()
    if len(changes):
        changes.iloc[0] = wide_position.fillna(0.0).iloc[0].abs()
    years = len(portfolio) / periods_per_year
    turnover = float(changes.mean(axis=1).sum() / years) if years > 0 else 0.0
    invested = float((table["position"] != 0).mean()) if len(table) else 0.0
    return StrategyResult(
        entry_confidence=entry_confidence,
        strategy=performance_stats(portfolio, periods_per_year),
        turnover=turnover,
        share_invested=invested,
    )


def buy_and_hold(forecasts: pd.DataFrame, periods_per_year: float) -> PerformanceStats:
    """Return the statistics of holding every symbol (equal weight) over the same bars."""
    frame = forecasts.dropna(subset=["next_return"])
    wide = frame.pivot(index="time", columns="symbol", values="next_return").sort_index()
    return performance_stats(wide.mean(axis=1), periods_per_year)
