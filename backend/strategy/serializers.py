"""API shapes of the strategy configuration."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import StrategyConfigChange


class ConfigEntryOutputSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    value = serializers.JSONField()
    default = serializers.JSONField()
    value_type = serializers.CharField()
    minimum = serializers.FloatField(allow_null=True)
    maximum = serializers.FloatField(allow_null=True)
    choices = serializers.ListField(child=serializers.CharField())
    unit = serializers.CharField()
    description = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = serializers.CharField()


class ConfigUpdateInputSerializer(serializers.Serializer[dict[str, object]]):
    values = serializers.DictField(child=serializers.JSONField(), allow_empty=False)
    reason = serializers.CharField(max_length=2000)


class ConfigChangeOutputSerializer(serializers.ModelSerializer[StrategyConfigChange]):
    class Meta:
        model = StrategyConfigChange
        fields = (
            "id",
            "key",
            "old_value",
            "new_value",
            "version",
            "changed_by",
            "reason",
            "changed_at",
        )


class ConfigUpdateOutputSerializer(serializers.Serializer[dict[str, object]]):
    changes = ConfigChangeOutputSerializer(many=True)
    config = ConfigEntryOutputSerializer(many=True)
