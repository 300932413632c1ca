"""Performance statistics shared by the forecast and risk evaluations and the backend's API."""

from engines.evaluation.performance import (
    EquityPerformance,
    PerformanceStats,
    drawdown_series,
    equity_curve,
    equity_performance,
    performance_stats,
)

__all__ = [
    "EquityPerformance",
    "PerformanceStats",
    "drawdown_series",
    "equity_curve",
    "equity_performance",
    "performance_stats",
]
