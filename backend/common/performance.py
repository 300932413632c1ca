"""Performance of an equity curve: returns, drawdown, and the project's shared statistics.

The summary statistics come from ``engines.evaluation.performance`` (the same numbers the
forecast evaluation and the dashboard report); periods per year are inferred from the
median spacing of the points.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from engines.evaluation.performance import performance_stats

SECONDS_PER_YEAR = 365.25 * 86_400


def performance_from_equity(points: Sequence[tuple[datetime, float]]) -> dict[str, Any]:
    """Equity curve, drawdown and period returns, with CAGR, Sharpe, Sortino, drawdown, volatility."""
    times = [moment for moment, _ in points]
    equity = np.array([value for _, value in points], dtype=float)
    curve = [{"timestamp": moment, "equity": float(value)} for moment, value in points]
    if equity.size == 0:
        return {"equity_curve": [], "drawdown": [], "returns": [], "statistics": {}}
    peaks = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        drawdown = np.where(peaks > 0, 1.0 - equity / peaks, 0.0)
        returns = np.where(equity[:-1] != 0, equity[1:] / equity[:-1] - 1.0, 0.0)
    statistics: dict[str, Any] = {
        "start_equity": float(equity[0]),
        "end_equity": float(equity[-1]),
        "total_return": float(equity[-1] / equity[0] - 1.0) if equity[0] > 0 else None,
        "max_drawdown": float(drawdown.max()),
        "periods": int(returns.size),
    }
    if returns.size >= 1 and bool((equity > 0).all()):
        spacing = float(np.median(np.diff([moment.timestamp() for moment in times])))
        periods_per_year = SECONDS_PER_YEAR / spacing if spacing > 0 else 252.0
        shared = performance_stats(pd.Series(returns), periods_per_year).to_dict()
        statistics.update({key: value for key, value in shared.items() if key != "periods"})
        statistics["periods_per_year"] = periods_per_year
    return {
        "equity_curve": curve,
        "drawdown": [
            {"timestamp": moment, "drawdown": float(value)}
            for moment, value in zip(times, drawdown, strict=True)
        ],
        "returns": [
            {"timestamp": moment, "return": float(value)}
            for moment, value in zip(times[1:], returns, strict=True)
        ],
        "statistics": statistics,
    }
