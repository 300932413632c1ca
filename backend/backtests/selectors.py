"""Reads of imported backtests and of performance (live or one backtest)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from backend.common.performance import performance_from_equity
from backend.execution.selectors import portfolio_snapshot_list

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
