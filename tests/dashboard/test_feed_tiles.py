"""The Overview's feeds table: health, newest bar, largest lag, gaps and refused bars."""

from __future__ import annotations

from typing import Any

from dashboard.clients.records import FeedRecord
from dashboard.components.feed_tiles import feeds_frame, lag_text


def _feed(name: str, **status: Any) -> FeedRecord:
    series = status.pop("series", [])
    return {
        "name": name,
        "source": "ccxt",
        "exchange": "binance",
        "market": "binance",
        "security_type": "crypto",
        "symbols": ["BTCUSDT", "ETHUSDT"],
        "resolution": "hour",
        "start": "2024-01-01",
        "overlap": 3,
        "enabled": status.pop("enabled", True),
        "failure_threshold": 3,
        "status": {
            "healthy": True,
            "consecutive_failures": 0,
            "last_error": "",
            "last_run_at": None,
            "last_success_at": None,
            "last_run_status": None,
            "lag_seconds": None,
            "gaps": 0,
            "refused_bars": 0,
            "series": series,
            **status,
        },
    }


def _series(symbol: str, last: str | None) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "bars": 10,
        "last_bar_time": last,
        "last_bar_end": None,
        "lag_seconds": None,
        "gaps": 0,
        "gap_ranges": [],
        "refused_bars": 0,
        "error": "",
    }


def test_lag_is_written_in_the_largest_unit_that_fits() -> None:
    assert [lag_text(v) for v in (None, 45, 720, 12_600, 172_800)] == [
        "—",
        "45 s",
        "12 min",
        "3.5 h",
        "2.0 d",
    ]


def test_each_feed_is_one_row_with_its_health_and_worst_figures() -> None:
    feeds = [
        _feed(
            "binance-hour",
            lag_seconds=600,
            gaps=2,
            refused_bars=1,
            last_run_status="succeeded",
            series=[
                _series("BTCUSDT", "2024-05-01T07:00:00Z"),
                _series("ETHUSDT", "2024-05-01T06:00:00Z"),
            ],
        ),
        _feed(
            "kraken-hour",
            healthy=False,
            consecutive_failures=3,
            last_error="ProviderUnavailableError: 503",
            last_run_status="failed",
        ),
        _feed("paused", enabled=False),
    ]
    frame = feeds_frame(feeds).set_index("feed")
    assert frame.loc["binance-hour", "health"] == "healthy"
    assert frame.loc["binance-hour", "last bar"] == "2024-05-01T07:00:00Z"
    assert frame.loc["binance-hour", "lag"] == "10 min"
    assert (frame.loc["binance-hour", "gaps"], frame.loc["binance-hour", "refused bars"]) == (2, 1)
    assert frame.loc["kraken-hour", "health"] == "unhealthy (3 failed runs)"
    assert frame.loc["kraken-hour", "last error"] == "ProviderUnavailableError: 503"
    assert frame.loc["kraken-hour", "last bar"] == "—"
    assert frame.loc["paused", "health"] == "disabled"
    assert frame.loc["paused", "last run"] == "never"
