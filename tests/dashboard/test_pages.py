"""Every page under AppTest against the seeded backend: numbers, forms, roles."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.clients.api import BackendClient, BackendSession
from dashboard.components.frames import EDGE_LEGEND
from dashboard.components.session import SESSION_KEY

from . import scenario
from .backend_server import BackendServer, free_port
from .conftest import texts

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

OpenPage = Callable[[BackendSession | None, str | None], AppTest]


def _button(app: AppTest, label: str) -> object:
    matches = [button for button in app.button if button.label == label]
    assert matches, f"no button {label!r}; buttons: {[b.label for b in app.button]}"
    return matches[0]


def test_login_page_refuses_a_wrong_password_then_logs_in(
    open_page: OpenPage, backend: BackendServer
) -> None:
    app = open_page(None, None)
    assert "Adaptive Trading System" in texts(app)
    app.text_input(key="login_username").input(backend.viewer)
    app.text_input(key="login_password").input("wrong-password")
    _button(app, "Log in").click().run()  # type: ignore[attr-defined]
    assert "Wrong username or password." in [item.value for item in app.error]
    assert SESSION_KEY not in app.session_state

    app.text_input(key="login_password").input(backend.password)
    _button(app, "Log in").click().run()  # type: ignore[attr-defined]
    assert not app.exception
    session = app.session_state[SESSION_KEY]
    assert session.username == backend.viewer
    assert "login_password" not in app.session_state
    assert [title.value for title in app.title] == ["Overview"]


def test_login_page_refuses_a_user_without_a_role(
    open_page: OpenPage, backend: BackendServer
) -> None:
    app = open_page(None, None)
    app.text_input(key="login_username").input(backend.no_role)
    app.text_input(key="login_password").input(backend.password)
    _button(app, "Log in").click().run()  # type: ignore[attr-defined]
    assert not app.exception
    assert any("none of the roles" in item.value for item in app.error)
    assert SESSION_KEY not in app.session_state


def test_overview_shows_equity_risk_breakers_and_signals(
    open_page: OpenPage, viewer: BackendSession
) -> None:
    app = open_page(viewer, None)
    metrics = {metric.label: metric.value for metric in app.metric}
    path = scenario.equity_path()
    assert metrics["Equity"] == f"{path[-1][1]:,.2f}"
    assert metrics["Total return"] == f"{(path[-1][1] / path[0][1] - 1) * 100:.2f} %"
    assert metrics["Risk factor"] == f"{scenario.RISK_STEPS[-1][1]:.2f}"
    assert scenario.RISK_STEPS[-1][2] in metrics["State"]
    page = texts(app)
    assert "low_confidence, high_volatility" in page
    assert f"Tripped breakers: {scenario.TRIPPED_BREAKER}" in page
    frames = [frame.value for frame in app.dataframe]
    signals = next(frame for frame in frames if "direction" in frame.columns)
    example = signals[
        (signals["asset"] == scenario.EXAMPLE_ASSET)
        & (signals["horizon"] == scenario.EXAMPLE_HORIZON)
    ]
    assert list(example["direction"]) == ["long"]
    assert list(example["confidence"]) == [pytest.approx(scenario.EXAMPLE_CONFIDENCE)]
    # the market-data feeds: the default feed the backend seeds, never run yet
    feeds = next(frame for frame in frames if "feed" in frame.columns)
    default = feeds[feeds["feed"] == "binance-hour"].iloc[0]
    assert default["health"] == "healthy"
    assert default["series"] == "2 × hour (binance)"
    assert (default["last bar"], default["lag"], default["last run"]) == ("—", "—", "never")
    assert (default["gaps"], default["refused bars"]) == (0, 0)


def test_forecasts_page_draws_the_chart_and_lists_the_forecasts(
    open_page: OpenPage, viewer: BackendSession
) -> None:
    app = open_page(viewer, "forecasts")
    app.selectbox(key="forecast_asset").select(scenario.EXAMPLE_ASSET)
    app.selectbox(key="forecast_horizon").select(scenario.EXAMPLE_HORIZON).run()
    assert not app.exception
    iframes = app.get("iframe")
    assert len(iframes) == 1
    html = iframes[0].proto.srcdoc
    assert "LightweightCharts" in html
    assert f"{scenario.EXAMPLE_ASSET} · {scenario.EXAMPLE_HORIZON}" in html
    # The backend's hourly bars of the asset are drawn as candles under the forecasts.
    payload = json.loads(html.split("const data = ", 1)[1].split(";\n", 1)[0])
    assert len(payload["candles"]) == 48
    assert set(payload["candles"][0]) == {"time", "open", "high", "low", "close"}
    assert payload["target"]
    assert "serves no price bars" not in texts(app)
    table = app.dataframe[0].value
    assert len(table) == 48
    newest = table.iloc[0]
    assert newest["prediction"] == pytest.approx(scenario.EXAMPLE_PREDICTION)
    assert newest["confidence"] == pytest.approx(scenario.EXAMPLE_CONFIDENCE)
    assert set(table["asset"]) == {scenario.EXAMPLE_ASSET}


def test_signals_page_draws_the_heatmap(open_page: OpenPage, viewer: BackendSession) -> None:
    app = open_page(viewer, "signals")
    charts = app.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    mark = spec["layer"][0]["mark"]
    assert (mark["type"] if isinstance(mark, dict) else mark) == "rect"
    table = app.dataframe[0].value
    assert len(table) == len(scenario.SMALL_ASSETS) * len(scenario.HORIZONS)
    short = table[
        (table["asset"] == scenario.SHORT_ASSET) & (table["horizon"] == scenario.SHORT_HORIZON)
    ]
    assert list(short["direction"]) == ["short"]
    assert list(short["confidence"]) == [pytest.approx(scenario.SHORT_CONFIDENCE)]
    assert list(short["edge"]) == [pytest.approx(-(2 * scenario.SHORT_CONFIDENCE - 1))]
    assert spec["layer"][0]["encoding"]["color"]["field"] == "edge"
    assert spec["layer"][0]["encoding"]["color"]["title"] == list(EDGE_LEGEND)
    assert any("0 (yellow) a coin flip" in caption.value for caption in app.caption)


def test_risk_page_for_a_viewer_offers_no_rearm(
    open_page: OpenPage, viewer: BackendSession
) -> None:
    app = open_page(viewer, "risk")
    page = texts(app)
    assert "Re-arm a breaker" not in page
    assert not [button for button in app.button if button.label == "Re-arm"]
    history = app.dataframe[1].value
    assert list(history["state"]) == [step[2] for step in reversed(scenario.RISK_STEPS)]
    assert "drawdown, drawdown_limit" in list(history["reasons"])
    trips = app.dataframe[2].value
    assert list(trips["breaker"]) == [scenario.TRIPPED_BREAKER]
    assert len(app.get("vega_lite_chart")) == 2  # factor history and state timeline


def test_operator_rearm_needs_a_reason_then_rearms(
    open_page: OpenPage, operator: BackendSession, client: BackendClient
) -> None:
    app = open_page(operator, "risk")
    app.selectbox(key="rearm_breaker").select(scenario.TRIPPED_BREAKER)
    _button(app, "Re-arm").click().run()  # type: ignore[attr-defined]
    assert not app.exception
    errors = [item.value for item in app.error]
    assert any(error.startswith("reason:") for error in errors), errors
    assert client.risk_current(operator)["breakers"][0]["state"] == "tripped"

    app.text_area(key="rearm_reason").input("drawdown reviewed, limits reset")
    _button(app, "Re-arm").click().run()  # type: ignore[attr-defined]
    assert not app.exception
    assert any("Re-armed drawdown_limit" in item.value for item in app.success)
    breaker = client.risk_current(operator)["breakers"][0]
    assert breaker["state"] == "armed"
    assert "drawdown reviewed" in breaker["reason"]


def test_performance_page_compares_live_and_backtest(
    open_page: OpenPage, viewer: BackendSession, client: BackendClient
) -> None:
    app = open_page(viewer, "performance")
    metrics = {metric.label: metric.value for metric in app.metric}
    path = scenario.equity_path()
    assert metrics["Total return"] == f"{(path[-1][1] / path[0][1] - 1) * 100:.2f} %"
    sharpe = client.performance(viewer)["statistics"]["sharpe"]
    assert isinstance(sharpe, float)
    assert metrics["Sharpe ratio"] == f"{sharpe:.2f}"  # the backend's key is "sharpe"
    monthly = app.dataframe[0].value
    assert set(monthly.index) == {2025, 2026}
    assert "Year" in monthly.columns
    page = texts(app)
    assert f"**{scenario.BACKTEST_NAME}**" in page
    assert scenario.BACKTEST_NET_PROFIT in page
    assert len(app.get("vega_lite_chart")) == 3  # equity, drawdown, comparison


def test_backtests_page_shows_runs_and_imports_for_operators_only(
    open_page: OpenPage, viewer: BackendSession, operator: BackendSession
) -> None:
    app = open_page(viewer, "backtests")
    assert not app.get("file_uploader")
    runs = app.dataframe[0].value
    assert scenario.BACKTEST_NAME in list(runs["name"])
    orders = app.dataframe[-1].value
    assert list(orders["direction"]) == ["buy", "sell"]

    app = open_page(operator, "backtests")
    uploader = app.get("file_uploader")
    assert len(uploader) == 1
    uploader[0].set_value(("broken.json", b"{not json", "application/json"))  # type: ignore[attr-defined]
    _button(app, "Import").click().run()  # type: ignore[attr-defined]
    assert any("not JSON" in item.value for item in app.error)

    document = scenario.lean_result()
    document["statistics"]["Net Profit"] = "7.7%"
    app.get("file_uploader")[0].set_value(  # type: ignore[attr-defined]
        ("second-run.json", json.dumps(document).encode(), "application/json")
    )
    _button(app, "Import").click().run()  # type: ignore[attr-defined]
    assert not app.exception
    assert any("Imported “second-run”" in item.value for item in app.success)
    assert "second-run" in list(app.dataframe[0].value["name"])


def test_strategy_page_read_only_for_viewers(
    open_page: OpenPage, viewer: BackendSession, client: BackendClient
) -> None:
    app = open_page(viewer, "strategy")
    assert not app.number_input
    assert "needs the operator role" in texts(app)
    table = app.dataframe[0].value
    entry = {item["key"]: item for item in client.strategy_config(viewer)}["entry_confidence"]
    row = table[table["key"] == "entry_confidence"].iloc[0]
    assert row["allowed"] == f"allowed {entry['minimum']:g} … {entry['maximum']:g}"
    assert row["value"] == str(entry["value"])


def test_strategy_form_shows_backend_errors_next_to_fields_then_saves(
    open_page: OpenPage, operator: BackendSession, client: BackendClient
) -> None:
    before = {entry["key"]: entry["value"] for entry in client.strategy_config(operator)}
    app = open_page(operator, "strategy")
    app.number_input(key="config_field_entry_confidence").set_value(1.5)
    app.text_area(key="config_reason").input("try a bad value")
    _button(app, "Save changes").click().run()  # type: ignore[attr-defined]
    assert not app.exception
    errors = [item.value for item in app.error]
    assert any(error.startswith("entry_confidence:") for error in errors), errors
    current = {entry["key"]: entry["value"] for entry in client.strategy_config(operator)}
    assert current["entry_confidence"] == pytest.approx(before["entry_confidence"])

    new_value = 0.62 if before["entry_confidence"] != pytest.approx(0.62) else 0.63
    app.number_input(key="config_field_entry_confidence").set_value(new_value)
    app.text_area(key="config_reason").input("raise the entry bar")
    _button(app, "Save changes").click().run()  # type: ignore[attr-defined]
    assert not app.exception
    assert not app.error
    assert any(f"entry_confidence → {new_value}" in item.value for item in app.success)
    history = app.dataframe[-1].value
    assert list(history["key"])[:1] == ["entry_confidence"]
    assert list(history["reason"])[:1] == ["raise the entry bar"]
    current = {entry["key"]: entry["value"] for entry in client.strategy_config(operator)}
    assert current["entry_confidence"] == pytest.approx(new_value)


def test_unreachable_backend_shows_a_message_not_a_traceback(
    viewer: BackendSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .conftest import APP_PATH, APP_TIMEOUT_SECONDS

    monkeypatch.setenv("ATS_API_URL", f"http://127.0.0.1:{free_port()}")
    app = AppTest.from_file(str(APP_PATH), default_timeout=APP_TIMEOUT_SECONDS)
    app.session_state[SESSION_KEY] = viewer
    app.run()
    assert not app.exception
    assert any("The backend is unavailable" in item.value for item in app.error)


def test_expired_session_sends_the_user_back_to_login(
    open_page: OpenPage, backend: BackendServer
) -> None:
    expired = BackendSession(
        username=backend.viewer, access_token="expired", refresh_token="also-expired",
        roles=frozenset({"viewer"}),
    )  # fmt: skip
    app = open_page(expired, None)
    assert any("session expired" in item.value for item in app.warning)
    assert SESSION_KEY not in app.session_state
    app.run()
    assert [button.label for button in app.button if button.label == "Log in"] == ["Log in"]
