"""Reads of orders, fills and portfolio snapshots."""

from __future__ import annotations

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from backend.forecasts.models import Forecast

from .models import Order, PortfolioSnapshot


def order_list() -> QuerySet[Order]:
    """Every order, newest first, with its lineage: the model and version behind its forecast.

    The model version comes from the order's own link, else from the forecast named by the
    order tag (an order may be recorded before its forecast).
    """
    behind = Forecast.objects.filter(message_id=OuterRef("forecast_message_id"))
    return (
        Order.objects.select_related("model_version")
        .prefetch_related("fills")
        .annotate(
            lineage_model=Coalesce(
                F("model_version__model"), Subquery(behind.values("model_version__model")[:1])
            ),
            lineage_version=Coalesce(
                F("model_version__version"), Subquery(behind.values("model_version__version")[:1])
            ),
        )
        .order_by("-submitted_at", "-id")
    )


def portfolio_snapshot_list(*, account: str = "live") -> QuerySet[PortfolioSnapshot]:
    """An account's snapshots, oldest first."""
    return PortfolioSnapshot.objects.filter(account=account).order_by("timestamp", "id")


def portfolio_latest(*, account: str = "live") -> PortfolioSnapshot | None:
    """The newest snapshot of an account."""
    return PortfolioSnapshot.objects.filter(account=account).order_by("-timestamp", "-id").first()
