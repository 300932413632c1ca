"""``ats bus`` against the real Redis, in a private namespace."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from ats.cli.main import cli
from signal_bus.channels import ALL_CHANNELS, FORECAST_UPDATES
from signal_bus.group_consumer import GroupConsumer, GroupConsumerConfig
from signal_bus.redis_bus import RedisBus
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace

pytestmark = pytest.mark.redis


@pytest.fixture
def namespace() -> Iterator[str]:
    with redis_namespace(prefix="test-cli") as namespace:
        yield namespace


def _run(namespace: str, *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["bus", "--redis-url", SHARED_REDIS_URL, "--namespace", namespace, *arguments]
    )
    return result.exit_code, result.output


def test_publish_example_then_last_and_tail(namespace: str) -> None:
    for channel in ALL_CHANNELS:
        code, output = _run(namespace, "publish-example", channel)
        assert code == 0, output
        published = json.loads(output)
        code, output = _run(namespace, "last", channel)
        assert code == 0, output
        assert json.loads(output.splitlines()[0]) == published
    code, output = _run(namespace, "last", FORECAST_UPDATES, "BTCUSD:4h")
    assert code == 0
    assert json.loads(output)["asset"] == "BTCUSD"
    code, output = _run(namespace, "tail", FORECAST_UPDATES, "--no-follow")
    assert code == 0
    (line,) = output.splitlines()
    assert json.loads(line)["horizon"] == "4h"
    code, output = _run(namespace, "tail", FORECAST_UPDATES, "--count", "0", "--timeout", "0.3")
    assert code == 0
    assert output == ""


def test_missing_value_is_a_clear_error(namespace: str) -> None:
    code, output = _run(namespace, "last", FORECAST_UPDATES, "NOPE:1d")
    assert code != 0
    assert "no value for 'NOPE:1d'" in output


def test_dead_letters_lists_reasons(namespace: str) -> None:
    bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
    bus.publish_payload(FORECAST_UPDATES, "x", b'{"type": "forecast_update"}')
    consumer = GroupConsumer(
        bus,
        GroupConsumerConfig(channel=FORECAST_UPDATES, group="cli-test", consumer="c", block_ms=0),
        handler=lambda message: None,
    )
    consumer.run_once()
    bus.close()
    code, output = _run(namespace, "dead-letters", FORECAST_UPDATES)
    assert code == 0, output
    (line,) = output.splitlines()
    letter = json.loads(line)
    assert letter["field"] == "ts_event"
    assert letter["payload"] == '{"type": "forecast_update"}'
    code, output = _run(namespace, "dead-letters", "risk_updates")
    assert "no dead letters" in output


def test_unreachable_redis_is_a_clear_error() -> None:
    result = CliRunner().invoke(
        cli, ["bus", "--redis-url", "redis://127.0.0.1:1/0", "last", "risk_updates"]
    )
    assert result.exit_code != 0
    assert "cannot reach Redis at 127.0.0.1:1" in result.output


def test_unknown_channel_is_rejected() -> None:
    result = CliRunner().invoke(cli, ["bus", "last", "forecasts"])
    assert result.exit_code != 0
    assert "forecast_updates" in result.output
