"""Overview, Signals and Performance in headless Chromium, as a user sees them.

No Streamlit Deploy button (the dashboard's own config file sets the toolbar; the test
server passes no toolbar flag), the heatmap's edge legend, the Sharpe ratio. The
screenshots go to ``$ATS_ARTIFACTS_DIR/dashboard`` (default ``artifacts/dashboard``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dashboard.clients.api import BackendClient, BackendSession

from .backend_server import BackendServer
from .browser import (
    BROWSER_TEST_MARKS,
    EXCEPTION_SELECTOR,
    SCREENSHOTS,
    launch_chromium,
    log_in,
    open_page,
    wait_until_idle,
)
from .dashboard_server import running_dashboard

pytestmark = BROWSER_TEST_MARKS
VIEWPORT = {"width": 1400, "height": 1400}
DEPLOY_BUTTON = '[data-testid="stAppDeployButton"]'


@pytest.fixture(scope="module")
def dashboard_url(backend: BackendServer) -> Iterator[str]:
    # these pages are tested polling; the live socket has its own browser tests
    with running_dashboard(api_url=backend.url, updates_url="off") as url:
        yield url


@pytest.fixture
def page(backend: BackendServer, dashboard_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            opened = chromium.new_page(viewport=VIEWPORT)
            log_in(opened, dashboard_url, backend.viewer, backend.password)
            wait_until_idle(opened)
            yield opened
        finally:
            chromium.close()


def _no_deploy_button(page: Any) -> None:
    page.get_by_test_id("stToolbar").wait_for(state="attached", timeout=30_000)
    assert page.locator(DEPLOY_BUTTON).count() == 0
    assert page.get_by_role("button", name="Deploy").count() == 0


def _screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=True)


def test_overview_has_no_deploy_button(page: Any) -> None:
    _no_deploy_button(page)
    assert page.locator(EXCEPTION_SELECTOR).count() == 0
    _screenshot(page, "overview.png")


def test_signals_heatmap_names_the_edge_it_colours(page: Any) -> None:
    open_page(page, "Signals")
    page.get_by_text("0 (yellow) a coin flip (confidence 0.50)", exact=False).wait_for()
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=30_000)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
    _no_deploy_button(page)
    assert page.locator(EXCEPTION_SELECTOR).count() == 0
    _screenshot(page, "signals.png")


def test_performance_shows_the_sharpe_ratio(
    page: Any, client: BackendClient, viewer: BackendSession
) -> None:
    open_page(page, "Performance")
    sharpe = client.performance(viewer)["statistics"]["sharpe"]
    metric = page.get_by_test_id("stMetric").filter(has_text="Sharpe ratio")
    assert metric.get_by_test_id("stMetricValue").inner_text().strip() == f"{sharpe:.2f}"
    _no_deploy_button(page)
    assert page.locator(EXCEPTION_SELECTOR).count() == 0
    _screenshot(page, "performance.png")
