"""Reads of forecasts, signals and model versions (a version's shadow record: ``shadow``)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import CharField, F, Func, Max, Min, Prefetch, Q, QuerySet

from risk_models.promotion import ModelStatus

from .models import Forecast, ModelTransition, ModelVersion, Signal


def forecast_list() -> QuerySet[Forecast]:
    """Every forecast (filter and paginate in the caller)."""
    return Forecast.objects.all()


FORECAST_ROW_FIELDS = (
    "id", "message_id", "asset", "horizon", "prediction", "confidence", "timestamp", "ts_init",
    "model", "model_version_name", "interval_low", "interval_high", "tradable",
)  # fmt: skip


class IsoTimestampText(Func):
    """PostgreSQL renders a timestamp as the API does (``2025-04-05T12:00:00[.ffffff]Z``).

    Only used on PostgreSQL; elsewhere the row formatter falls back to Python.
    """

    output_field = CharField()
    template = (
        "(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        " || CASE WHEN mod(date_part('microseconds', %(expressions)s)::bigint, 1000000) = 0 THEN ''"
        " ELSE to_char(%(expressions)s AT TIME ZONE 'UTC', '.US') END || 'Z')"
    )


def forecast_rows() -> QuerySet[Forecast, dict[str, Any]]:
    """Forecasts as plain rows (no model instances), with the model version's name; for large pages.

    On PostgreSQL the timestamps also come as ready-made text (``timestamp_text``, ``ts_init_text``).
    """
    rows = Forecast.objects.annotate(model_version_name=F("model_version__version"))
    if connection.vendor != "postgresql":
        return rows.values(*FORECAST_ROW_FIELDS)
    return rows.annotate(
        timestamp_text=IsoTimestampText("timestamp"), ts_init_text=IsoTimestampText("ts_init")
    ).values(*FORECAST_ROW_FIELDS, "timestamp_text", "ts_init_text")


def forecast_by_message_id(*, message_id: str) -> Forecast | None:
    """The forecast published with ``message_id``, if stored."""
    return Forecast.objects.filter(message_id=message_id).select_related("model_version").first()


def signal_list() -> QuerySet[Signal]:
    """Every signal, newest first."""
    return Signal.objects.order_by("-timestamp", "-id")


def model_version_list() -> QuerySet[ModelVersion]:
    """Every model version (filter and paginate in the caller)."""
    return ModelVersion.objects.order_by("model", "version", "id")


def model_version_detail(*, version_id: int) -> ModelVersion | None:
    """One model version with its transitions (oldest first), or ``None``."""
    return (
        ModelVersion.objects.prefetch_related(
            Prefetch(
                "transitions",
                queryset=ModelTransition.objects.select_related("replaced").order_by(
                    "created_at", "id"
                ),
            )
        )
        .filter(pk=version_id)
        .first()
    )


def model_version_champions() -> list[ModelVersion]:
    """The live version of every asset group and horizon, sorted by group then horizon."""
    return list(
        ModelVersion.objects.filter(status=ModelStatus.LIVE.value).order_by(
            "asset_group", "horizon"
        )
    )


def signal_latest(*, asset: str | None = None, horizon: str | None = None) -> list[Signal]:
    """The newest signal of every (asset, horizon) pair, sorted by asset then horizon.

    Two queries: the newest time per pair, then the rows at those times (the highest id
    wins a tie).
    """
    signals = Signal.objects.all()
    if asset:
        signals = signals.filter(asset=asset)
    if horizon:
        signals = signals.filter(horizon=horizon)
    newest = list(signals.values("asset", "horizon").annotate(newest=Max("timestamp")).order_by())
    if not newest:
        return []
    condition = Q()
    for pair in newest:
        condition |= Q(asset=pair["asset"], horizon=pair["horizon"], timestamp=pair["newest"])
    latest: dict[tuple[str, str], Signal] = {}
    for signal in signals.filter(condition).order_by("id"):
        latest[(signal.asset, signal.horizon)] = signal
    return [latest[pair] for pair in sorted(latest)]


def asset_catalog() -> list[dict[str, Any]]:
    """Every asset with forecasts: its horizons and the time of its newest forecast."""
    pairs = (
        Forecast.objects.values("asset", "horizon")
        .annotate(newest=Max("timestamp"), oldest=Min("timestamp"))
        .order_by("asset", "horizon")
    )
    assets: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        entry = assets.setdefault(
            pair["asset"],
            {
                "asset": pair["asset"],
                "horizons": [],
                "oldest": pair["oldest"],
                "newest": pair["newest"],
            },
        )
        entry["horizons"].append(pair["horizon"])
        entry["oldest"] = min(entry["oldest"], pair["oldest"])
        entry["newest"] = max(entry["newest"], pair["newest"])
    return list(assets.values())
