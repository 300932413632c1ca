"""The engine loads bars straight from Binance (a local server answering like Binance)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from engines.forecast.engine import ForecastEngine, ForecastEngineConfig
from engines.forecast.sources import BarRequest, BarSourceError, load_bars
from signal_bus import FORECAST_UPDATES, ForecastUpdate, InMemoryBus
from tests.unit.alpha_models.synthetic import random_walk_bars
from tests.unit.market_data.recorded_server import RecordedServer, Reply, Request

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
DAYS = pd.date_range(
    NOW.date() - dt.timedelta(days=800), NOW.date() - dt.timedelta(days=1), freq="D"
)


def _klines() -> dict[str, list[list[object]]]:
    frames = random_walk_bars(("BTCUSDT", "ETHUSDT"), days=len(DAYS), seed=13, momentum=0.2)
    table = {}
    for symbol, frame in frames.items():
        rows = []
        for day, bar in zip(DAYS, frame.itertuples(index=False), strict=True):
            open_ms = int(day.value // 1_000_000)
            rows.append(
                [
                    open_ms,
                    f"{bar.open:.2f}",
                    f"{bar.high:.2f}",
                    f"{bar.low:.2f}",
                    f"{bar.close:.2f}",
                    f"{bar.volume:.4f}",
                    open_ms + 86_399_999,
                    "0",
                    100,
                    "0",
                    "0",
                    "0",
                ]
            )
        table[symbol] = rows
    return table


KLINES = _klines()


def _serve(request: Request) -> Reply:
    symbol = request.query.get("symbol", "")
    if symbol not in KLINES:
        return Reply(400, {"code": -1121, "msg": "Invalid symbol."})
    start, end = int(request.query["startTime"]), int(request.query["endTime"])
    rows = [k for k in KLINES[symbol] if start <= int(k[0]) <= end]
    return Reply(200, rows[: int(request.query["limit"])])


@pytest.fixture
def binance(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordedServer]:
    with RecordedServer(_serve).running() as server:
        monkeypatch.setenv("BINANCE_BASE_URL", server.base_url)
        yield server


def _request(**changes: object) -> BarRequest:
    values: dict[str, object] = {
        "source": "binance",
        "data_folder": None,
        "security_type": "crypto",
        "market": "binance",
        "resolution": "daily",
        "symbols": ("BTCUSDT", "ETHUSDT"),
        "history_days": 760,
    }
    values.update(changes)
    return BarRequest(**values)  # type: ignore[arg-type]


def test_engine_forecasts_from_binance_klines(binance: RecordedServer, tmp_path: Path) -> None:
    bus = InMemoryBus()
    config = ForecastEngineConfig(bars=_request(), registry_folder=tmp_path, model="statsmodels")
    result = ForecastEngine(config, bus).run_cycle(NOW)
    assert {update.asset for update in result.forecasts} == {"BTCUSDT", "ETHUSDT"}
    update = bus.last(FORECAST_UPDATES, "ETHUSDT:1d")
    assert isinstance(update, ForecastUpdate)
    # the newest complete daily kline opened the day before NOW and closed at midnight UTC
    assert update.ts_event == dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    assert all(int(r.query["endTime"]) < int(NOW.timestamp() * 1000) for r in binance.requests)


def test_provider_errors_are_reported_clearly(binance: RecordedServer) -> None:
    with pytest.raises(BarSourceError, match="NOPEUSDT"):
        load_bars(_request(symbols=("NOPEUSDT",)), now=NOW)
    with pytest.raises(BarSourceError, match="current time"):
        load_bars(_request())
    with pytest.raises(BarSourceError, match="--security-type crypto"):
        _request(security_type="equity")
