"""Live push on the Overview page in headless Chromium (issue 19).

A real backend, a real gateway (uvicorn on a free port) and real Redis: a risk update that
halts trading, published through the signal bus as the risk engine publishes it, changes
the live tile within a second without a rerun. With the gateway down the page polls
and says so in one line. Screenshots: ``overview-live.png``, ``overview-fallback.png``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from signal_bus.messages import ForecastUpdate, Message, RiskUpdate
from signal_bus.redis_bus import RedisBus

from .backend_server import REDIS_URL, BackendServer, free_port
from .browser import (
    BROWSER_TEST_MARKS,
    SCREENSHOTS,
    forecast_chart_frame,
    launch_chromium,
    log_in,
    open_page,
    wait_until_idle,
)
from .dashboard_server import running_dashboard
from .live_gateway import running_gateway

pytestmark = BROWSER_TEST_MARKS
VIEWPORT = {"width": 1400, "height": 1300}
PUSH_DEADLINE_MS = 1000  # the "within a second", publish to DOM
# Records when the tile first shows ``halted`` (wall-clock milliseconds, the host's clock).
WATCH_HALTED = """() => {
  window.haltedAt = null;
  const target = document.getElementById("risk-state");
  new MutationObserver(() => {
    if (window.haltedAt === null && target.textContent === "halted") { window.haltedAt = Date.now(); }
  }).observe(target, { childList: true, characterData: true, subtree: true });
}"""


class RerunCounter:
    """Counts the reruns the browser asks Streamlit for, except timed fragment runs.

    A widget or component value reruns the page, or its fragment; ``run_every`` fragments
    (the portfolio tile) ask on their own and are marked as automatic.
    """

    def __init__(self) -> None:
        self.reruns = 0

    def attach(self, page: Any) -> None:
        page.on("websocket", self._socket)

    def _socket(self, socket: Any) -> None:
        if "_stcore/stream" in socket.url:
            socket.on("framesent", self._frame)

    def _frame(self, payload: Any) -> None:
        if not isinstance(payload, bytes):
            return
        message = BackMsg()
        message.ParseFromString(payload)
        if message.WhichOneof("type") == "rerun_script" and not message.rerun_script.is_auto_rerun:
            self.reruns += 1


def live_frame(page: Any, timeout_seconds: float = 30) -> Any:
    """The live tiles component's frame."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "live_tiles" in frame.url:
                return frame
        page.wait_for_timeout(100)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "live-tiles-missing.png"), full_page=True)
    raise TimeoutError(f"no live tiles component: {[frame.url for frame in page.frames]}")


def publish(namespace: str, *messages: Message) -> float:
    """Publish on the signal bus as the engines do; return the wall-clock time (ms) before."""
    bus = RedisBus(url=REDIS_URL, namespace=namespace)
    try:
        published_at = time.time() * 1000
        for message in messages:
            bus.publish(message)
        return published_at
    finally:
        bus.close()


def publish_risk(namespace: str, *, factor: float, state: str, reasons: tuple[str, ...]) -> float:
    """Publish a risk verdict as the risk engine does."""
    return publish(
        namespace,
        RiskUpdate.create(risk_factor=factor, state=state, reasons=reasons, now=datetime.now(UTC)),
    )


def fresh_forecasts(prediction: float) -> list[Message]:
    """A new forecast for every seeded asset and horizon, made now."""
    now = datetime.now(UTC)
    return [
        ForecastUpdate.create(
            asset=asset, horizon=horizon, prediction=prediction, confidence=0.7, now=now,
            model="live-test", model_version="v1",
        )
        for asset in ("BTCUSD", "ETHUSD", "SPY")
        for horizon in ("1h", "4h", "1d")
    ]  # fmt: skip


@pytest.fixture(scope="module")
def live_dashboard(backend: BackendServer) -> Iterator[str]:
    with running_gateway(backend) as gateway_url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATS_UPDATES_URL", gateway_url)
        with running_dashboard(api_url=backend.url) as url:
            yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def test_a_halting_risk_update_changes_the_overview_tile_within_a_second_without_a_rerun(
    live_dashboard: str, backend: BackendServer, browser: Any
) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    reruns = RerunCounter()
    reruns.attach(page)
    log_in(page, live_dashboard, backend.viewer, backend.password)
    frame = live_frame(page)
    frame.wait_for_selector("body[data-live-state=live]", timeout=30_000)
    frame.wait_for_selector("#tiles:not([hidden])", timeout=30_000)
    # Live: the panel (a fragment) reran once to drop the polled tiles; the component draws.
    polled = page.get_by_test_id("stMetric").filter(has_text="Risk factor")
    polled.wait_for(state="detached", timeout=30_000)
    wait_until_idle(page)

    publish_risk(backend.namespace, factor=1.0, state="active", reasons=())
    frame.wait_for_function(
        "document.getElementById('risk-state').textContent === 'active'", timeout=10_000
    )
    assert "All breakers armed." in frame.inner_text("#breakers-summary")
    frame.evaluate(WATCH_HALTED)
    before = reruns.reruns

    published_at = publish_risk(
        backend.namespace, factor=0.0, state="halted", reasons=("drawdown", "drawdown_limit")
    )
    frame.wait_for_function(
        "document.getElementById('risk-state').textContent === 'halted'",
        timeout=PUSH_DEADLINE_MS,
    )
    elapsed_ms = frame.evaluate("window.haltedAt") - published_at
    print(f"publish to DOM: {elapsed_ms:.0f} ms")
    assert elapsed_ms < PUSH_DEADLINE_MS
    assert frame.inner_text("#risk-factor") == "0.00"
    assert frame.inner_text("#breakers-summary") == "Tripped breakers: drawdown_limit"
    assert "drawdown, drawdown_limit" in frame.inner_text("#risk-reasons")
    publish(backend.namespace, *fresh_forecasts(0.0012))
    frame.wait_for_selector("#forecasts-block:not([hidden])", timeout=10_000)
    assert "12.0" in frame.inner_text("#forecasts")
    page.wait_for_timeout(1000)  # a rerun the push caused would have been asked for by now
    assert reruns.reruns == before
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "overview-live.png"), full_page=True)


def test_with_the_gateway_down_the_overview_polls_and_says_so(
    backend: BackendServer, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATS_UPDATES_URL", f"ws://127.0.0.1:{free_port()}/ws/updates/")
    with running_dashboard(api_url=backend.url) as url:
        page = browser.new_page(viewport=VIEWPORT)
        log_in(page, url, backend.viewer, backend.password)
        frame = live_frame(page)
        frame.wait_for_selector("body[data-live-state=unavailable]", timeout=30_000)
        line = frame.inner_text("#status")
        assert line.startswith("Live updates unavailable (cannot connect): polling every")
        assert frame.is_hidden("#tiles")
        metric = page.get_by_test_id("stMetric").filter(has_text="Risk factor")
        metric.wait_for(timeout=30_000)
        wait_until_idle(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "overview-fallback.png"), full_page=True)


def test_the_forecasts_chart_appends_pushed_forecasts(
    live_dashboard: str, backend: BackendServer, browser: Any
) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    log_in(page, live_dashboard, backend.viewer, backend.password)
    open_page(page, "Forecasts")
    chart = forecast_chart_frame(page)
    chart.locator("body[data-chart-rendered][data-live-state=live]").wait_for(timeout=30_000)
    # The bus's last values come first: an earlier test's forecasts may already be appended.
    body = chart.locator("body")
    appended = int(body.get_attribute("data-chart-live-points") or "0")
    publish(backend.namespace, *fresh_forecasts(-0.0008))
    chart.locator(f'body[data-chart-live-points="{appended + 1}"]').wait_for(timeout=10_000)
    assert "Live: new forecasts are appended" in chart.locator("#live").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "forecasts-live.png"), full_page=True)
