"""Query filters for market bars."""

from __future__ import annotations

import django_filters

from .models import Bar, FeedRun, RefusedBar


class BarFilter(django_filters.FilterSet):
    asset = django_filters.CharFilter(field_name="asset")
    interval = django_filters.CharFilter(field_name="interval")
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = Bar
        fields = ("asset", "interval", "since", "until")


class RefusedBarFilter(django_filters.FilterSet):
    feed = django_filters.CharFilter(field_name="feed__name")
    symbol = django_filters.CharFilter(field_name="symbol", lookup_expr="iexact")
    reason = django_filters.CharFilter(field_name="reason")
    resolution = django_filters.CharFilter(field_name="resolution")
    since = django_filters.IsoDateTimeFilter(field_name="seen_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="seen_at", lookup_expr="lt")

    class Meta:
        model = RefusedBar
        fields = ("feed", "symbol", "reason", "resolution", "since", "until")


class FeedRunFilter(django_filters.FilterSet):
    status = django_filters.CharFilter(field_name="status")
    trigger = django_filters.CharFilter(field_name="trigger")

    class Meta:
        model = FeedRun
        fields = ("status", "trigger")
