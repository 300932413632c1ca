"""Query filters for forecasts and signals."""

from __future__ import annotations

import django_filters

from .models import Forecast, Signal


class ForecastFilter(django_filters.FilterSet):
    asset = django_filters.CharFilter(field_name="asset")
    horizon = django_filters.CharFilter(field_name="horizon")
    model = django_filters.CharFilter(field_name="model")
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = Forecast
        fields = ("asset", "horizon", "model", "since", "until")


class SignalFilter(django_filters.FilterSet):
    asset = django_filters.CharFilter(field_name="asset")
    horizon = django_filters.CharFilter(field_name="horizon")
    active = django_filters.BooleanFilter(field_name="active")
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = Signal
        fields = ("asset", "horizon", "active", "since", "until")
