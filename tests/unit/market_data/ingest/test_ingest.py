"""ingest() end to end: a local Binance stand-in, the CCXT client and a LEAN data folder."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from market_data.ingest import IngestReport, LeanFolderStore, ingest
from market_data.ingest.fetchers import exchange_fetch
from market_data.lean import SeriesKey, available, read_bars
from market_data.providers import ProviderUnavailableError, RetryConfig
from market_data.providers.exchange import ExchangeClient, ExchangeClientConfig
from tests.unit.market_data.ingest.fake_exchange import (
    FakeBinance,
    hourly_klines,
    kline,
    milliseconds,
)
from tests.unit.market_data.recorded_server import RecordedServer, Reply, Request, scripted

HOUR = SeriesKey("crypto", "binance", "btcusdt", "hour")
MINUTE = SeriesKey("crypto", "binance", "btcusdt", "minute")
START = "2024-05-01"


def at(text: str) -> datetime:
    """An aware UTC moment."""
    return pd.Timestamp(text).tz_localize("UTC").to_pydatetime()


@dataclass
class Harness:
    """The exchange stand-in, a client on it with a settable clock, and a LEAN store."""

    exchange: FakeBinance
    server: RecordedServer
    store: LeanFolderStore
    now: datetime = field(default_factory=lambda: at("2024-05-01 05:30"))
    sleeps: list[float] = field(default_factory=list)

    def client(self) -> ExchangeClient:
        config = ExchangeClientConfig(
            base_url=self.server.base_url,
            page_limit=3,
            enable_rate_limit=False,
            retry=RetryConfig(max_attempts=4, base_delay_seconds=0.5),
        )
        return ExchangeClient(config, sleep=self.sleeps.append, clock=lambda: self.now)

    def run(self, series: SeriesKey = HOUR, **options: Any) -> IngestReport:
        with self.client() as client:
            return ingest(
                series,
                exchange_fetch(client),
                self.store,
                now=self.now,
                start=options.pop("start", START),
                **options,
            )

    def stored(self, series: SeriesKey = HOUR) -> pd.DataFrame:
        return read_bars(
            self.store.data_folder,
            security_type=series.security_type,
            market=series.market,
            symbol=series.symbol,
            resolution=series.resolution,
        )


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    exchange = FakeBinance(hourly_klines(START, 6))  # 00:00 .. 05:00, 05:00 forming at 05:30
    with RecordedServer(lambda request: exchange(request)).running() as server:
        yield Harness(
            exchange=exchange,
            server=server,
            store=LeanFolderStore(tmp_path / "data", refusal_log=tmp_path / "refused.jsonl"),
        )


def hours(*stamps: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(f"2024-05-01 {stamp}") for stamp in stamps]


def test_incremental_runs_store_exactly_the_new_closed_bars(harness: Harness) -> None:
    first = harness.run()
    assert first.window.first_load
    assert (first.fetched, first.stored, first.new_bars) == (5, 5, 5)
    assert list(harness.stored().index) == hours("00:00", "01:00", "02:00", "03:00", "04:00")
    # the 05:00 bar finishes with other values than it had while forming; 06:00, 07:00 follow
    harness.exchange.klines.update(hourly_klines("2024-05-01 05:00", 3))
    harness.now = at("2024-05-01 08:10")
    second = harness.run()
    assert (second.window.start, second.window.end) == (*hours("02:00", "08:00"),)
    assert (second.fetched, second.stored, second.new_bars) == (6, 6, 3)
    stored = harness.stored()
    assert list(stored.index) == list(pd.date_range("2024-05-01", periods=8, freq="h"))
    assert stored.loc[pd.Timestamp("2024-05-01 05:00"), "open"] == 9000.0  # final values
    assert second.last_bar_time == pd.Timestamp("2024-05-01 07:00")
    assert second.gaps_remaining == ()


def test_running_twice_stores_every_bar_once(harness: Harness) -> None:
    harness.run()
    path = HOUR.single_file(harness.store.data_folder)
    before = path.read_bytes()
    again = harness.run()
    assert (again.new_bars, again.stored) == (0, 3)  # the overlap, rewritten identically
    assert path.read_bytes() == before
    assert not harness.stored().index.has_duplicates


def test_the_forming_bar_is_never_stored(harness: Harness) -> None:
    # a provider that ignores the window and sends the forming bar anyway
    with harness.client() as client:

        def eager(series: SeriesKey, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
            return client.fetch_ohlcv(
                "BTC/USDT", "1h", start, end + pd.Timedelta(hours=1), complete_only=False
            )

        report = ingest(HOUR, eager, harness.store, now=harness.now, start=START)
    assert report.ignored == 1
    assert pd.Timestamp("2024-05-01 05:00") not in harness.stored().index
    assert harness.stored().index.max() == pd.Timestamp("2024-05-01 04:00")


def test_a_bad_bar_is_refused_with_its_reason_and_the_others_stored(
    harness: Harness, tmp_path: Path
) -> None:
    bad = harness.exchange.klines[milliseconds("2024-05-01 02:00")]
    bad[2], bad[3] = bad[3], bad[2]  # high below low
    report = harness.run()
    assert report.refused == {"inconsistent_range": 1}
    assert report.stored == 4
    assert list(harness.stored().index) == hours("00:00", "01:00", "03:00", "04:00")
    [(series, refused)] = harness.store.refusals
    assert series == HOUR
    assert refused.time == pd.Timestamp("2024-05-01 02:00")
    logged = [json.loads(line) for line in (tmp_path / "refused.jsonl").read_text().splitlines()]
    assert logged[0]["reason"] == "inconsistent_range"
    assert logged[0]["symbol"] == "btcusdt"
    assert logged[0]["message"].startswith(
        "btcusdt hour bar at 2024-05-01 02:00:00 is inconsistent"
    )
    assert [(g.start, g.missing_bars) for g in report.gaps_remaining] == [(hours("02:00")[0], 1)]


def test_a_gap_is_found_and_filled_by_the_next_run(harness: Harness) -> None:
    missing = {
        t: harness.exchange.klines.pop(t) for t in map(milliseconds, hours("01:00", "02:00"))
    }
    first = harness.run()
    assert list(harness.stored().index) == hours("00:00", "03:00", "04:00")
    assert [(g.start, g.end, g.missing_bars) for g in first.gaps_remaining] == [
        (*hours("01:00", "02:00"), 2)
    ]
    harness.exchange.klines.update(missing)  # the exchange has them now
    harness.now = at("2024-05-01 06:30")
    harness.exchange.klines.update(hourly_klines("2024-05-01 05:00", 2))
    requests_before = len(harness.exchange.kline_requests)
    second = harness.run(overlap=1)
    asked = [int(r.query["startTime"]) for r in harness.exchange.kline_requests[requests_before:]]
    assert milliseconds("2024-05-01 01:00") in asked  # the gap's own request
    assert [(g.start, g.missing_bars) for g in second.gaps_found] == [(hours("01:00")[0], 2)]
    assert second.gaps_filled == second.gaps_found
    assert second.gaps_remaining == ()
    assert list(harness.stored().index) == list(pd.date_range(START, periods=6, freq="h"))


def test_retries_on_rate_limits_and_server_errors_never_duplicate_a_bar(
    harness: Harness,
) -> None:
    harness.run()
    harness.exchange.klines.update(hourly_klines("2024-05-01 05:00", 4))
    harness.now = at("2024-05-01 08:30")
    flaky = scripted(
        Reply(429, {"code": -1003, "msg": "Too many requests."}, headers={"Retry-After": "3"}),
        Reply(503, raw=b"busy"),
        harness.exchange,
    )

    def route(request: Request) -> Reply:
        if request.path == "/api/v3/klines":
            return flaky(request)
        return harness.exchange(request)

    harness.server.responder = route
    report = harness.run()
    assert harness.sleeps == [3.0, 1.0]
    assert report.new_bars == 3
    stored = harness.stored()
    assert list(stored.index) == list(pd.date_range(START, periods=8, freq="h"))
    assert not stored.index.has_duplicates


def test_a_failing_provider_stores_nothing(harness: Harness) -> None:
    harness.run()
    before = harness.stored()
    harness.server.responder = scripted(
        lambda request: (
            harness.exchange(request)
            if request.path == "/api/v3/exchangeInfo"
            else Reply(502, raw=b"gateway")
        )
    )
    harness.now = at("2024-05-01 09:30")
    with pytest.raises(ProviderUnavailableError, match="gave up after 4"):
        harness.run()
    pd.testing.assert_frame_equal(harness.stored(), before)


CRASHING_RUN = textwrap.dedent(
    """
    import os, sys
    from datetime import datetime
    from market_data.ingest import LeanFolderStore, ingest
    from market_data.ingest.fetchers import exchange_fetch
    from market_data.lean import SeriesKey
    from market_data.providers.exchange import ExchangeClient, ExchangeClientConfig

    base_url, folder, resolution, now, start, crash_at = sys.argv[1:]
    replaced = []
    real_replace = os.replace

    def replace_then_crash(source, target):
        # the process dies as if killed: no cleanup, no exception handlers
        if len(replaced) == int(crash_at):
            os._exit(3)
        replaced.append(target)
        real_replace(source, target)

    os.replace = replace_then_crash
    series = SeriesKey("crypto", "binance", "btcusdt", resolution)
    config = ExchangeClientConfig(base_url=base_url, enable_rate_limit=False)
    client = ExchangeClient(config, clock=lambda: datetime.fromisoformat(now))
    ingest(series, exchange_fetch(client), LeanFolderStore(folder), now=datetime.fromisoformat(now), start=start)
    os._exit(0)
    """
)


def crash_during_ingest(
    harness: Harness, series: SeriesKey, *, start: str, crash_at: int
) -> subprocess.CompletedProcess[str]:
    """Run one ingest step in another process that dies before its ``crash_at``-th file swap."""
    arguments = [
        harness.server.base_url,
        str(harness.store.data_folder),
        series.resolution,
        harness.now.isoformat(),
        start,
        str(crash_at),
    ]
    return subprocess.run(
        [sys.executable, "-c", CRASHING_RUN, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_crash_while_replacing_a_file_leaves_the_old_file_whole(harness: Harness) -> None:
    harness.run()
    path = HOUR.single_file(harness.store.data_folder)
    before = path.read_bytes()
    harness.exchange.klines.update(hourly_klines("2024-05-01 05:00", 3))
    harness.now = at("2024-05-01 08:30")
    crashed = crash_during_ingest(harness, HOUR, start=START, crash_at=0)
    assert crashed.returncode == 3, crashed.stderr
    assert path.read_bytes() == before  # the old file, untouched
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert len(leftovers) == 1
    assert leftovers[0].startswith(".btcusdt_trade.zip.")  # a hidden temporary file only
    assert [s.symbol for s in available(harness.store.data_folder)] == ["btcusdt"]
    report = harness.run()
    assert report.new_bars == 3
    assert list(harness.stored().index) == list(pd.date_range(START, periods=8, freq="h"))


def test_a_run_killed_mid_batch_is_completed_by_the_next_one_storing_each_bar_once(
    harness: Harness,
) -> None:
    minute = 60_000
    first = milliseconds("2024-05-01 23:50")
    harness.exchange.klines = {
        first + i * minute: kline(first + i * minute, i, interval_ms=minute) for i in range(20)
    }
    harness.now = at("2024-05-02 00:10")  # 23:50 .. 00:09 closed: two day files
    crashed = crash_during_ingest(harness, MINUTE, start="2024-05-01 23:50", crash_at=1)
    assert crashed.returncode == 3, crashed.stderr
    assert list(MINUTE.day_files(harness.store.data_folder)) == [pd.Timestamp("2024-05-01").date()]
    assert len(harness.stored(MINUTE)) == 10  # the first day's file, whole
    report = harness.run(MINUTE, start="2024-05-01 23:50")
    assert report.new_bars == 10
    stored = harness.stored(MINUTE)
    assert list(stored.index) == list(pd.date_range("2024-05-01 23:50", periods=20, freq="min"))
    assert not stored.index.has_duplicates


def test_ingest_each_fetches_the_next_series_while_storing_and_isolates_failures(
    tmp_path: Path,
) -> None:
    import threading

    from market_data.ingest.run import ingest_each

    symbols = ("btcusdt", "ethusdt", "badusdt", "solusdt")
    series_list = [SeriesKey("crypto", "binance", symbol, "hour") for symbol in symbols]
    threads: set[str] = set()

    def fetch(series: SeriesKey, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        threads.add(threading.current_thread().name)
        if series.symbol == "badusdt":
            raise ProviderUnavailableError("503 from the exchange")
        times = pd.date_range(start, end, freq="h", inclusive="left", name="time")
        base = 100.0 + symbols.index(series.symbol)
        return pd.DataFrame(
            {"open": base, "high": base + 1, "low": base - 1, "close": base, "volume": 5.0},
            index=times,
        )

    now = at("2024-05-01 05:30")
    store = LeanFolderStore(tmp_path / "each")
    outcomes = list(ingest_each(series_list, fetch, store, now=now, start=START))
    assert [series.symbol for series, _ in outcomes] == list(symbols)
    failed = dict(outcomes)[series_list[2]]
    assert isinstance(failed, ProviderUnavailableError)
    # the same as one ingest() per series, in a folder of its own
    alone = LeanFolderStore(tmp_path / "alone")
    for series, outcome in outcomes:
        if series.symbol == "badusdt":
            continue
        assert isinstance(outcome, IngestReport)
        expected = ingest(series, fetch, alone, now=now, start=START)
        assert (outcome.fetched, outcome.stored, outcome.new_bars) == (5, 5, 5)
        assert (outcome.window, outcome.last_bar_time) == (expected.window, expected.last_bar_time)
        mine = read_bars(store.data_folder, **_coordinates(series))
        pd.testing.assert_frame_equal(mine, read_bars(alone.data_folder, **_coordinates(series)))
    # every fetch of ingest_each ran in its one background thread, never in the caller's
    background = {name for name in threads if name.startswith("ingest-fetch")}
    assert len(background) == 1
    assert threading.current_thread().name in threads  # the plain ingest() calls above


def _coordinates(series: SeriesKey) -> dict[str, str]:
    return {
        "security_type": series.security_type,
        "market": series.market,
        "symbol": series.symbol,
        "resolution": series.resolution,
    }
