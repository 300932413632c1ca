"""Defect 10: the re-arm response says what the row says about publication."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from backend.risk.models import Rearm
from tests.backend.conftest import _private_bus, bus_namespace, client_for, make_user  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)  # publication happens on commit


def test_rearm_response_reports_publication_as_stored(
    client_for: Callable[..., APIClient],  # noqa: F811
) -> None:
    operator = client_for("operator")
    response = operator.post(
        "/api/risk/rearm/", {"breaker": "drawdown_limit", "reason": "reviewed"}, format="json"
    )
    assert response.status_code == 201, response.content
    stored = Rearm.objects.get(pk=response.json()["id"])
    assert stored.published is True
    assert response.json()["published"] is True
