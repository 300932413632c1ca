"""The scheduled ingestion task against a local Binance stand-in: table, LEAN folder, health."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from backend.common.monitoring.metrics import HTTP_REGISTRY
from backend.market import ingestion
from backend.market.models import Bar, Feed, FeedRun, RefusedBar
from tests.backend.market.feed_support import (
    Exchange,
    at,
    hours,
    make_feed,
    table,
)
from tests.unit.market_data.ingest.fake_exchange import hourly_klines, milliseconds

pytestmark = pytest.mark.django_db


def test_incremental_runs_store_exactly_the_new_closed_bars(exchange: Exchange) -> None:
    make_feed(symbols=("BTCUSDT", "ETHUSDT"))
    first = exchange.run("binance-test", at("2024-05-01 05:30"))
    assert (first["status"], first["stored"], first["new_bars"]) == ("succeeded", 10, 10)
    expected = hours("00:00", "01:00", "02:00", "03:00", "04:00")
    for symbol in ("BTCUSDT", "ETHUSDT"):
        assert list(table(symbol).index) == expected
        assert list(exchange.lean(symbol.lower()).index) == expected
    # 05:00 closes with other values than it had while forming; 06:00 and 07:00 follow
    exchange.binance.klines.update(hourly_klines("2024-05-01 05:00", 3))
    second = exchange.run("binance-test", at("2024-05-01 08:10"))
    assert (second["stored"], second["new_bars"]) == (12, 6)  # 3 overlap + 3 new, twice
    every_hour = list(pd.date_range("2024-05-01", periods=8, freq="h"))
    stored = table()
    assert list(stored.index) == every_hour
    assert list(exchange.lean().index) == every_hour
    assert stored.loc[pd.Timestamp("2024-05-01 05:00"), "open"] == 9000.0
    assert stored.loc[pd.Timestamp("2024-05-01 05:00"), "timestamp"] == at("2024-05-01 06:00")
    run = FeedRun.objects.filter(feed__name="binance-test").first()
    assert run is not None
    assert (run.status, run.fetched, run.new_bars, run.gaps_remaining) == ("succeeded", 12, 6, 0)
    assert run.series["BTCUSDT"]["last_bar_time"] == "2024-05-01T07:00:00"


def test_two_runs_store_every_bar_once(exchange: Exchange) -> None:
    make_feed()
    exchange.run("binance-test", at("2024-05-01 05:30"))
    path = exchange.data_folder / "crypto/binance/hour/btcusdt_trade.zip"
    before = path.read_bytes()
    again = exchange.run("binance-test", at("2024-05-01 05:40"))
    assert (again["new_bars"], again["stored"]) == (0, 3)  # the overlap, rewritten as it was
    assert Bar.objects.filter(asset="BTCUSDT").count() == 5
    assert path.read_bytes() == before
    assert not exchange.lean().index.has_duplicates


def test_the_forming_bar_is_never_stored(exchange: Exchange) -> None:
    make_feed()
    exchange.run("binance-test", at("2024-05-01 05:59"))
    forming = pd.Timestamp("2024-05-01 05:00")
    assert forming not in table().index
    assert forming not in exchange.lean().index
    assert not Bar.objects.filter(start=at("2024-05-01 05:00")).exists()


def test_a_bad_bar_is_refused_with_its_reason_and_shown_in_the_api(
    exchange: Exchange, client_for: Any
) -> None:
    bad = exchange.binance.klines[milliseconds("2024-05-01 02:00")]
    bad[2], bad[3] = bad[3], bad[2]  # high below low
    make_feed()
    result = exchange.run("binance-test", at("2024-05-01 05:30"))
    assert (result["status"], result["stored"]) == ("succeeded", 4)
    assert list(table().index) == hours("00:00", "01:00", "03:00", "04:00")
    assert list(exchange.lean().index) == hours("00:00", "01:00", "03:00", "04:00")
    refused = RefusedBar.objects.get()
    assert (refused.symbol, refused.reason, refused.bar_time) == (
        "BTCUSDT",
        "inconsistent_range",
        at("2024-05-01 02:00"),
    )
    assert refused.message.startswith("btcusdt hour bar at 2024-05-01 02:00:00 is inconsistent")
    assert refused.values["high"] < refused.values["low"]
    viewer = client_for("viewer")
    listed = viewer.get("/api/market/refused-bars/", {"feed": "binance-test"}).json()
    assert [row["reason"] for row in listed["results"]] == ["inconsistent_range"]
    assert listed["results"][0]["bar_time"] == "2024-05-01T02:00:00Z"
    other = viewer.get("/api/market/refused-bars/", {"reason": "bad_price"}).json()
    assert other["results"] == []
    status = viewer.get("/api/market/feeds/binance-test/").json()["status"]
    assert status["refused_bars"] == 1
    assert status["gaps"] == 1  # the refused bar is a gap until the exchange corrects it
    run = viewer.get("/api/market/feeds/binance-test/runs/").json()["results"][0]
    assert run["refused"] == {"inconsistent_range": 1}
    # seen again on the next run (overlap): the same record, counted
    exchange.run("binance-test", at("2024-05-01 05:45"))
    assert RefusedBar.objects.get().times_seen == 2


def test_a_gap_is_found_and_filled(exchange: Exchange, client_for: Any) -> None:
    missing = {
        t: exchange.binance.klines.pop(t) for t in map(milliseconds, hours("01:00", "02:00"))
    }
    make_feed(overlap=1)
    first = exchange.run("binance-test", at("2024-05-01 05:30"))
    assert first["status"] == "succeeded"
    assert list(table().index) == hours("00:00", "03:00", "04:00")
    status = client_for("viewer").get("/api/market/feeds/binance-test/").json()["status"]
    [series] = status["series"]
    assert (series["gaps"], series["gap_ranges"][0]["bars"]) == (1, 2)
    exchange.binance.klines.update(missing)  # the exchange has them now
    exchange.binance.klines.update(hourly_klines("2024-05-01 05:00", 2))
    exchange.run("binance-test", at("2024-05-01 06:30"))
    run = FeedRun.objects.filter(feed__name="binance-test").first()
    assert run is not None
    assert (run.gaps_found, run.gaps_filled, run.gaps_remaining) == (1, 1, 0)
    every_hour = list(pd.date_range("2024-05-01", periods=6, freq="h"))
    assert list(table().index) == every_hour
    assert list(exchange.lean().index) == every_hour


def test_a_run_stopped_between_the_table_and_the_folder_is_completed_by_the_next(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_feed(symbols=("BTCUSDT", "ETHUSDT"))
    exchange.run("binance-test", at("2024-05-01 05:30"))
    exchange.binance.klines.update(hourly_klines("2024-05-01 05:00", 3))
    real_write = ingestion.LeanFolderStore.write

    def dies_on_eth(self: Any, series: Any, bars: pd.DataFrame) -> int:
        if series.symbol == "ethusdt":
            raise OSError("killed while writing the LEAN file")
        return int(real_write(self, series, bars))

    monkeypatch.setattr(ingestion.LeanFolderStore, "write", dies_on_eth)
    broken = exchange.run("binance-test", at("2024-05-01 08:10"))
    assert broken["status"] == "partial"  # BTCUSDT went through, ETHUSDT did not
    assert len(table("ETHUSDT")) == 8  # the table's transaction had committed
    assert len(exchange.lean("ethusdt")) == 5  # the old file, whole
    monkeypatch.setattr(ingestion.LeanFolderStore, "write", real_write)
    repaired = exchange.run("binance-test", at("2024-05-01 08:20"))
    assert repaired["status"] == "succeeded"
    every_hour = list(pd.date_range("2024-05-01", periods=8, freq="h"))
    for symbol in ("BTCUSDT", "ETHUSDT"):
        assert list(table(symbol).index) == every_hour
        assert list(exchange.lean(symbol.lower()).index) == every_hour
    assert Bar.objects.count() == 16


def test_a_feed_failing_three_times_is_unhealthy_while_another_keeps_running(
    exchange: Exchange, client_for: Any
) -> None:
    make_feed(name="good", symbols=("BTCUSDT",))
    make_feed(name="bad", symbols=("ETHUSDT",))
    exchange.failing_symbols.add("ETHUSDT")
    viewer = client_for("viewer")
    for attempt, minute in enumerate(("10", "20", "30"), start=1):
        now = at(f"2024-05-01 05:{minute}")
        assert exchange.run("bad", now)["status"] == "failed"
        assert exchange.run("good", now)["status"] == "succeeded"
        bad = Feed.objects.get(name="bad")
        assert bad.consecutive_failures == attempt
        assert bad.healthy is (attempt < 3)
    body = {
        feed["name"]: feed["status"] for feed in viewer.get("/api/market/feeds/").json()["results"]
    }
    assert body["bad"]["healthy"] is False
    assert body["bad"]["consecutive_failures"] == 3
    assert "502" in body["bad"]["last_error"] or "ProviderUnavailable" in body["bad"]["last_error"]
    assert body["good"]["healthy"] is True
    assert body["good"]["series"][0]["last_bar_time"] == "2024-05-01T04:00:00Z"
    assert HTTP_REGISTRY.get_sample_value("ats_market_feed_healthy", {"feed": "bad"}) == 0.0
    assert HTTP_REGISTRY.get_sample_value("ats_market_feed_healthy", {"feed": "good"}) == 1.0
    assert (
        HTTP_REGISTRY.get_sample_value("ats_market_feed_consecutive_failures", {"feed": "bad"})
        == 3.0
    )
    exchange.failing_symbols.clear()  # the provider is back: one good run heals the feed
    assert exchange.run("bad", at("2024-05-01 05:40"))["status"] == "succeeded"
    bad = Feed.objects.get(name="bad")
    assert (bad.healthy, bad.consecutive_failures, bad.last_error) == (True, 0, "")
    assert HTTP_REGISTRY.get_sample_value("ats_market_feed_healthy", {"feed": "bad"}) == 1.0


def test_disabled_and_unknown_feeds_are_skipped(exchange: Exchange) -> None:
    make_feed(enabled=False)
    assert "skipped" in exchange.run("binance-test", at("2024-05-01 05:30"))
    assert "skipped" in exchange.run("no-such-feed", at("2024-05-01 05:30"))
    assert not Bar.objects.exists()
