"""Reads of market bars."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Bar


def bar_list() -> QuerySet[Bar]:
    """Every bar (filter and paginate in the caller)."""
    return Bar.objects.all()
