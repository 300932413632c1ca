"""Reads of orders, fills and portfolio snapshots."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Order, PortfolioSnapshot


def order_list() -> QuerySet[Order]:
    """Every order with its model version, newest first."""
    return (
        Order.objects.select_related("model_version")
        .prefetch_related("fills")
        .order_by("-submitted_at", "-id")
    )


def portfolio_snapshot_list(*, account: str = "live") -> QuerySet[PortfolioSnapshot]:
    """An account's snapshots, oldest first."""
    return PortfolioSnapshot.objects.filter(account=account).order_by("timestamp", "id")


def portfolio_latest(*, account: str = "live") -> PortfolioSnapshot | None:
    """The newest snapshot of an account."""
    return PortfolioSnapshot.objects.filter(account=account).order_by("-timestamp", "-id").first()
