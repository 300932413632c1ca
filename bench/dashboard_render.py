"""Forecasts page render time in a real browser: 20 assets x one year of hourly forecasts.

Seeds a fresh backend (its own PostgreSQL database), starts the dashboard, logs in with
headless Chromium and times, from the user's click to a complete page (the Lightweight
Charts canvas drawn with every point and the forecast table shown):

- ``first_visit``: opening the Forecasts page (default 30-day window, nothing cached);
- ``year_window``: switching to the 365-day window (8,760 points, nothing cached);
- ``asset_switch``: choosing another asset with the year window (nothing cached), repeated;
- ``asset_switch_cached``: back to an asset already shown (cached reads).

Also times the API read behind one year of one asset with the dashboard's client.
Goal: first complete render under 2 s.

Usage: ``python bench/dashboard_render.py [--assets 20] [--hours 8760] [--repeats 3] [--json]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "Library")]

from dashboard.clients.api import BackendClient  # noqa: E402
from tests.dashboard import scenario  # noqa: E402
from tests.dashboard.backend_server import running_backend  # noqa: E402
from tests.dashboard.browser import (  # noqa: E402
    EXCEPTION_SELECTOR,
    launch_chromium,
    log_in,
    open_page,
)
from tests.dashboard.dashboard_server import CHROMIUM_PATH, running_dashboard  # noqa: E402

GOAL_SECONDS = 2.0
SCREENSHOTS = ROOT / "artifacts" / "dashboard"
TIMEOUT_MS = 120_000


def _wait_complete(page: Any, asset: str, points: int | None) -> None:
    """Wait for the chart of ``asset`` (with ``points`` points when given) and the table."""
    frame = page.frame_locator("iframe").first
    frame.locator("#legend", has_text=f"{asset} · 1h").wait_for(timeout=TIMEOUT_MS)
    marker = f'body[data-chart-rendered="{points}"]' if points else "body[data-chart-rendered]"
    frame.locator(marker).wait_for(state="attached", timeout=TIMEOUT_MS)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_text(f"{points} forecasts" if points else "forecasts").first.wait_for(
        timeout=TIMEOUT_MS
    )


def _choose(page: Any, label: str, option: str) -> None:
    page.get_by_label(label).click()
    page.get_by_role("option", name=option, exact=True).click()


def measure(*, assets: int, hours: int, repeats: int) -> dict[str, Any]:
    """Seed, serve, drive the browser; return the timings in seconds."""
    from playwright.sync_api import sync_playwright

    names = sorted(scenario.asset_names(assets))  # the page lists assets alphabetically
    seed_started = time.perf_counter()
    with running_backend(assets=assets, hours=hours, horizons="1h", seed_timeout=3600) as backend:
        seed_seconds = time.perf_counter() - seed_started
        api = BackendClient(base_url=backend.url, timeout_seconds=60)
        session = api.login(backend.viewer, backend.password)
        api_seconds = []
        for asset in names[:repeats]:
            started = time.perf_counter()
            rows = api.forecasts(
                session, asset=asset, horizon="1h",
                since=scenario.END - timedelta(days=365), limit=20_000,
            )  # fmt: skip
            api_seconds.append(time.perf_counter() - started)
            assert len(rows) == min(hours, 365 * 24 + 1), len(rows)
        api.close()
        # The window includes both ends: a 30-day window holds 721 hourly forecasts.
        year_points = min(hours, 365 * 24 + 1)
        timings: dict[str, list[float]] = {
            "first_visit": [], "year_window": [], "asset_switch": [], "asset_switch_cached": [],
        }  # fmt: skip
        with running_dashboard(api_url=backend.url) as url, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            try:
                log_in(page, url, backend.viewer, backend.password)
                started = time.perf_counter()
                page.get_by_test_id("stSidebarNav").get_by_text("Forecasts", exact=True).click()
                _wait_complete(page, names[0], min(hours, 30 * 24 + 1))
                timings["first_visit"].append(time.perf_counter() - started)

                started = time.perf_counter()
                _choose(page, "Window", "365 days")
                _wait_complete(page, names[0], year_points)
                timings["year_window"].append(time.perf_counter() - started)
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=SCREENSHOTS / "bench-forecasts-year.png")

                for asset in names[1 : repeats + 1]:
                    started = time.perf_counter()
                    _choose(page, "Asset", asset)
                    _wait_complete(page, asset, year_points)
                    timings["asset_switch"].append(time.perf_counter() - started)

                for asset in names[:repeats]:
                    started = time.perf_counter()
                    _choose(page, "Asset", asset)
                    _wait_complete(page, asset, year_points)
                    timings["asset_switch_cached"].append(time.perf_counter() - started)
                if page.locator(EXCEPTION_SELECTOR).count():
                    raise RuntimeError("the page shows an exception")
                open_page(page, "Overview")
            finally:
                browser.close()
    summary = {
        name: {"median_seconds": round(statistics.median(values), 3),
               "max_seconds": round(max(values), 3), "runs": len(values)}
        for name, values in timings.items() if values
    }  # fmt: skip
    return {
        "benchmark": "dashboard_forecasts_render",
        "assets": assets,
        "hours_per_asset": hours,
        "forecasts_stored": assets * hours,
        "points_drawn_year_window": year_points,
        "seed_seconds": round(seed_seconds, 1),
        "api_read_one_year_seconds": round(statistics.median(api_seconds), 3),
        "render": summary,
        "goal_seconds": GOAL_SECONDS,
        "first_render_meets_goal": summary["first_visit"]["max_seconds"] < GOAL_SECONDS,
        "year_render_meets_goal": summary["year_window"]["max_seconds"] < GOAL_SECONDS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=20)
    parser.add_argument("--hours", type=int, default=365 * 24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    options = parser.parse_args(argv)
    if not Path(CHROMIUM_PATH).exists():
        print(f"no Chromium at {CHROMIUM_PATH}; install Debian's chromium", file=sys.stderr)
        return 2
    result = measure(assets=options.assets, hours=options.hours, repeats=options.repeats)
    if options.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['forecasts_stored']} forecasts stored ({result['assets']} assets), "
              f"seeded in {result['seed_seconds']} s")  # fmt: skip
        print(f"API read of one asset-year: {result['api_read_one_year_seconds']} s")
        for name, figures in result["render"].items():
            print(f"{name:>20}: median {figures['median_seconds']} s, "
                  f"max {figures['max_seconds']} s over {figures['runs']}")  # fmt: skip
        print(f"goal < {GOAL_SECONDS} s: first render "
              f"{'met' if result['first_render_meets_goal'] else 'missed'}, year window "
              f"{'met' if result['year_render_meets_goal'] else 'missed'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
