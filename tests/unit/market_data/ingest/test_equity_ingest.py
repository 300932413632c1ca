"""ingest() of US equity daily bars through Polygon: closed days are neither fetched nor gaps."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from market_data.ingest import LeanFolderStore, ingest
from market_data.ingest.fetchers import polygon_fetch
from market_data.lean import SeriesKey, read_bars
from market_data.providers.polygon import PolygonClient, PolygonClientConfig
from tests.unit.market_data.recorded_server import RecordedServer, Reply, Request

SPY = SeriesKey("equity", "usa", "spy", "daily")
# trading days from Fri 2023-12-22 to Wed 2024-01-03 (Christmas and New Year's Day closed)
DAYS = [
    "2023-12-22",
    "2023-12-26",
    "2023-12-27",
    "2023-12-28",
    "2023-12-29",
    "2024-01-02",
    "2024-01-03",
]


def polygon_day(day: str, number: int) -> dict[str, float]:
    """A Polygon day aggregate: ``t`` is the New York midnight that starts the day, in ms."""
    midnight = pd.Timestamp(day).tz_localize("America/New_York")
    price = 470.0 + number
    return {
        "t": midnight.value // 1_000_000,
        "o": price,
        "h": price + 2,
        "l": price - 2,
        "c": price + 1,
        "v": 1_000_000 + number,
    }


class FakePolygon:
    """``/v2/aggs`` for SPY day bars in the requested millisecond range."""

    def __init__(self, days: list[str]) -> None:
        self.results = [polygon_day(day, n) for n, day in enumerate(days)]
        self.paths: list[str] = []

    def __call__(self, request: Request) -> Reply:
        self.paths.append(request.path)
        *_, first, last = request.path.split("/")
        rows = [r for r in self.results if int(first) <= r["t"] <= int(last)]
        return Reply(
            200, {"ticker": "SPY", "status": "OK", "resultsCount": len(rows), "results": rows}
        )


def test_holidays_and_weekends_are_not_gaps_and_todays_bar_waits_for_the_close(
    tmp_path: Path,
) -> None:
    provider = FakePolygon(DAYS)
    store = LeanFolderStore(tmp_path / "data")
    now = datetime(2024, 1, 3, 20, 59, tzinfo=UTC)  # 15:59 New York: 01-03 still trading
    with RecordedServer(provider).running() as server:
        config = PolygonClientConfig(
            api_key="k", base_url=server.base_url, requests_per_minute=math.inf
        )
        with PolygonClient(config, clock=lambda: now) as client:
            first = ingest(SPY, polygon_fetch(client), store, now=now, start="2023-12-22")
            now = datetime(2024, 1, 3, 21, 0, tzinfo=UTC)  # the close
            second = ingest(SPY, polygon_fetch(client), store, now=now, start="2023-12-22")
    assert first.new_bars == 6
    assert first.gaps_remaining == ()
    assert (second.new_bars, second.gaps_found, second.gaps_remaining) == (1, (), ())
    assert provider.paths[0].startswith("/v2/aggs/ticker/SPY/range/1/day/")
    stored = read_bars(
        tmp_path / "data", security_type="equity", market="usa", symbol="spy", resolution="daily"
    )
    assert list(stored.index) == [pd.Timestamp(day) for day in DAYS]
    assert stored["close"].iloc[-1] == 471.0 + 6
