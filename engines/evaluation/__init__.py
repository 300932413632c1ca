"""Performance statistics shared by the forecast and risk evaluations."""

from engines.evaluation.performance import (
    PerformanceStats,
    drawdown_series,
    equity_curve,
    performance_stats,
)

__all__ = ["PerformanceStats", "drawdown_series", "equity_curve", "performance_stats"]
