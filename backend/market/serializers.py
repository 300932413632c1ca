"""API shape of market bars."""

from __future__ import annotations

from rest_framework import serializers

from .models import Bar


class BarOutputSerializer(serializers.ModelSerializer[Bar]):
    class Meta:
        model = Bar
        fields = ("asset", "interval", "timestamp", "open", "high", "low", "close", "volume")
