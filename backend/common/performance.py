"""Pure performance arithmetic over an equity curve: returns, drawdown, summary statistics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

SECONDS_PER_YEAR = 365.25 * 86_400


def performance_from_equity(points: Sequence[tuple[datetime, float]]) -> dict[str, Any]:
    """Equity curve, drawdown and period returns, with total return, max drawdown and Sharpe.

    The Sharpe ratio is annualised from the median spacing of the points (no risk-free rate).
    """
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
        "total_return": float(equity[-1] / equity[0] - 1.0) if equity[0] else None,
        "max_drawdown": float(drawdown.max()),
        "periods": int(returns.size),
        "sharpe_ratio": None,
    }
    if returns.size >= 2 and float(returns.std(ddof=1)) > 0:
        spacing = float(np.median(np.diff([moment.timestamp() for moment in times])))
        periods_per_year = SECONDS_PER_YEAR / spacing if spacing > 0 else 252.0
        sharpe = float(returns.mean() / returns.std(ddof=1) * math.sqrt(periods_per_year))
        statistics["sharpe_ratio"] = sharpe if math.isfinite(sharpe) else None
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
