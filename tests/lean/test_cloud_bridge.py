"""``ats lean cloud-bridge``: bus messages to a cloud algorithm through the live-command API."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType

import pytest
from click.testing import CliRunner

from ats.cli.main import cli
from engines.lean.cloud_bridge import CloudBridge, signal_command
from engines.lean.quantconnect_api import (
    CommandClientConfig,
    CommandDeliveryError,
    QuantConnectCommandClient,
    QuantConnectCredentials,
)
from signal_bus.messages import ForecastUpdate, RiskUpdate, StrategyConfigUpdate
from signal_bus.redis_bus import RedisBus
from tests.lean.quantconnect_server import API_TOKEN, USER_ID, quantconnect_server
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace

NOW = datetime.now(UTC)


def _client(url: str, token: str = API_TOKEN) -> QuantConnectCommandClient:
    return QuantConnectCommandClient(
        QuantConnectCredentials(USER_ID, token),
        CommandClientConfig(base_url=url, max_attempts=3, backoff_seconds=0.0),
        sleep=lambda seconds: None,
    )


def _forecast(at: datetime = NOW) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset="BTCUSD", horizon="4h", prediction=0.01, confidence=0.8, now=at
    )


def test_credentials_come_from_the_environment_and_hide_the_token() -> None:
    credentials = QuantConnectCredentials.from_environment(
        {"QC_USER_ID": "1", "QC_API_TOKEN": "abc"}
    )
    assert credentials.user_id == "1"
    assert "abc" not in repr(credentials)
    with pytest.raises(ValueError, match="QC_API_TOKEN"):
        QuantConnectCredentials.from_environment({"QC_USER_ID": "1"})


def test_command_is_authenticated_and_retried_after_server_errors() -> None:
    with quantconnect_server() as (url, state):
        state.fail_next = [503, 502]
        client = _client(url)
        answer = client.send_command(42, {"channel": "forecast_updates", "payload": "{}"})
        assert answer == {"success": True}
        assert client.attempts == 3
        assert state.commands == [
            {"projectId": 42, "command": {"channel": "forecast_updates", "payload": "{}"}}
        ]


def test_bad_credentials_are_not_retried() -> None:
    with quantconnect_server() as (url, state):
        client = _client(url, token="wrong")
        with pytest.raises(CommandDeliveryError) as raised:
            client.send_command(42, {"channel": "risk_updates", "payload": "{}"})
        assert raised.value.retryable is False
        assert state.requests == 1


def test_refusal_and_exhausted_retries_raise() -> None:
    with quantconnect_server() as (url, state):
        state.refuse_with_success_false = True
        with pytest.raises(CommandDeliveryError, match="No live algorithm"):
            _client(url).send_command(42, {})
        state.refuse_with_success_false = False
        state.fail_next = [500, 500, 500]
        with pytest.raises(CommandDeliveryError, match="after 3 tries") as raised:
            _client(url).send_command(42, {})
        assert raised.value.retryable is True


def test_bridge_sends_each_message_once_and_skips_stale_ones() -> None:
    with quantconnect_server() as (url, state):
        bridge = CloudBridge(_client(url), 7, clock=lambda: NOW, max_age=timedelta(hours=1))
        fresh, old = _forecast(), _forecast(NOW - timedelta(hours=2))
        old_config = StrategyConfigUpdate.create(
            key="entry_confidence",
            value=0.6,
            version=3,
            changed_by="operator",
            now=NOW - timedelta(days=3),
        )
        assert bridge.forward(fresh) is True
        assert bridge.forward(fresh) is False
        assert bridge.forward(old) is False
        assert bridge.forward(old_config) is True, "config changes are forwarded whatever their age"
        assert [c["command"] for c in state.commands] == [
            signal_command(fresh),
            signal_command(old_config),
        ]
        assert (bridge.counts.forwarded, bridge.counts.duplicates, bridge.counts.too_old) == (
            2,
            1,
            1,
        )


def test_failed_delivery_is_not_remembered_so_it_is_retried() -> None:
    with quantconnect_server() as (url, state):
        bridge = CloudBridge(_client(url), 7, clock=lambda: NOW)
        message = _forecast()
        state.fail_next = [500, 500, 500]
        with pytest.raises(CommandDeliveryError):
            bridge.forward(message)
        assert bridge.forward(message) is True
        assert len(state.commands) == 1


@pytest.fixture
def namespace() -> Iterator[str]:
    with redis_namespace(SHARED_REDIS_URL, prefix="bridge") as name:
        yield name


def _load_algorithm_module() -> ModuleType:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "algorithms" / "adaptive_forecast" / "main.py"
    spec = importlib.util.spec_from_file_location("adaptive_forecast_main", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.redis
def test_cli_bridge_delivers_bus_messages_to_the_algorithm_without_duplicates(
    namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
    forecast = _forecast()
    risk = RiskUpdate.create(risk_factor=0.6, reasons=["high_volatility"], now=NOW)
    config = StrategyConfigUpdate.create(
        key="entry_confidence", value=0.6, version=1, changed_by="operator", now=NOW
    )
    for message in (forecast, risk, config, _forecast(NOW - timedelta(days=2))):
        bus.publish(message)
    bus.close()
    monkeypatch.setenv("QC_USER_ID", USER_ID)
    monkeypatch.setenv("QC_API_TOKEN", API_TOKEN)
    runner = CliRunner()
    with quantconnect_server() as (url, state):
        arguments = [
            "lean", "cloud-bridge", "--once", "--project-id", "7", "--api-url", url,
            "--redis-url", SHARED_REDIS_URL, "--namespace", namespace,
        ]  # fmt: skip
        first = runner.invoke(cli, arguments)
        assert first.exit_code == 0, first.output
        assert "forwarded 3, duplicates 0, too old 1" in first.output
        second = runner.invoke(cli, arguments)
        assert second.exit_code == 0, second.output
        assert "forwarded 0" in second.output
        commands = [c["command"] for c in state.commands]
    assert [c["channel"] for c in commands] == [
        "forecast_updates",
        "risk_updates",
        "strategy_config",
    ]

    # The algorithm's on_command feeds the same inbox the Redis source uses.
    module = _load_algorithm_module()
    algorithm = module.AdaptiveForecastAlgorithm()
    algorithm._parameters = {"forecast_source": "command"}
    algorithm.initialize()
    assert [algorithm.on_command(command) for command in commands] == [True, True, True]
    assert algorithm.on_command(commands[0]) is False, "a repeated command is ignored"
    assert [f.id for f in algorithm.inbox.forecasts()] == [forecast.id]
    assert algorithm.inbox.risk().risk_factor == 0.6
    assert [c.key for c in algorithm.inbox.take_config_changes()] == ["entry_confidence"]
