"""API shapes of orders, fills and the portfolio."""

from __future__ import annotations

from rest_framework import serializers

from .models import Fill, Order, PortfolioSnapshot


class FillOutputSerializer(serializers.ModelSerializer[Fill]):
    class Meta:
        model = Fill
        fields = ("message_id", "timestamp", "fill_price", "fill_quantity", "fee")


class OrderOutputSerializer(serializers.ModelSerializer[Order]):
    model = serializers.CharField(source="lineage_model", allow_null=True, read_only=True)
    model_version = serializers.CharField(source="lineage_version", allow_null=True, read_only=True)
    fills = FillOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = (
            "id", "account", "order_id", "symbol", "quantity", "direction", "order_type", "status",
            "tag", "forecast_message_id", "model", "model_version", "filled_quantity",
            "average_fill_price", "submitted_at", "updated_at", "fills",
        )  # fmt: skip


class PortfolioSnapshotOutputSerializer(serializers.ModelSerializer[PortfolioSnapshot]):
    class Meta:
        model = PortfolioSnapshot
        fields = ("message_id", "account", "timestamp", "equity", "cash", "holdings", "drawdown")


class PortfolioOutputSerializer(serializers.Serializer[dict[str, object]]):
    latest = PortfolioSnapshotOutputSerializer(allow_null=True)
    history = PortfolioSnapshotOutputSerializer(many=True)


class ExecutionEventInputSerializer(serializers.Serializer[dict[str, object]]):
    """An order event or a portfolio snapshot as on ``execution_events`` (a list is accepted too)."""

    type = serializers.ChoiceField(choices=["order_event", "portfolio_snapshot"], required=False)
    id = serializers.CharField(required=False, max_length=64)
    ts_event = serializers.DateTimeField(required=False, help_text="or `timestamp`")
    timestamp = serializers.DateTimeField(required=False)
    order_id = serializers.IntegerField(required=False, min_value=0)
    symbol = serializers.CharField(required=False)
    status = serializers.CharField(required=False)
    direction = serializers.ChoiceField(choices=["buy", "sell", "hold"], required=False)
    quantity = serializers.FloatField(required=False)
    fill_price = serializers.FloatField(required=False, min_value=0)
    fill_quantity = serializers.FloatField(required=False)
    fee = serializers.FloatField(required=False)
    tag = serializers.CharField(required=False, allow_blank=True)
    equity = serializers.FloatField(required=False)
    cash = serializers.FloatField(required=False)
    holdings = serializers.DictField(child=serializers.FloatField(), required=False)
    drawdown = serializers.FloatField(required=False, min_value=0, max_value=1)
