"""A US equity feed through Polygon, end to end: the scheduled task writes the bar table and
the LEAN folder, closed days are neither fetched nor gaps, today's bar waits for the close,
the feed API reports it, and the forecast engine's database loader reads what the LEAN
reader reads."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rest_framework.test import APIClient

from backend.market.history import load_bars_from_database
from backend.market.services import feed_create
from backend.market.tasks import ingest_feed
from engines.forecast.sources import BarRequest
from market_data.lean import read_bars
from tests.unit.market_data.ingest.test_equity_ingest import DAYS, FakePolygon
from tests.unit.market_data.recorded_server import RecordedServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def polygon(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakePolygon]:
    provider = FakePolygon(DAYS)
    monkeypatch.setenv("MARKET_DATA_API_KEY", "test-key")
    monkeypatch.setenv("POLYGON_REQUESTS_PER_MINUTE", str(math.inf))
    with RecordedServer(provider).running() as server:
        settings.MARKET_FEED_BASE_URLS = {"polygon": server.base_url}
        settings.MARKET_DATA_FOLDER = str(tmp_path / "data")
        settings.MARKET_FEED_RETRY_ATTEMPTS = 1
        settings.MARKET_FEED_RATE_LIMIT = False
        yield provider


def _run(now: datetime) -> dict[str, Any]:
    result: dict[str, Any] = ingest_feed.delay("spy-daily", now=now.isoformat()).get()
    return result


def test_a_polygon_equity_feed_stores_closed_sessions_in_both_stores(
    polygon: FakePolygon, settings: Any, client_for: Any
) -> None:
    feed_create(
        actor="test",
        values={
            "name": "spy-daily",
            "source": "polygon",
            "symbols": ["SPY"],
            "resolution": "daily",
            "start": pd.Timestamp("2023-12-22").date(),
        },
        today=pd.Timestamp("2024-06-01").date(),
    )
    # 15:59 New York on 2024-01-03: that session is still trading
    first = _run(datetime(2024, 1, 3, 20, 59, tzinfo=UTC))
    assert (first["status"], first["new_bars"]) == ("succeeded", 6)
    second = _run(datetime(2024, 1, 3, 21, 5, tzinfo=UTC))  # after the close
    assert (second["status"], second["new_bars"]) == ("succeeded", 1)
    assert all(path.startswith("/v2/aggs/ticker/SPY/range/1/day/") for path in polygon.paths)

    lean = read_bars(
        settings.MARKET_DATA_FOLDER,
        security_type="equity",
        market="usa",
        symbol="spy",
        resolution="daily",
    )
    assert [time.strftime("%Y-%m-%d") for time in lean.index] == DAYS  # no holiday, no weekend
    request = BarRequest(
        source="database",
        data_folder=None,
        security_type="equity",
        market="usa",
        resolution="daily",
        symbols=("SPY",),
        history_days=60,
    )
    loaded = load_bars_from_database(request, now=datetime(2024, 1, 3, 21, 5, tzinfo=UTC))
    pd.testing.assert_frame_equal(loaded["SPY"], lean, check_freq=False)

    client: APIClient = client_for("viewer")
    answer = client.get("/api/market/feeds/spy-daily/")
    assert answer.status_code == 200, answer.content
    status = answer.json()["status"]
    assert status["healthy"] is True
    assert status["gaps"] == 0  # Christmas, New Year's Day and the weekends are closed days
    (series,) = status["series"]
    assert series["symbol"] == "SPY"
    assert series["bars"] == len(DAYS)
    assert series["last_bar_time"].startswith("2024-01-03")
