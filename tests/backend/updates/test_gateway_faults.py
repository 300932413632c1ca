"""The gateway across a Redis restart, and its origin check (issue 19)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from websockets.exceptions import InvalidStatus

from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES
from signal_bus.redis_bus import RedisBus
from tests.support.redis_server import RedisServer

from .conftest import forecast, risk
from .gateway import (
    authenticate_and_subscribe,
    fanout_on,
    gateway,
    open_client,
    receive,
    receive_until,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
]


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    # Persistent, as in production (append-only file): the last values survive the restart.
    with RedisServer(persistent=True) as server:
        yield server


def test_clients_are_told_of_a_redis_restart_and_resume_with_the_last_values(
    private_redis: RedisServer, token_for: Callable[..., str]
) -> None:
    publisher = RedisBus(url=private_redis.url, namespace="gateway")
    with (
        gateway(fanout=fanout_on(private_redis.url, "gateway")) as server,
        open_client(server.url) as first,
        open_client(server.url) as second,
    ):
        before = forecast("BTCUSD", "1h")
        publisher.publish(before)
        publisher.publish(risk(0.8))
        for client in (first, second):
            subscribed = authenticate_and_subscribe(
                client, token_for("viewer"), channels=[FORECAST_UPDATES, RISK_UPDATES]
            )
            assert subscribed["current"] == 2
            receive(client), receive(client)
        private_redis.stop()
        for client in (first, second):
            assert receive(client) == {"type": "status", "state": "reconnecting"}
        time.sleep(5)
        private_redis.start()
        for client in (first, second):
            assert receive(client) == {"type": "status", "state": "live"}
            current = [receive(client) for _ in range(2)]
            assert {frame["data"]["id"] for frame in current} >= {before.id}
        publisher.close()
        publisher = RedisBus(url=private_redis.url, namespace="gateway")
        after = forecast("BTCUSD", "1h", prediction=0.03)
        publisher.publish(after)
        for client in (first, second):
            frames = receive_until(client, lambda frame: frame["type"] == "message")
            assert frames[-1]["data"]["id"] == after.id
    publisher.close()


def test_browsers_connect_only_from_allowed_origins(
    private_redis: RedisServer, token_for: Callable[..., str]
) -> None:
    origins = ["https://app.example.com"]
    with gateway(fanout=fanout_on(private_redis.url, "origin"), allowed_origins=origins) as server:
        with pytest.raises(InvalidStatus) as refused:
            open_client(server.url, origin="https://evil.example.net")
        assert refused.value.response.status_code == 403
        for origin in ("https://app.example.com", None):  # a script sends no Origin header
            with open_client(server.url, origin=origin) as client:
                subscribed = authenticate_and_subscribe(
                    client, token_for("viewer"), channels=[RISK_UPDATES]
                )
                assert subscribed["type"] == "subscribed"
