"""Browser steps shared by the browser test and the render benchmark (Playwright, system Chromium)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from .backend_server import ROOT
from .dashboard_server import CHROMIUM_ARGUMENTS, CHROMIUM_PATH

BROWSER_TEST_MARKS = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM_PATH).exists(),
        reason=f"no Chromium at {CHROMIUM_PATH} (Debian package 'chromium')",
    ),
]
"""The marks of a test that drives the dashboard in Chromium (real backend, PostgreSQL, Redis)."""

SCREENSHOTS = Path(os.environ.get("ATS_ARTIFACTS_DIR", ROOT / "artifacts")) / "dashboard"
"""Where browser tests save screenshots (not committed)."""

EXCEPTION_SELECTOR = '[data-testid="stException"]'
CHART_RENDERED = "body[data-chart-rendered]"


def launch_chromium(playwright: Any) -> Any:
    """Headless system Chromium (never a downloaded browser)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGUMENTS
    )


def log_in(page: Any, url: str, username: str, password: str) -> None:
    """Open the dashboard and log in; wait for the Overview page."""
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=30_000)


def open_page(page: Any, title: str, heading: str | None = None) -> None:
    """Follow the sidebar link ``title`` and wait for the page's heading and the run to end."""
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=heading or title, exact=True).wait_for(timeout=30_000)
    wait_until_idle(page)


def wait_until_idle(page: Any, timeout_seconds: float = 30) -> None:
    """Wait until Streamlit reports the script run finished."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count()
        if running == 0:
            return
        time.sleep(0.05)
    raise TimeoutError("the page kept running")


def forecast_chart_frame(page: Any) -> Any:
    """The Lightweight Charts iframe of the Forecasts page."""
    return page.frame_locator("iframe").first
