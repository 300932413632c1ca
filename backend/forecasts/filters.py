"""Query filters for forecasts, signals and model versions.

Boolean filters read ``true``, ``false``, ``1`` and ``0`` (``BooleanWidget``; Django's default
widget ignored ``1`` and ``0``, so ``active=1`` used to filter nothing).
"""

from __future__ import annotations

import django_filters
from django_filters.widgets import BooleanWidget

from risk_models.promotion import ModelStatus

from .models import Forecast, ModelVersion, Signal


class ForecastFilter(django_filters.FilterSet):
    asset = django_filters.CharFilter(field_name="asset")
    horizon = django_filters.CharFilter(field_name="horizon")
    model = django_filters.CharFilter(field_name="model")
    tradable = django_filters.BooleanFilter(field_name="tradable", widget=BooleanWidget())
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = Forecast
        fields = ("asset", "horizon", "model", "tradable", "since", "until")


class SignalFilter(django_filters.FilterSet):
    asset = django_filters.CharFilter(field_name="asset")
    horizon = django_filters.CharFilter(field_name="horizon")
    active = django_filters.BooleanFilter(field_name="active", widget=BooleanWidget())
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = Signal
        fields = ("asset", "horizon", "active", "since", "until")


class ModelVersionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        field_name="status", choices=[(status.value, status.value) for status in ModelStatus]
    )
    asset_group = django_filters.CharFilter(field_name="asset_group")
    horizon = django_filters.CharFilter(field_name="horizon")
    model = django_filters.CharFilter(field_name="model")

    class Meta:
        model = ModelVersion
        fields = ("status", "asset_group", "horizon", "model")
