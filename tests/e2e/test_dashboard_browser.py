"""Headless Chromium logs in, visits every page, checks what is drawn, and saves screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.dashboard.backend_server import BackendServer, running_backend
from tests.dashboard.browser import (
    BROWSER_TEST_MARKS,
    CHART_RENDERED,
    EXCEPTION_SELECTOR,
    SCREENSHOTS,
    forecast_chart_frame,
    launch_chromium,
    log_in,
    open_page,
)
from tests.dashboard.dashboard_server import running_dashboard

pytestmark = BROWSER_TEST_MARKS


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[BackendServer, str]]:
    with (
        running_backend() as backend,
        running_dashboard(api_url=backend.url, updates_url="off") as url,
    ):
        yield backend, url


def _no_exception_boxes(page: object) -> None:
    assert page.locator(EXCEPTION_SELECTOR).count() == 0  # type: ignore[attr-defined]


def _charts_drawn(page: Any, expected: int) -> None:
    """Exactly ``expected`` Vega-Lite charts, each with its canvas or SVG drawn."""
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.nth(expected - 1).wait_for()
    assert charts.count() == expected
    for index in range(expected):
        charts.nth(index).locator("canvas, svg").first.wait_for()


def test_operator_visits_every_page(stack: tuple[BackendServer, str]) -> None:
    from playwright.sync_api import sync_playwright

    backend, url = stack
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1500})
        try:
            log_in(page, url, backend.operator, backend.password)
            page.get_by_text("Tripped breakers: drawdown_limit").wait_for()
            _charts_drawn(page, 2)  # equity and drawdown
            _no_exception_boxes(page)
            page.screenshot(path=SCREENSHOTS / "overview.png", full_page=True)

            open_page(page, "Forecasts")
            frame = forecast_chart_frame(page)
            frame.locator(CHART_RENDERED).wait_for(state="attached", timeout=30_000)
            assert frame.locator("canvas").count() >= 2
            candles = frame.locator("body").get_attribute("data-chart-candles")
            assert candles is not None
            assert int(candles) > 0, "no price candles drawn"
            assert page.locator('[data-testid="stDataFrame"]').count() == 1
            _no_exception_boxes(page)
            page.screenshot(path=SCREENSHOTS / "forecasts.png", full_page=True)

            open_page(page, "Signals")
            _charts_drawn(page, 1)  # the heatmap
            _no_exception_boxes(page)
            page.screenshot(path=SCREENSHOTS / "signals.png", full_page=True)

            open_page(page, "Risk")
            page.get_by_role("heading", name="Re-arm a breaker").wait_for()
            _charts_drawn(page, 2)  # factor history and state timeline
            assert page.get_by_role("button", name="Re-arm").count() == 1
            _no_exception_boxes(page)
            page.screenshot(path=SCREENSHOTS / "risk.png", full_page=True)

            open_page(page, "Performance")
            page.get_by_text("Side by side with a backtest").wait_for()
            _charts_drawn(page, 3)  # equity, drawdown, live beside the backtest
            _no_exception_boxes(page)
            page.screenshot(path=SCREENSHOTS / "performance.png", full_page=True)

            open_page(page, "Backtests")
            page.get_by_text("Import a LEAN result file").wait_for()
            page.get_by_text("Orders (2)").wait_for()
            _charts_drawn(page, 2)  # the run's equity and drawdown
            _no_exception_boxes(page)
            page.screenshot(path=SCREENSHOTS / "backtests.png", full_page=True)

            open_page(page, "Strategy configuration")
            page.get_by_role("heading", name="Change history").wait_for()
            # Every kind of field is drawn, the checkbox of a boolean key included.
            page.get_by_role("checkbox", name="auto_clear_stale").wait_for()
            assert page.get_by_role("button", name="Save changes").count() == 1
            _no_exception_boxes(page)
            page.screenshot(path=SCREENSHOTS / "strategy.png", full_page=True)
        finally:
            browser.close()


def test_viewer_is_not_offered_operator_actions(stack: tuple[BackendServer, str]) -> None:
    from playwright.sync_api import sync_playwright

    backend, url = stack
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1500})
        try:
            log_in(page, url, backend.viewer, backend.password)
            open_page(page, "Risk")
            page.get_by_role("heading", name="Breaker trips").wait_for()
            assert page.get_by_role("button", name="Re-arm").count() == 0
            open_page(page, "Backtests")
            page.get_by_text("Orders (2)").wait_for()
            assert page.get_by_text("Import a LEAN result file").count() == 0
            open_page(page, "Strategy configuration")
            assert page.get_by_role("button", name="Save changes").count() == 0
            page.get_by_text("needs the operator role").wait_for()
            _no_exception_boxes(page)
            page.screenshot(path=SCREENSHOTS / "strategy-viewer.png", full_page=True)
        finally:
            browser.close()
