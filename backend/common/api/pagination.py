"""Pagination: page numbers by default, cursors for the large time series."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import CursorPagination, PageNumberPagination

from backend.common.exceptions import InvalidInput


def page_size_read(*, request: Any, default: int, maximum: int) -> int:
    """The ``page_size`` asked for, or ``default``; anything but 1 to ``maximum`` is a 400."""
    raw = request.query_params.get("page_size")
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise InvalidInput(
            field="page_size",
            rule="invalid",
            message=f"must be an integer from 1 to {maximum}, got {raw[:20]!r}",
        )
    return int(raw)


class StandardPagination(PageNumberPagination):
    """Page-number pagination with a client-chosen ``page_size`` of at most 1000."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request: Any) -> int:
        return page_size_read(request=request, default=self.page_size, maximum=self.max_page_size)


class TimeCursorPagination(CursorPagination):
    """Cursor pagination over ``timestamp`` (newest first), stable under concurrent inserts."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("-timestamp", "-id")

    def get_page_size(self, request: Any) -> int:
        return page_size_read(request=request, default=self.page_size, maximum=self.max_page_size)
