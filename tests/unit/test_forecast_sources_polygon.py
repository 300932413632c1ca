"""The engine's polygon source, against a local server answering like Polygon's aggregates API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from engines.forecast.engine import ForecastEngine, ForecastEngineConfig
from engines.forecast.freshness import FreshnessRule
from engines.forecast.sources import BarRequest, BarSourceError, load_bars
from signal_bus import FORECAST_UPDATES, ForecastUpdate, InMemoryBus
from tests.unit.alpha_models.synthetic import random_walk_bars
from tests.unit.market_data.recorded_server import RecordedServer, Reply, Request, fixture

KEY = "test-key-not-a-secret"
NOW = dt.datetime(2026, 1, 12, 15, 0, tzinfo=dt.UTC)  # Monday 10:00 New York, market open
DAYS = pd.bdate_range(end="2026-01-12", periods=800)  # ends with Monday's forming bar


def _aggregates(last_day: str) -> list[dict[str, float]]:
    (frame,) = random_walk_bars(("X",), days=len(DAYS), seed=21, momentum=0.2).values()
    rows = []
    for day, bar in zip(DAYS, frame.itertuples(index=False), strict=True):
        if day > pd.Timestamp(last_day):
            break
        opened = day.tz_localize("America/New_York")
        rows.append(
            {
                "v": float(bar.volume),
                "vw": round(float(bar.close), 4),
                "o": round(float(bar.open), 2),
                "c": round(float(bar.close), 2),
                "h": round(float(bar.high), 2),
                "l": round(float(bar.low), 2),
                "t": int(opened.value // 1_000_000),
                "n": 1000,
            }
        )
    return rows


# MSFT's feed stopped a week ago; AAPL's includes Monday's still-forming daily bar.
AGGREGATES = {"AAPL": _aggregates("2026-01-12"), "MSFT": _aggregates("2026-01-02")}


def _serve(request: Request) -> Reply:
    parts = request.path.split("/")  # /v2/aggs/ticker/<T>/range/1/day/<from>/<to>
    ticker, start, end = parts[4], int(parts[8]), int(parts[9])
    if ticker not in AGGREGATES:
        return Reply(
            404, {"status": "NOT_FOUND", "request_id": "c1d2", "message": "no such ticker"}
        )
    results = [row for row in AGGREGATES[ticker] if start <= row["t"] <= end]
    body = {
        **fixture("polygon_aggs_empty.json"),
        "ticker": ticker,
        "results": results,
        "resultsCount": len(results),
        "queryCount": len(results),
        "count": len(results),
    }
    return Reply(200, body)


@pytest.fixture
def polygon(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordedServer]:
    with RecordedServer(_serve).running() as server:
        monkeypatch.setenv("MARKET_DATA_API_KEY", KEY)
        monkeypatch.setenv("POLYGON_BASE_URL", server.base_url)
        monkeypatch.setenv("POLYGON_REQUESTS_PER_MINUTE", "60000")
        yield server


def _request(**changes: object) -> BarRequest:
    values: dict[str, object] = {
        "source": "polygon",
        "data_folder": None,
        "security_type": "equity",
        "market": "usa",
        "resolution": "daily",
        "symbols": ("AAPL", "MSFT"),
        "history_days": 1200,
    }
    values.update(changes)
    return BarRequest(**values)  # type: ignore[arg-type]


def test_polygon_source_loads_closed_daily_bars_in_exchange_time(polygon: RecordedServer) -> None:
    frames = load_bars(_request(), now=NOW)
    aapl = frames["AAPL"]
    assert list(aapl.columns) == ["open", "high", "low", "close", "volume", "end_time"]
    # Monday's bar closes at 16:00 New York: not closed at 10:00, never returned
    assert aapl.index[-1] == pd.Timestamp("2026-01-09")
    assert aapl["end_time"].iloc[-1] == pd.Timestamp("2026-01-09 16:00")
    assert frames["MSFT"].index[-1] == pd.Timestamp("2026-01-02")
    for request in polygon.requests:
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert KEY not in request.raw_path
        parts = request.path.split("/")
        assert parts[6:8] == ["1", "day"]
        assert int(parts[9]) == int(NOW.timestamp() * 1000)
        assert int(parts[8]) == int((NOW - dt.timedelta(days=1200)).timestamp() * 1000)


def test_engine_forecasts_fresh_polygon_assets_only(
    polygon: RecordedServer, tmp_path: Path
) -> None:
    bus = InMemoryBus()
    config = ForecastEngineConfig(
        bars=_request(),
        registry_folder=tmp_path,
        model="statsmodels",
        gated=False,
        freshness=FreshnessRule.for_source("polygon"),
    )
    result = ForecastEngine(config, bus).run_cycle(NOW)
    assert [update.asset for update in result.forecasts] == ["AAPL"]
    assert [(item.asset, item.reason) for item in result.stale] == [("MSFT", "stale")]
    assert result.missing == ()
    update = bus.last(FORECAST_UPDATES, "AAPL:1d")
    assert isinstance(update, ForecastUpdate)
    # made on Friday's bar, complete at 16:00 New York (21:00 UTC)
    assert update.ts_event == dt.datetime(2026, 1, 9, 21, 0, tzinfo=dt.UTC)
    assert bus.last(FORECAST_UPDATES, "MSFT:1d") is None


def test_polygon_source_errors_are_clear(
    polygon: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(BarSourceError, match="not found"):
        load_bars(_request(symbols=("NOPE",)), now=NOW)
    with pytest.raises(BarSourceError, match="current time"):
        load_bars(_request())
    with pytest.raises(BarSourceError, match="--security-type equity"):
        _request(security_type="crypto", market="binance")
    monkeypatch.delenv("MARKET_DATA_API_KEY")
    with pytest.raises(BarSourceError, match="MARKET_DATA_API_KEY"):
        load_bars(_request(), now=NOW)
