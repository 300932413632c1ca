"""Query filters for orders."""

from __future__ import annotations

import django_filters

from .models import Order


class OrderFilter(django_filters.FilterSet):
    symbol = django_filters.CharFilter(field_name="symbol")
    status = django_filters.CharFilter(field_name="status")
    account = django_filters.CharFilter(field_name="account")
    since = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = ("symbol", "status", "account", "since", "until")
