"""The Models page in headless Chromium: what a viewer is not offered, an operator's rollback.

The screenshots go to ``$ATS_ARTIFACTS_DIR/dashboard`` (default ``artifacts/dashboard``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from dashboard.clients.api import BackendClient, BackendSession
from dashboard.components.model_frames import pair_label, versions_frame

from . import scenario
from .backend_server import BackendServer
from .browser import (
    BROWSER_TEST_MARKS,
    EXCEPTION_SELECTOR,
    SCREENSHOTS,
    launch_chromium,
    log_in,
    open_page,
)
from .dashboard_server import running_dashboard

pytestmark = BROWSER_TEST_MARKS
# Tall enough for the whole page: Streamlit scrolls inside its own container.
VIEWPORT = {"width": 1400, "height": 3000}
ROW_PIXELS = 35
"""Height of the header and of each row of Streamlit's table (Glide Data Grid)."""


@pytest.fixture(scope="module")
def dashboard_url(backend: BackendServer) -> Iterator[str]:
    # these pages are tested polling; the live socket has its own browser tests
    with running_dashboard(api_url=backend.url, updates_url="off") as url:
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


def _open_models(page: Any) -> None:
    open_page(page, "Models")
    page.get_by_role("heading", name="Versions", exact=True).wait_for(timeout=30_000)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)


def _champion_line(page: Any, asset_group: str, horizon: str) -> str:
    """The text of the champion line of one asset group and horizon."""
    lines = page.get_by_test_id("stMarkdownContainer").filter(
        has_text=re.compile(f"^{re.escape(pair_label(asset_group, horizon))}:")
    )
    assert lines.count() == 1
    return str(lines.first.inner_text())


def _rollback_box(page: Any, asset_group: str, horizon: str) -> Any:
    """Open the rollback of one asset group and horizon; return its expander."""
    box = page.get_by_test_id("stExpander").filter(
        has_text=f"Roll back {pair_label(asset_group, horizon)}"
    )
    box.get_by_text(f"Roll back {pair_label(asset_group, horizon)}").click()
    return box


def test_viewer_is_offered_no_rollback_or_status_change(
    backend: BackendServer,
    dashboard_url: str,
    browser: Any,
    client: BackendClient,
    viewer: BackendSession,
) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    log_in(page, dashboard_url, backend.viewer, backend.password)
    _open_models(page)
    page.get_by_text("no live model — nothing trades").first.wait_for()
    assert page.get_by_text("Roll back", exact=False).count() == 0
    assert page.get_by_role("button", name="Change status").count() == 0
    assert page.get_by_role("heading", name="Champions").count() == 1
    assert page.locator(EXCEPTION_SELECTOR).count() == 0

    # Clicking a version's row shows its record: the failed gates with their numbers.
    name = f"{scenario.FORECAST_MODEL}@{scenario.UNTRADABLE_VERSION}"
    frame = versions_frame(client.model_versions(viewer))
    position = [f"{row.model}@{row.version}" for row in frame.itertuples()].index(name)
    grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    page.mouse.click(grid["x"] + 15, grid["y"] + ROW_PIXELS * (position + 1.5))
    page.get_by_role("heading", name=name, exact=True).wait_for(timeout=30_000)
    # The table draws on a canvas; its cells are kept, hidden, for accessibility.
    page.get_by_text(scenario.FAILED_GATE_LINES[1]).wait_for(state="attached", timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "models-viewer.png")


def test_operator_rolls_back_in_the_browser(
    backend: BackendServer, dashboard_url: str, browser: Any
) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    log_in(page, dashboard_url, backend.operator, backend.password)
    _open_models(page)
    group, horizon = scenario.BROWSER_ROLLBACK_PAIR
    retired = scenario.CHAMPIONS[scenario.BROWSER_ROLLBACK_PAIR]
    restored = scenario.BROWSER_ROLLBACK_PREVIOUS
    assert retired in _champion_line(page, group, horizon)

    # Nothing to roll back to: the backend's sentence appears as it wrote it.
    first_group, first_horizon = scenario.FIRST_CHAMPION_PAIR
    box = _rollback_box(page, first_group, first_horizon)
    box.get_by_label("Reason (required, audited)").fill("try to go back")
    box.get_by_role("button", name="Roll back").click()
    page.get_by_text(
        f"asset_group, horizon: {scenario.CHAMPIONS[scenario.FIRST_CHAMPION_PAIR]} is the first "
        f"champion of asset group '{first_group}', horizon '{first_horizon}': nothing to roll "
        "back to (no_previous_champion)"
    ).wait_for(timeout=30_000)

    box = _rollback_box(page, group, horizon)
    box.get_by_label("Reason (required, audited)").fill("seed-1 drifts since the data change")
    box.get_by_role("button", name="Roll back").click()
    page.get_by_text(
        f"Rolled back {pair_label(group, horizon)}: {retired} retired, {restored} live again."
    ).wait_for(timeout=30_000)
    page.get_by_role("heading", name=restored, exact=True).wait_for(timeout=30_000)
    reason = f"rollback from {retired}: seed-1 drifts since the data change"
    page.get_by_text(reason, exact=False).first.wait_for(timeout=30_000)
    assert restored in _champion_line(page, group, horizon)
    assert page.locator(EXCEPTION_SELECTOR).count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "models.png")
