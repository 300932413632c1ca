"""Defect 8: a server race is never a client error, and no database text reaches a client."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection
from rest_framework.test import APIClient

from backend.common.api.exceptions import api_exception_handler
from backend.strategy import services as strategy_services
from backend.strategy.models import StrategyConfig, StrategyConfigChange
from tests.backend import conftest as backend_fixtures

# The backend suite's fixtures: users per role with JWT clients, a private bus namespace.
_private_bus, bus_namespace = backend_fixtures._private_bus, backend_fixtures.bus_namespace
make_user, client_for = backend_fixtures.make_user, backend_fixtures.client_for


def _put_concurrently(clients: list[APIClient], bodies: list[dict[str, Any]]) -> list[Any]:
    responses: list[Any] = [None] * len(clients)

    def put(index: int) -> None:
        try:
            responses[index] = clients[index].put(
                "/api/strategy/config/", bodies[index], format="json"
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=put, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.mark.django_db(transaction=True)
def test_two_first_time_puts_of_one_key_both_succeed_in_order(
    client_for: Callable[..., APIClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hold each request just before it writes, until both have read the (missing) row: the
    # interleaving that made one of them fail with PostgreSQL's duplicate-key text.
    barrier = threading.Barrier(2)
    real_row_apply = strategy_services._row_apply

    def row_apply_after_both_read(**kwargs: Any) -> Any:
        # A broken barrier: the other request is (correctly) waiting for this one's lock.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return real_row_apply(**kwargs)

    monkeypatch.setattr(strategy_services, "_row_apply", row_apply_after_both_read)
    clients = [client_for("operator"), client_for("operator")]
    for client in clients:
        client.raise_request_exception = False
    bodies = [
        {"values": {"entry_confidence": 0.61}, "reason": "first"},
        {"values": {"entry_confidence": 0.63}, "reason": "second"},
    ]
    responses = _put_concurrently(clients, bodies)
    assert [response.status_code for response in responses] == [200, 200], [
        response.content[:300] for response in responses
    ]
    for response in responses:
        assert "duplicate key" not in response.content.decode()
    versions = sorted(
        StrategyConfigChange.objects.filter(key="entry_confidence").values_list(
            "version", flat=True
        )
    )
    assert versions == [1, 2]
    assert StrategyConfig.objects.get(key="entry_confidence").version == 2


def test_no_database_text_in_an_integrity_error_response() -> None:
    error = IntegrityError(
        'duplicate key value violates unique constraint "config_change_version_unique"\n'
        "DETAIL:  Key (key, version)=(entry_confidence, 1) already exists."
    )
    response = api_exception_handler(error, {})
    assert response is not None
    assert response.status_code == 409
    text = str(response.data)
    assert "constraint" not in text
    assert "Key (" not in text
