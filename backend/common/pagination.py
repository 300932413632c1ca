"""Pagination: page numbers by default, cursors for the large time series."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination, PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Page-number pagination with a client-chosen ``page_size`` of at most 1000."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class TimeCursorPagination(CursorPagination):
    """Cursor pagination over ``timestamp`` (newest first), stable under concurrent inserts."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("-timestamp", "-id")
