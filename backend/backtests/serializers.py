"""API shapes of imported backtests and of performance."""

from __future__ import annotations

from rest_framework import serializers

from .models import BacktestEquityPoint, BacktestOrder, BacktestRun


class BacktestSummaryOutputSerializer(serializers.ModelSerializer[BacktestRun]):
    order_count = serializers.IntegerField(read_only=True)
    equity_point_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = BacktestRun
        fields = (
            "id", "name", "source_format", "imported_at", "imported_by", "started_at", "ended_at",
            "statistics", "order_count", "equity_point_count",
        )  # fmt: skip


class BacktestOrderOutputSerializer(serializers.ModelSerializer[BacktestOrder]):
    class Meta:
        model = BacktestOrder
        fields = (
            "order_id",
            "symbol",
            "time",
            "quantity",
            "price",
            "value",
            "order_type",
            "status",
            "direction",
            "tag",
        )


class EquityPointOutputSerializer(serializers.ModelSerializer[BacktestEquityPoint]):
    class Meta:
        model = BacktestEquityPoint
        fields = ("timestamp", "equity")


class BacktestDetailOutputSerializer(serializers.ModelSerializer[BacktestRun]):
    orders = BacktestOrderOutputSerializer(many=True, read_only=True)
    equity_curve = EquityPointOutputSerializer(many=True, read_only=True, source="equity_points")

    class Meta:
        model = BacktestRun
        fields = (
            "id", "name", "source_format", "imported_at", "imported_by", "started_at", "ended_at",
            "statistics", "runtime_statistics", "total_performance", "algorithm_configuration",
            "equity_curve", "orders",
        )  # fmt: skip


class BacktestImportInputSerializer(serializers.Serializer[dict[str, object]]):
    """A LEAN result wrapped with a name; a bare LEAN result (name from ``?name=``) works too."""

    name = serializers.CharField(max_length=200)
    result = serializers.DictField(help_text="the LEAN result JSON (camelCase or PascalCase)")


class PerformanceQuerySerializer(serializers.Serializer[dict[str, object]]):
    backtest = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    account = serializers.CharField(required=False, default="live", max_length=60)


class _PointSerializer(serializers.Serializer[dict[str, object]]):
    timestamp = serializers.DateTimeField()


class _EquitySerializer(_PointSerializer):
    equity = serializers.FloatField()


class _DrawdownSerializer(_PointSerializer):
    drawdown = serializers.FloatField()


class _ReturnSerializer(_PointSerializer):
    # "return" is a keyword, so the field is declared under another name and renamed.
    period_return = serializers.FloatField(source="return")

    def to_representation(self, instance: dict[str, object]) -> dict[str, object]:
        data = super().to_representation(instance)
        data["return"] = data.pop("period_return")
        return data


class PerformanceOutputSerializer(serializers.Serializer[dict[str, object]]):
    # An output field named like Field.source, which DRF allows on serializers.
    source = serializers.ChoiceField(choices=["live", "backtest"])  # type: ignore[assignment]
    backtest_id = serializers.IntegerField(allow_null=True)
    equity_curve = _EquitySerializer(many=True)
    drawdown = _DrawdownSerializer(many=True)
    returns = serializers.ListField(child=serializers.DictField())
    statistics = serializers.DictField()
    lean_statistics = serializers.DictField()
