"""API shapes of forecasts, signals and model versions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rest_framework import serializers

from risk_models.promotion import ModelStatus
from signal_bus.horizon import PATTERN as HORIZON_PATTERN

from .models import Forecast, ModelTransition, ModelVersion, Signal


class ForecastOutputSerializer(serializers.ModelSerializer[Forecast]):
    model_version = serializers.SerializerMethodField()

    class Meta:
        model = Forecast
        fields = (
            "id", "message_id", "asset", "horizon", "prediction", "confidence", "timestamp",
            "ts_init", "model", "model_version", "interval_low", "interval_high", "tradable",
        )  # fmt: skip

    def get_model_version(self, forecast: Forecast) -> str | None:
        version = forecast.model_version
        return version.version if version is not None else None


def _time_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def forecast_row_output(row: dict[str, Any]) -> dict[str, Any]:
    """The same JSON as :class:`ForecastOutputSerializer`, from a plain row (``forecast_rows``)."""
    return {
        "id": row["id"],
        "message_id": row["message_id"],
        "asset": row["asset"],
        "horizon": row["horizon"],
        "prediction": row["prediction"],
        "confidence": row["confidence"],
        "timestamp": row["timestamp_text"]
        if "timestamp_text" in row
        else _time_text(row["timestamp"]),
        "ts_init": row["ts_init_text"] if "ts_init_text" in row else _time_text(row["ts_init"]),
        "model": row["model"],
        "model_version": row["model_version_name"],
        "interval_low": row["interval_low"],
        "interval_high": row["interval_high"],
        "tradable": row["tradable"],
    }


class ForecastInputSerializer(serializers.Serializer[dict[str, object]]):
    """One forecast as published on ``forecast_updates`` (documentation of the POST body).

    A list of such objects is accepted too. Validation follows the bus contract.
    """

    id = serializers.CharField(required=False, max_length=64)
    asset = serializers.CharField(max_length=40)
    horizon = serializers.RegexField(HORIZON_PATTERN.pattern)
    prediction = serializers.FloatField()
    confidence = serializers.FloatField(min_value=0.0, max_value=1.0)
    ts_event = serializers.DateTimeField(required=False, help_text="or `timestamp`")
    timestamp = serializers.DateTimeField(required=False)
    ts_init = serializers.DateTimeField(required=False)
    model = serializers.CharField(required=False, allow_blank=True)
    model_version = serializers.CharField(required=False, allow_blank=True)
    interval_low = serializers.FloatField(required=False, allow_null=True)
    interval_high = serializers.FloatField(required=False, allow_null=True)
    tradable = serializers.BooleanField(
        required=False, help_text="false: a non-live version's forecast (stored, never traded)"
    )


class ReceivedSerializer(serializers.Serializer[dict[str, int]]):
    received = serializers.IntegerField()
    stored = serializers.IntegerField(help_text="new messages stored")
    duplicates = serializers.IntegerField(help_text="identical resends of stored messages")
    conflicts = serializers.IntegerField(help_text="other messages under a stored id (409)")


class ConflictSerializer(ReceivedSerializer):
    detail = serializers.CharField()
    conflicting_ids = serializers.ListField(child=serializers.CharField())


class SignalOutputSerializer(serializers.ModelSerializer[Signal]):
    class Meta:
        model = Signal
        fields = (
            "id", "forecast_message_id", "asset", "horizon", "timestamp", "direction",
            "confidence", "strength", "active", "entry_threshold",
        )  # fmt: skip


class SignalLatestQuerySerializer(serializers.Serializer[dict[str, str]]):
    asset = serializers.CharField(required=False, max_length=40)
    horizon = serializers.CharField(required=False, max_length=10)


class AssetOutputSerializer(serializers.Serializer[Any]):
    asset = serializers.CharField()
    horizons = serializers.ListField(child=serializers.CharField())
    oldest = serializers.DateTimeField(help_text="time of the asset's oldest forecast")
    newest = serializers.DateTimeField(help_text="time of the asset's newest forecast")


STATUS_VALUES = [status.value for status in ModelStatus]


class ModelVersionOutputSerializer(serializers.ModelSerializer[ModelVersion]):
    class Meta:
        model = ModelVersion
        fields: tuple[str, ...] = (
            "id", "model", "version", "status", "asset_group", "horizon", "manual",
            "status_changed_at", "created_at", "trained_at",
        )  # fmt: skip


class ModelTransitionOutputSerializer(serializers.ModelSerializer[ModelTransition]):
    # Plain text in the schema: one enum ("Status") for the lifecycle statuses is enough.
    from_status = serializers.CharField(help_text=f"one of {', '.join(STATUS_VALUES)}")
    to_status = serializers.CharField(help_text=f"one of {', '.join(STATUS_VALUES)}")
    replaced = serializers.SerializerMethodField(
        help_text="the champion this transition to live retired (model@version)"
    )

    class Meta:
        model = ModelTransition
        fields = (
            "id", "from_status", "to_status", "actor", "reason", "manual", "created_at",
            "replaced_id", "replaced",
        )  # fmt: skip

    def get_replaced(self, transition: ModelTransition) -> str | None:
        version = transition.replaced
        return str(version) if version is not None else None


class ModelVersionDetailSerializer(ModelVersionOutputSerializer):
    transitions = ModelTransitionOutputSerializer(many=True, read_only=True)
    gates = serializers.JSONField(
        read_only=True, help_text="the automatic rule's latest decision with every gate's numbers"
    )
    metrics = serializers.JSONField(read_only=True, help_text="the walk-forward training record")

    class Meta(ModelVersionOutputSerializer.Meta):
        fields = (*ModelVersionOutputSerializer.Meta.fields, "metrics", "gates", "transitions")


class ModelTransitionInputSerializer(serializers.Serializer[dict[str, str]]):
    status = serializers.ChoiceField(choices=STATUS_VALUES)
    reason = serializers.CharField(max_length=2000, trim_whitespace=True)


class ModelRollbackInputSerializer(serializers.Serializer[dict[str, str]]):
    asset_group = serializers.CharField(
        max_length=100, allow_blank=True, trim_whitespace=False, required=False, default=""
    )
    horizon = serializers.CharField(max_length=10, allow_blank=True, trim_whitespace=False)
    reason = serializers.CharField(max_length=2000, trim_whitespace=True)


class ModelRollbackOutputSerializer(serializers.Serializer[dict[str, ModelVersion]]):
    retired = ModelVersionDetailSerializer(help_text="the champion rolled back")
    restored = ModelVersionDetailSerializer(help_text="the previous champion, live again")
