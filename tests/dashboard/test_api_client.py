"""The backend client against the real backend: login, roles, refresh, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboard.clients.api import BackendClient, BackendSession
from dashboard.clients.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    PermissionDenied,
    SessionExpired,
    ValidationFailed,
)

from . import scenario
from .backend_server import BackendServer, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_login_finds_each_users_role(client: BackendClient, backend: BackendServer) -> None:
    viewer = client.login(backend.viewer, backend.password)
    operator = client.login(backend.operator, backend.password)
    assert not viewer.is_operator
    assert not viewer.may_import_backtests
    assert operator.is_operator
    assert operator.may_import_backtests
    # The roles are exactly what the backend's auth/me/ states (no guessing).
    assert viewer.roles == frozenset({"viewer"})
    assert operator.roles == frozenset({"operator"})


def test_user_without_a_role_is_refused_clearly(
    client: BackendClient, backend: BackendServer
) -> None:
    with pytest.raises(AuthenticationFailed, match="none of the roles"):
        client.login(backend.no_role, backend.password)


def test_login_changes_no_configuration(client: BackendClient, backend: BackendServer) -> None:
    operator = client.login(backend.operator, backend.password)
    before = client.strategy_config_history(operator)
    client.login(backend.operator, backend.password)
    client.login(backend.viewer, backend.password)
    assert client.strategy_config_history(operator) == before


def test_wrong_password_is_refused(client: BackendClient, backend: BackendServer) -> None:
    with pytest.raises(AuthenticationFailed, match="Wrong username or password"):
        client.login(backend.viewer, backend.password + "x")
    with pytest.raises(AuthenticationFailed):
        client.login("", "")


def test_expired_access_token_is_refreshed_once(
    client: BackendClient, viewer: BackendSession
) -> None:
    stale = viewer.access_token[:-4] + "AAAA"
    viewer.access_token = stale
    risk = client.risk_current(viewer)
    assert risk["risk_factor"] == pytest.approx(scenario.RISK_STEPS[-1][1])
    assert viewer.access_token != stale


def test_refused_refresh_means_session_expired(
    client: BackendClient, viewer: BackendSession
) -> None:
    viewer.access_token = "not-a-token"
    viewer.refresh_token = "not-a-token-either"
    with pytest.raises(SessionExpired, match="log in again"):
        client.risk_current(viewer)


def test_unreachable_backend_is_reported_clearly(viewer: BackendSession) -> None:
    nowhere = BackendClient(base_url=f"http://127.0.0.1:{free_port()}", timeout_seconds=2)
    try:
        with pytest.raises(BackendUnavailable, match="cannot be reached"):
            nowhere.risk_current(viewer)
        with pytest.raises(BackendUnavailable):
            nowhere.login("someone", "something")
    finally:
        nowhere.close()


def test_viewer_may_not_rearm(client: BackendClient, viewer: BackendSession) -> None:
    with pytest.raises(PermissionDenied, match="operator"):
        client.rearm(viewer, breaker=scenario.TRIPPED_BREAKER, reason="because")


def test_invalid_configuration_names_the_field(
    client: BackendClient, operator: BackendSession
) -> None:
    with pytest.raises(ValidationFailed) as failure:
        client.strategy_config_update(operator, values={"entry_confidence": 1.5}, reason="test")
    [error] = failure.value.errors
    assert error.field == "values.entry_confidence"
    assert error.rule


def test_forecasts_follow_cursor_pages(client: BackendClient, viewer: BackendSession) -> None:
    rows = client.forecasts(viewer, asset="BTCUSD", horizon="1h", limit=5000)
    assert len(rows) == 48  # the seeded hours
    timestamps = [row["timestamp"] for row in rows]
    assert timestamps == sorted(timestamps, reverse=True)
    few = client.forecasts(viewer, limit=7)
    assert len(few) == 7


def test_latest_signals_one_per_pair(client: BackendClient, viewer: BackendSession) -> None:
    rows = client.signals_latest(viewer)
    pairs = [(row["asset"], row["horizon"]) for row in rows]
    assert pairs == sorted(
        (asset, horizon) for asset in scenario.SMALL_ASSETS for horizon in scenario.HORIZONS
    )
    end = scenario.END.isoformat().replace("+00:00", "Z")
    assert {row["timestamp"] for row in rows} == {end}
    [example] = client.signals_latest(
        viewer, asset=scenario.EXAMPLE_ASSET, horizon=scenario.EXAMPLE_HORIZON
    )
    assert example["confidence"] == pytest.approx(scenario.EXAMPLE_CONFIDENCE)
    assert example["direction"] == 1


def test_asset_catalogue(client: BackendClient, viewer: BackendSession) -> None:
    catalog = client.assets(viewer)
    assert [entry["asset"] for entry in catalog] == sorted(scenario.SMALL_ASSETS)
    end = scenario.END.isoformat().replace("+00:00", "Z")
    for entry in catalog:
        assert sorted(entry["horizons"]) == sorted(scenario.HORIZONS)
        assert entry["newest"] == end


def test_market_bars_of_an_asset(client: BackendClient, viewer: BackendSession) -> None:
    bars = client.bars(viewer, asset="ETHUSD", interval="1h")
    assert len(bars) == 48
    assert {bar["asset"] for bar in bars} == {"ETHUSD"}
    assert all(bar["low"] <= min(bar["open"], bar["close"]) for bar in bars)
    assert all(bar["high"] >= max(bar["open"], bar["close"]) for bar in bars)
    since = scenario.END - timedelta(hours=9)
    assert len(client.bars(viewer, asset="ETHUSD", interval="1h", since=since)) == 10
    assert len(client.bars(viewer, asset="ETHUSD", interval="1d")) == 2


def test_model_lifecycle_reads_and_refusals(
    client: BackendClient, viewer: BackendSession, operator: BackendSession
) -> None:
    versions = client.model_versions(viewer)
    names = {f"{row['model']}@{row['version']}" for row in versions}
    assert names == set(scenario.final_statuses())
    by_name = {f"{row['model']}@{row['version']}": row for row in versions}
    failed = client.model_version(
        viewer, by_name[f"{scenario.FORECAST_MODEL}@{scenario.UNTRADABLE_VERSION}"]["id"]
    )
    assert failed["gates"]["status"] == "candidate"
    assert [gate["name"] for gate in failed["gates"]["gates"]["gates"]] == [
        gate[0] for gate in scenario.FAILED_GATES
    ]
    assert failed["gates"]["gates"]["gates"][1]["statistic"] == pytest.approx(0.73)
    pairs = {(row["asset_group"], row["horizon"]) for row in client.model_champions(viewer)}
    assert pairs == {pair for pair, champion in scenario.CHAMPIONS.items() if champion}
    # Every role reads; only operators change, and a refusal names the field and rule.
    with pytest.raises(PermissionDenied):
        client.model_transition(viewer, failed["id"], status="retired", reason="not mine")
    with pytest.raises(ValidationFailed) as refused:
        client.model_transition(operator, failed["id"], status="live", reason="skip shadow")
    assert [(error.field, error.rule) for error in refused.value.errors] == [
        ("status", "transition")
    ]
    assert client.model_version(viewer, failed["id"])["status"] == "candidate"
