"""The gateway's authentication and roles, over a real socket (issue 19)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from backend.accounts.services import user_tokens_revoke
from backend.updates.config import GatewayLimits
from backend.updates.protocol import CLOSE_AUTH_FAILED, CLOSE_AUTH_TIMEOUT, CLOSE_FORBIDDEN
from signal_bus.channels import EXECUTION_EVENTS, FORECAST_UPDATES, RISK_UPDATES
from signal_bus.redis_bus import RedisBus

from .conftest import forecast
from .gateway import (
    GatewayServer,
    authenticate_and_subscribe,
    close_code,
    fanout_on,
    gateway,
    open_client,
    receive_until,
    send,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
]


def test_no_auth_message_closes_with_4408_and_sends_nothing(
    settings: Any, bus_namespace: str
) -> None:
    limits = GatewayLimits(auth_timeout_s=1.0)
    with (
        gateway(fanout=fanout_on(settings.REDIS_URL, bus_namespace), limits=limits) as server,
        open_client(server.url) as client,
    ):
        code, received = close_code(client)
    assert (code, received) == (CLOSE_AUTH_TIMEOUT, [])


@pytest.mark.parametrize(
    "first_message",
    [
        {"type": "auth", "token": "not-a-jwt"},
        {"type": "auth"},
        {"type": "subscribe", "channels": ["forecast_updates"]},
        "not json at all",
    ],
)
def test_a_missing_or_invalid_token_closes_with_4401_and_sends_nothing(
    live_gateway: GatewayServer, first_message: Any
) -> None:
    with open_client(live_gateway.url) as client:
        client.send(first_message if isinstance(first_message, str) else _json(first_message))
        code, received = close_code(client)
    assert (code, received) == (CLOSE_AUTH_FAILED, [])


def test_expired_and_revoked_tokens_are_refused_like_the_rest_api(
    live_gateway: GatewayServer, make_user: Callable[..., Any]
) -> None:
    user = make_user("viewer")
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(minutes=1))
    refresh_token = RefreshToken.for_user(user).access_token
    refresh_str = str(RefreshToken.for_user(user))  # a refresh token is not an access token
    for token in (str(expired), refresh_str):
        with open_client(live_gateway.url) as client:
            send(client, {"type": "auth", "token": token})
            assert close_code(client) == (CLOSE_AUTH_FAILED, [])
    user_tokens_revoke(user=user, reason="test")  # a password change, a logout everywhere
    with open_client(live_gateway.url) as client:
        send(client, {"type": "auth", "token": str(refresh_token)})
        assert close_code(client) == (CLOSE_AUTH_FAILED, [])


def test_a_user_without_a_role_is_closed_with_4403(
    live_gateway: GatewayServer, token_for: Callable[..., str]
) -> None:
    with open_client(live_gateway.url) as client:
        send(client, {"type": "auth", "token": token_for()})
        assert close_code(client) == (CLOSE_FORBIDDEN, [])


@pytest.mark.parametrize("role", ["viewer", "operator", "service"])
def test_every_role_reads_forecasts_and_risk(
    live_gateway: GatewayServer, token_for: Callable[..., str], publisher: RedisBus, role: str
) -> None:
    with open_client(live_gateway.url) as client:
        subscribed = authenticate_and_subscribe(
            client, token_for(role), channels=[FORECAST_UPDATES, RISK_UPDATES]
        )
        assert subscribed["type"] == "subscribed"
        assert subscribed["channels"] == [FORECAST_UPDATES, RISK_UPDATES]
        sent = forecast("BTCUSD")
        publisher.publish(sent)
        frames = receive_until(client, lambda frame: frame["type"] == "message")
    assert frames[-1]["channel"] == FORECAST_UPDATES
    assert frames[-1]["data"]["id"] == sent.id


def test_execution_events_can_be_narrowed_and_a_refused_viewer_stays_connected(
    settings: Any, bus_namespace: str, token_for: Callable[..., str], publisher: RedisBus
) -> None:
    # every role reads orders on the REST API, so by default on the socket too; a
    # deployment may narrow it (UPDATES_EXECUTION_ROLES=operator,service)
    narrowed = GatewayLimits(
        auth_timeout_s=3.0,
        rate_per_second=20.0,
        burst=50,
        execution_roles=frozenset({"operator", "service"}),
    )
    with (
        gateway(fanout=fanout_on(settings.REDIS_URL, bus_namespace), limits=narrowed) as server,
        open_client(server.url) as client,
    ):
        refused = authenticate_and_subscribe(
            client, token_for("viewer"), channels=[FORECAST_UPDATES, EXECUTION_EVENTS]
        )
        assert refused["type"] == "error"
        assert refused["reason"] == "forbidden_channel"
        send(client, {"type": "subscribe", "channels": [FORECAST_UPDATES]})
        assert receive_until(client, lambda frame: frame["type"] == "subscribed")
        sent = forecast("ETHUSD")
        publisher.publish(sent)
        frames = receive_until(client, lambda frame: frame["type"] == "message")
    assert frames[-1]["data"]["id"] == sent.id


@pytest.mark.parametrize("role", ["viewer", "operator", "service"])
def test_every_role_reads_execution_events_as_on_the_rest_api(
    live_gateway: GatewayServer, token_for: Callable[..., str], publisher: RedisBus, role: str
) -> None:
    from datetime import UTC, datetime

    from signal_bus.messages import PortfolioSnapshot

    with open_client(live_gateway.url) as client:
        subscribed = authenticate_and_subscribe(
            client, token_for(role), channels=[EXECUTION_EVENTS]
        )
        assert subscribed["type"] == "subscribed"
        snapshot = PortfolioSnapshot.create(
            equity=100_000.0, cash=50_000.0, drawdown=0.01, now=datetime.now(UTC)
        )
        publisher.publish(snapshot)
        frames = receive_until(client, lambda frame: frame["type"] == "message")
    assert frames[-1]["channel"] == EXECUTION_EVENTS
    assert frames[-1]["data"]["type"] == "portfolio_snapshot"


def _json(document: dict[str, Any]) -> str:
    import json

    return json.dumps(document)
