"""Audit endpoint."""

from __future__ import annotations

from typing import Any

import django_filters
from rest_framework import generics

from .models import AuditEvent
from .selectors import audit_event_list
from .serializers import AuditEventOutputSerializer


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(field_name="action")
    actor = django_filters.CharFilter(field_name="actor")
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = AuditEvent
        fields = ("action", "actor", "since")


class AuditEventListView(generics.ListAPIView):
    """The audit trail, oldest first, with each row's chain hashes."""

    serializer_class = AuditEventOutputSerializer
    filterset_class = AuditEventFilter

    def get_queryset(self) -> Any:
        return audit_event_list()
