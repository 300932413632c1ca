"""The filter backend of the API: a filter value it cannot apply is a 400 naming the parameter.

django-filter reads ``active=maybe`` as "no filter" and hands far times (``9999-12-31T23:59:59-23:00``)
to the database, which refuses them with its own message; both are refused here instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation

from backend.common.exceptions import InvalidInput
from backend.common.validation import timestamp_range_check

BOOLEAN_VALUES = frozenset({"true", "false", "1", "0"})


class StrictFilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` that refuses unreadable booleans and times out of range."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        for name, declared in filterset.filters.items():
            raw = request.query_params.get(name)
            if (
                raw
                and isinstance(declared, django_filters.BooleanFilter)
                and raw.strip().lower() not in BOOLEAN_VALUES
            ):
                raise InvalidInput(
                    field=name, rule="invalid", message=f"must be true or false, got {raw[:20]!r}"
                )
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        for name, value in filterset.form.cleaned_data.items():
            if isinstance(value, datetime):
                timestamp_range_check(value=value, field=name)
        return filterset.qs
