"""``ats data backfill``: chunks, the same stores as the task, resumable after a failure."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from ats.cli.main import cli
from backend.market.models import Bar, FeedRun
from tests.backend.market.feed_support import Exchange, exchange, make_feed, table
from tests.unit.market_data.ingest.fake_exchange import hourly_klines, milliseconds
from tests.unit.market_data.recorded_server import Reply, Request

pytestmark = pytest.mark.django_db
__all__ = ["exchange"]

DAYS = 75  # three chunks of hour bars: 30 + 30 + 15 days
SECOND_CHUNK = milliseconds("2024-05-31")


def backfill(*arguments: str) -> Any:
    return CliRunner().invoke(
        cli,
        ["data", "backfill", "--feed", "binance-test", "--start", "2024-05-01", *arguments],
        catch_exceptions=False,
    )


def test_backfill_loads_in_chunks_and_resumes_after_a_failure(exchange: Exchange) -> None:
    exchange.binance.klines = hourly_klines("2024-05-01", DAYS * 24)
    make_feed(symbols=("BTCUSDT", "ETHUSDT"))
    plain = exchange.respond

    def fails_after_the_first_chunk(request: Request) -> Reply:
        if int(request.query.get("startTime", 0)) >= SECOND_CHUNK:
            return Reply(502, raw=b"bad gateway")
        return plain(request)

    exchange.respond = fails_after_the_first_chunk  # type: ignore[method-assign]
    first = backfill("--end", "2024-07-14")
    assert first.exit_code == 1
    assert "backfill failed" in first.output
    for symbol in ("BTCUSDT", "ETHUSDT"):
        assert len(table(symbol)) == 30 * 24  # the first chunk, whole
        assert len(exchange.lean(symbol.lower())) == 30 * 24
    exchange.respond = plain  # type: ignore[method-assign]
    requests_before = len(exchange.binance.kline_requests)
    second = backfill("--end", "2024-07-14")
    assert second.exit_code == 0, second.output
    asked = [int(r.query["startTime"]) for r in exchange.binance.kline_requests[requests_before:]]
    assert asked
    assert min(asked) >= SECOND_CHUNK
    every_hour = list(pd.date_range("2024-05-01", periods=DAYS * 24, freq="h"))
    for symbol in ("BTCUSDT", "ETHUSDT"):
        assert list(table(symbol).index) == every_hour
        assert list(exchange.lean(symbol.lower()).index) == every_hour
    assert Bar.objects.count() == 2 * DAYS * 24
    runs = list(FeedRun.objects.filter(trigger="backfill").values_list("status", "stored"))
    assert runs == [("succeeded", 2 * 45 * 24), ("failed", 2 * 30 * 24)]
    third = backfill("--end", "2024-07-14")  # nothing left to do: no request at all
    assert third.exit_code == 0, third.output
    assert len(exchange.binance.kline_requests) == requests_before + len(asked)


def test_backfill_refuses_unknown_feeds_and_reversed_ranges(exchange: Exchange) -> None:
    unknown = CliRunner().invoke(
        cli, ["data", "backfill", "--feed", "nope", "--start", "2024-05-01"]
    )
    assert unknown.exit_code == 1
    assert "no feed named 'nope'" in unknown.output
    make_feed()
    reversed_range = backfill("--end", "2024-04-01")
    assert reversed_range.exit_code == 2
    assert "--end" in reversed_range.output
