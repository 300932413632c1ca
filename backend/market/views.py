"""Market bar endpoint."""

from __future__ import annotations

from typing import Any

from rest_framework import generics

from backend.common.pagination import TimeCursorPagination

from .filters import BarFilter
from .selectors import bar_list
from .serializers import BarOutputSerializer


class BarListView(generics.ListAPIView):
    """List OHLCV bars (``timestamp`` is the bar's end), newest first, cursor pagination."""

    serializer_class = BarOutputSerializer
    filterset_class = BarFilter
    pagination_class = TimeCursorPagination

    def get_queryset(self) -> Any:
        return bar_list()
