"""Query filters for the risk log."""

from __future__ import annotations

import django_filters

from .models import RiskDecision


class RiskDecisionFilter(django_filters.FilterSet):
    state = django_filters.CharFilter(field_name="state")
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = RiskDecision
        fields = ("state", "since", "until")
