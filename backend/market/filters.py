"""Query filters for market bars."""

from __future__ import annotations

import django_filters

from .models import Bar


class BarFilter(django_filters.FilterSet):
    asset = django_filters.CharFilter(field_name="asset")
    interval = django_filters.CharFilter(field_name="interval")
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = Bar
        fields = ("asset", "interval", "since", "until")
