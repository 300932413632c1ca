"""Reads of imported backtests and of performance (live or one backtest)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet

from backend.execution.selectors import portfolio_snapshot_list
from engines.evaluation.performance import equity_performance

from .models import BacktestRun


def backtest_list() -> QuerySet[BacktestRun]:
    """Every imported run, newest first, with its order and point counts."""
    return BacktestRun.objects.annotate(
        order_count=Count("orders", distinct=True),
        equity_point_count=Count("equity_points", distinct=True),
    ).order_by("-imported_at", "-id")


def backtest_get(*, backtest_id: int) -> BacktestRun | None:
    """One run with its orders and equity points prefetched."""
    return (
        BacktestRun.objects.prefetch_related("orders", "equity_points")
        .filter(pk=backtest_id)
        .first()
    )


def performance_from_equity(points: Sequence[tuple[datetime, float]]) -> dict[str, Any]:
    """The ``/api/performance/`` document of an equity curve; the maths is the evaluation engine's."""
    times = [moment for moment, _ in points]
    computed = equity_performance(times, [value for _, value in points])
    return {
        "equity_curve": [{"timestamp": moment, "equity": float(value)} for moment, value in points],
        "drawdown": [
            {"timestamp": moment, "drawdown": value}
            for moment, value in zip(times, computed.drawdown, strict=True)
        ],
        "returns": [
            {"timestamp": moment, "return": value}
            for moment, value in zip(times[1:], computed.returns, strict=True)
        ],
        "statistics": computed.statistics,
    }


def performance_get(
    *, backtest_id: int | None = None, account: str = "live"
) -> dict[str, Any] | None:
    """Performance of a backtest (with LEAN's own statistics) or of live trading; None if no such run."""
    if backtest_id is not None:
        run = BacktestRun.objects.filter(pk=backtest_id).first()
        if run is None:
            return None
        points = list(run.equity_points.order_by("timestamp").values_list("timestamp", "equity"))
        result = performance_from_equity(points)
        result.update(source="backtest", backtest_id=run.pk, lean_statistics=run.statistics)
        return result
    points = list(portfolio_snapshot_list(account=account).values_list("timestamp", "equity"))
    result = performance_from_equity(points)
    result.update(source="live", backtest_id=None, lean_statistics={})
    return result
