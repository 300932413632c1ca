"""Connection settings from the environment."""

from __future__ import annotations

import pytest

from signal_bus.channels import ChannelNames
from signal_bus.connection import RedisConnectionConfig


def test_url_wins_over_host_and_port() -> None:
    config = RedisConnectionConfig.from_environment(
        {"REDIS_URL": "redis://user:p%40ss@redis.internal:6380/2", "REDIS_HOST": "ignored"}
    )
    assert (config.host, config.port, config.db) == ("redis.internal", 6380, 2)
    assert (config.username, config.password) == ("user", "p@ss")
    assert "p@ss" not in repr(config)


def test_host_port_password_db() -> None:
    config = RedisConnectionConfig.from_environment(
        {"REDIS_HOST": "cache", "REDIS_PORT": "7000", "REDIS_PASSWORD": "secret", "REDIS_DB": "3"}
    )
    assert (config.host, config.port, config.password, config.db) == ("cache", 7000, "secret", 3)
    assert not config.ssl


def test_defaults_and_tls() -> None:
    assert RedisConnectionConfig.from_environment({}).port == 6379
    assert RedisConnectionConfig.from_url("rediss://example.com").ssl


@pytest.mark.parametrize(
    "environment",
    [{"REDIS_PORT": "six"}, {"REDIS_URL": "http://x"}, {"REDIS_PORT": "70000"}, {"REDIS_DB": "-1"}],
)
def test_bad_settings_are_rejected(environment: dict[str, str]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        RedisConnectionConfig.from_environment(environment)


def test_channel_names() -> None:
    names = ChannelNames("deployment-a")
    assert names.pubsub("forecast_updates") == "deployment-a:forecast_updates"
    assert names.stream("risk_updates") == "deployment-a:risk_updates:stream"
    assert names.dead("strategy_config") == "deployment-a:strategy_config:dead"
    assert names.last("forecast_updates", "AAPL:1d") == "deployment-a:forecast_updates:last:AAPL:1d"
    assert names.last("risk_updates") == "deployment-a:risk_updates:last"
    assert names.channel_of("deployment-a:execution_events") == "execution_events"
    assert ChannelNames().pubsub("forecast_updates") == "forecast_updates"
    with pytest.raises(ValueError, match="unknown channel"):
        names.pubsub("forecasts")
    with pytest.raises(ValueError, match="namespace"):
        ChannelNames("has space")


def test_redis_bus_from_environment_reads_namespace() -> None:
    from signal_bus.redis_bus import RedisBus

    bus = RedisBus.from_environment(
        {"REDIS_URL": "redis://:pw@cache:6390/1", "SIGNAL_BUS_NAMESPACE": "staging"}
    )
    assert bus.names.namespace == "staging"
    assert (bus.config.host, bus.config.port, bus.config.db) == ("cache", 6390, 1)
    assert bus.config.password == "pw"
