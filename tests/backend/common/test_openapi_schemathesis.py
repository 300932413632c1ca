"""Property-based API tests from the live OpenAPI schema: no server errors, responses match the schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_test_connection() -> Iterator[None]:
    """Like Django's test client: requests must not close the test transaction's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def superuser_token(django_user_model: Any) -> str:
    user = django_user_model.objects.create_superuser(
        username="schema-admin", password="a-password-9"
    )
    return str(RefreshToken.for_user(user).access_token)


# Autocommit, as in production: a rejected query must not poison the following requests.
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_schema(case: Any, superuser_token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {superuser_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_without_a_token_never_fails_on_the_server(case: Any) -> None:
    response = case.call(headers={})
    assert response.status_code < 500
    if "/auth/" in case.path:
        return
    # A path parameter that is not an integer matches no route at all: 404 before authentication.
    assert response.status_code == 401 or ("{" in case.path and response.status_code == 404)
