"""What the gateway pushes: current values first, then live messages in order; filters;
a stalled client (issue 19)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from backend.updates.config import GatewayLimits
from backend.updates.consumer import UpdatesConsumer
from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES
from signal_bus.redis_bus import RedisBus

from .conftest import forecast, risk
from .gateway import (
    GatewayServer,
    authenticate_and_subscribe,
    fanout_on,
    gateway,
    open_client,
    receive,
    receive_until,
    send,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.slow,
]


def test_current_values_come_first_then_live_messages_in_order(
    live_gateway: GatewayServer, token_for: Callable[..., str], publisher: RedisBus
) -> None:
    earlier = [forecast("BTCUSD", "1h"), forecast("ETHUSD", "1h"), forecast("BTCUSD", "4h")]
    replaced = forecast("ETHUSD", "1h", prediction=0.02)  # the current value of ETHUSD:1h
    halted = risk(0.0, state="halted")
    for message in (*earlier, replaced, halted):
        publisher.publish(message)
    with open_client(live_gateway.url) as client:
        subscribed = authenticate_and_subscribe(
            client, token_for("viewer"), channels=[FORECAST_UPDATES, RISK_UPDATES]
        )
        assert subscribed["current"] == 4
        current = [receive(client) for _ in range(4)]
        live = [forecast("SOLUSD", "1h", prediction=index / 1000) for index in range(50)]
        for message in live:
            publisher.publish(message)
        frames = receive_until(client, lambda frame: frame["data"]["id"] == live[-1].id)
    current_ids = {frame["data"]["id"] for frame in current}
    assert current_ids == {earlier[0].id, earlier[2].id, replaced.id, halted.id}
    assert [frame["channel"] for frame in current] == [FORECAST_UPDATES] * 3 + [RISK_UPDATES]
    assert current[-1]["data"]["state"] == "halted"
    assert all(frame["type"] == "message" for frame in frames)
    assert [frame["data"]["id"] for frame in frames] == [message.id for message in live]


def test_a_subscriber_filtered_to_one_asset_gets_only_that_asset(
    live_gateway: GatewayServer, token_for: Callable[..., str], publisher: RedisBus
) -> None:
    publisher.publish(forecast("ETHUSD", "1h"))
    publisher.publish(forecast("BTCUSD", "1d"))
    with open_client(live_gateway.url) as filtered, open_client(live_gateway.url) as everything:
        subscribed = authenticate_and_subscribe(
            filtered,
            token_for("viewer"),
            channels=[FORECAST_UPDATES],
            assets=["btcusd"],
            horizons=["1h", "4h"],
        )
        assert subscribed["assets"] == ["BTCUSD"]
        assert subscribed["current"] == 0  # BTCUSD 1d is filtered out by horizon
        authenticate_and_subscribe(everything, token_for("viewer"), channels=[FORECAST_UPDATES])
        sent = [
            forecast(asset, horizon)
            for asset in ("ETHUSD", "BTCUSD", "SOLUSD")
            for horizon in ("1h", "4h", "1d")
        ]
        for message in sent:
            publisher.publish(message)
        receive_until(everything, lambda frame: frame.get("data", {}).get("id") == sent[-1].id)
        marker = forecast("BTCUSD", "4h")
        publisher.publish(marker)
        frames = receive_until(filtered, lambda frame: frame["data"]["id"] == marker.id)
    got = [(frame["data"]["asset"], frame["data"]["horizon"]) for frame in frames]
    assert got == [("BTCUSD", "1h"), ("BTCUSD", "4h"), ("BTCUSD", "4h")]


def test_a_stalled_client_loses_its_oldest_messages_and_never_holds_back_another(
    settings: Any,
    bus_namespace: str,
    token_for: Callable[..., str],
    publisher: RedisBus,
) -> None:
    queue_size = 300
    limits = GatewayLimits(queue_size=queue_size)
    with (
        gateway(
            fanout=fanout_on(settings.REDIS_URL, bus_namespace), limits=limits, send_buffer=16384
        ) as server,
        # The stalled client's socket buffers are small and its library reads nothing ahead.
        open_client(server.url, receive_buffer=4096, max_queue=1) as stalled,
        open_client(server.url) as reader,
    ):
        token = token_for("viewer")
        authenticate_and_subscribe(stalled, token, channels=[FORECAST_UPDATES])
        authenticate_and_subscribe(reader, token, channels=[FORECAST_UPDATES])
        # Long model names make each message about 1 KiB, more than the buffers hold.
        sent = [forecast(f"A{index % 20}", "1h", prediction=index / 1e5) for index in range(1000)]
        sent = [type(message)(**{**_fields(message), "model": "m" * 700}) for message in sent]
        frames: list[dict[str, Any]] = []

        def read_all() -> None:
            while not frames or frames[-1].get("data", {}).get("id") != sent[-1].id:
                frames.append(receive(reader))

        reading = threading.Thread(target=read_all, daemon=True)
        reading.start()
        started = time.monotonic()
        for position, message in enumerate(sent):
            # A client that keeps reading: the publisher lets it fall at most 100 messages
            # behind (a thread of this test on a loaded 2-core machine can be descheduled
            # for a while); the stalled client never reads, so its queue overflows anyway.
            waited = time.monotonic()
            while len(frames) < position - 100 and time.monotonic() - waited < 30:
                time.sleep(0.001)
            publisher.publish(message)
        publishing_s = time.monotonic() - started
        reading.join(120)
        assert not reading.is_alive()
        assert [frame["type"] for frame in frames] == ["message"] * len(sent)  # no lagged
        assert [frame["data"]["id"] for frame in frames] == [m.id for m in sent]
        connections = [
            listener
            for listener in server.fanout.listeners()
            if isinstance(listener, UpdatesConsumer)
        ]
        assert len(connections) == 2
        assert all(c.outbox.high_water <= queue_size for c in connections)
        assert max(c.outbox.dropped for c in connections) > 0
        # The stalled client reads at last: every message either arrives or is counted.
        received: list[str] = []
        missed = 0
        while not received or received[-1] != sent[-1].id:
            frame = receive(stalled)
            if frame["type"] == "lagged":
                missed += frame["missed"]
            elif frame["type"] == "message":
                received.append(frame["data"]["id"])
        assert missed > 0
        assert len(received) + missed == len(sent)
        positions = [index for index, message in enumerate(sent) if message.id in received]
        assert positions == sorted(positions)  # in order, the oldest ones missing
        assert publishing_s < 60


def _fields(message: Any) -> dict[str, Any]:
    from dataclasses import fields

    return {field.name: getattr(message, field.name) for field in fields(message)}


def test_malformed_oversized_and_too_frequent_messages_get_error_frames(
    settings: Any, bus_namespace: str, token_for: Callable[..., str], publisher: RedisBus
) -> None:
    limits = GatewayLimits(max_message_bytes=1024, rate_per_second=2.0, burst=5)
    with (
        gateway(fanout=fanout_on(settings.REDIS_URL, bus_namespace), limits=limits) as server,
        open_client(server.url) as client,
    ):
        authenticate_and_subscribe(client, token_for("viewer"), channels=[FORECAST_UPDATES])
        time.sleep(3)  # the bucket refills
        for text in ("{not json", "[1, 2]", '{"type": 7}'):
            client.send(text)
            frame = receive(client)
            assert (frame["type"], frame["reason"]) == ("error", "malformed")
        time.sleep(2)
        reasons = []
        for document in (
            {"type": "subscribe", "channels": ["nope"]},
            {"type": "subscribe", "channels": "forecast_updates"},
            {"type": "hello"},
            {"type": "subscribe", "channels": [FORECAST_UPDATES], "assets": ["x" * 2000]},
        ):
            send(client, document)
            reasons.append(receive(client)["reason"])
        assert reasons == ["unknown_channel", "malformed", "unknown_type", "too_large"]
        time.sleep(3)
        for _ in range(20):
            send(client, {"type": "hello"})
        flood = [receive(client)["reason"] for _ in range(20)]
        assert flood.count("rate_limited") >= 10
        assert set(flood) == {"unknown_type", "rate_limited"}
        time.sleep(3)
        send(client, {"type": "subscribe", "channels": [FORECAST_UPDATES]})
        assert receive_until(client, lambda frame: frame["type"] == "subscribed")
        sent = forecast("BTCUSD")
        publisher.publish(sent)
        frames = receive_until(client, lambda frame: frame["type"] == "message")
    assert frames[-1]["data"]["id"] == sent.id
