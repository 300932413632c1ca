"""API shapes of the risk endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from risk_models.breakers import BREAKER_STATES

from .models import Rearm, RiskDecision


class RiskDecisionOutputSerializer(serializers.ModelSerializer[RiskDecision]):
    class Meta:
        model = RiskDecision
        fields = (
            "id",
            "message_id",
            "timestamp",
            "ts_init",
            "risk_factor",
            "state",
            "reasons",
            "inputs",
        )


class BreakerOutputSerializer(serializers.Serializer[dict[str, object]]):
    name = serializers.CharField()
    state = serializers.CharField()
    reason = serializers.CharField()
    changed_at = serializers.DateTimeField()


class RiskCurrentOutputSerializer(serializers.Serializer[dict[str, object]]):
    risk_factor = serializers.FloatField(allow_null=True)
    state = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    inputs = serializers.DictField(child=serializers.FloatField())
    timestamp = serializers.DateTimeField(allow_null=True)
    breakers = BreakerOutputSerializer(many=True)


class RearmInputSerializer(serializers.Serializer[dict[str, str]]):
    breaker = serializers.ChoiceField(choices=sorted(BREAKER_STATES))
    reason = serializers.CharField(max_length=2000, trim_whitespace=True)


class RearmOutputSerializer(serializers.ModelSerializer[Rearm]):
    requested_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Rearm
        fields = (
            "id",
            "breaker",
            "reason",
            "requested_by",
            "requested_at",
            "message_id",
            "published",
        )
