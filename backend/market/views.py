"""Market bar endpoint."""

from __future__ import annotations

from typing import Any

from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from backend.common.api.pagination import TimeCursorPagination

from .filters import BarFilter
from .selectors import bar_rows
from .serializers import BarOutputSerializer, bar_row_output


class BarListView(generics.ListAPIView):
    """List OHLCV bars (``timestamp`` is the bar's end), newest first, cursor pagination."""

    serializer_class = BarOutputSerializer
    filterset_class = BarFilter
    pagination_class = TimeCursorPagination

    def get_queryset(self) -> Any:
        return bar_rows()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Rows go straight from the database cursor to JSON: year-long pages stay cheap.
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([bar_row_output(row) for row in page or []])
