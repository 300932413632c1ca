"""Feed ingestion rate (provider -> checks -> bar table + LEAN folder) against the raw writes.

Creates a scratch database (dropped afterwards) and a scratch LEAN folder, serves
``--symbols`` Binance spot symbols with ``--days`` days of hourly klines each from a local
HTTP server answering like Binance (``exchangeInfo``, ``klines``; the tests' stand-in) in a
process of its own, and measures in the same run:

* system: one ``backend.market.ingestion.feed_ingest_run`` first load of a feed holding every
  symbol: CCXT fetch (pages of 1,000 klines, CCXT's rate limiter off: the server is local),
  validation, the bar table's COPY + ``INSERT ... ON CONFLICT`` upsert and the LEAN writer;
* raw: the same rows ``COPY``'d (text format, the same table definition and indexes) into an
  empty table, plus ``market_data.lean.write_bars`` of the same frames into an empty folder.

The provider fetch alone (same client, same server) is reported too, as ``fetch_seconds``:
it is part of the system's time and has no counterpart in the raw path.
Goal: system time within 2x of raw. ``--json`` prints one object with ``system`` and
``raw`` (seconds, rows), ``ratio`` (system / raw) and the details.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg2

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from tests.unit.market_data.ingest.fake_exchange import (  # noqa: E402
    EXCHANGE_INFO,
    FakeBinance,
    hourly_klines,
)
from tests.unit.market_data.recorded_server import RecordedServer, Reply, Request  # noqa: E402

START = "2024-01-01"
FEED = "bench-binance-hour"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=1, help="system and raw runs, alternated")
    parser.add_argument("--db-host", default=os.environ.get("BENCH_DB_HOST", "127.0.0.1"))
    parser.add_argument("--db-user", default=os.environ.get("BENCH_DB_USER", "postgres"))
    parser.add_argument("--db-password", default=os.environ.get("BENCH_DB_PASS", ""))
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    if arguments.symbols < 1 or arguments.days < 1 or arguments.rounds < 1:
        parser.error("--symbols, --days and --rounds must be at least 1")
    return arguments


def symbol_names(count: int) -> list[str]:
    return [f"C{index:03d}USDT" for index in range(count)]


def exchange_info(symbols: list[str]) -> dict[str, Any]:
    """Binance's exchangeInfo (recorded) listing ``symbols`` as spot USDT pairs."""
    template = next(item for item in EXCHANGE_INFO["symbols"] if item["symbol"] == "BTCUSDT")
    info = copy.deepcopy(EXCHANGE_INFO)
    info["symbols"] = []
    for symbol in symbols:
        entry = copy.deepcopy(template)
        entry["symbol"] = symbol
        entry["baseAsset"] = symbol.removesuffix("USDT")
        info["symbols"].append(entry)
    return info


class Provider:
    """The Binance stand-in with many symbols (each serves the same klines)."""

    def __init__(self, symbols: list[str], hours: int) -> None:
        self.binance = FakeBinance(hourly_klines(START, hours + 1), symbols=symbols)
        self.info = exchange_info(symbols)
        self.times = sorted(self.binance.klines)

    def __call__(self, request: Request) -> Reply:
        if request.path == "/api/v3/exchangeInfo":
            return Reply(200, self.info)
        return self.binance(request)


def serve(symbols: list[str], hours: int, ports: Any, stop: Any) -> None:
    """The provider in its own process, as a remote one would be (not sharing our GIL)."""
    with RecordedServer(Provider(symbols, hours)).running() as server:
        ports.put(server.base_url)
        stop.wait()


def setup_django(arguments: argparse.Namespace, database: str, base_url: str, folder: Path) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="backend.settings.development", DEBUG="0", LOG_LEVEL="WARNING",
        DB_HOST=arguments.db_host, DB_NAME=database, DB_USER=arguments.db_user,
        DB_PASS=arguments.db_password, DB_CONN_MAX_AGE="0",
        ATS_FEED_BASE_URLS=f"binance={base_url}", ATS_FEED_RATE_LIMIT="false",
        ATS_FEED_RETRY_ATTEMPTS="3", ATS_DATA_FOLDER=str(folder),
    )  # fmt: skip
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def now_after(hours: int) -> datetime:
    """The clock of the run: the last served kline is still forming."""
    return (pd.Timestamp(START, tz="UTC") + pd.Timedelta(hours=hours, minutes=30)).to_pydatetime()


def system_seconds(symbols: list[str], hours: int) -> tuple[float, int]:
    from backend.market.ingestion import feed_ingest_run
    from backend.market.models import Feed

    feed, _ = Feed.objects.update_or_create(
        name=FEED,
        defaults={
            "source": "ccxt",
            "exchange": "binance",
            "symbols": symbols,
            "resolution": "hour",
            "start": pd.Timestamp(START).date(),
        },
    )
    started = time.perf_counter()
    run = feed_ingest_run(feed=feed, now=now_after(hours))
    elapsed = time.perf_counter() - started
    if run.status != "succeeded":
        raise RuntimeError(f"the system run {run.status}: {run.error}")
    return elapsed, run.stored


def fetch_frames(symbols: list[str], base_url: str, hours: int) -> tuple[float, dict[str, Any]]:
    from market_data.providers.exchange import ExchangeClient, ExchangeClientConfig

    now = now_after(hours)
    config = ExchangeClientConfig(base_url=base_url, enable_rate_limit=False)
    started = time.perf_counter()
    with ExchangeClient(config, clock=lambda: now) as client:
        frames = {
            symbol: client.fetch_ohlcv(symbol, "1h", START, now.replace(tzinfo=None))
            for symbol in symbols
        }
    return time.perf_counter() - started, frames


def raw_seconds(frames: dict[str, Any], folder: Path) -> tuple[float, float, int]:
    """COPY of every row into an empty copy of the bar table, then LEAN files of the same bars."""
    from django.db import connection

    from market_data.lean import write_bars

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_bar")
        cursor.execute(
            "CREATE TABLE bench_raw_bar (LIKE market_bar INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)"
        )
    rows = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for symbol, frame in frames.items():
            starts = np.datetime_as_string(frame.index.to_numpy(), unit="s")
            ends = np.datetime_as_string(frame["end_time"].to_numpy(), unit="s")
            table = pd.DataFrame(
                {
                    "security_type": "crypto",
                    "market": "binance",
                    "asset": symbol,
                    "interval": "1h",
                    "timestamp": np.char.add(ends, "+00"),
                    "start": np.char.add(starts, "+00"),
                    **{name: frame[name].to_numpy() for name in ("open", "high", "low", "close")},
                    "volume": frame["volume"].to_numpy(),
                    "source": "raw",
                }
            )
            buffer = io.StringIO()
            table.to_csv(buffer, sep="\t", header=False, index=False)
            buffer.seek(0)
            cursor.cursor.copy_expert(
                "COPY bench_raw_bar (security_type, market, asset, interval, timestamp, start,"
                " open, high, low, close, volume, source) FROM STDIN",
                buffer,
            )
            rows += len(table)
    copy_elapsed = time.perf_counter() - started
    started = time.perf_counter()
    for symbol, frame in frames.items():
        write_bars(
            folder,
            frame,
            security_type="crypto",
            market="binance",
            symbol=symbol.lower(),
            resolution="hour",
        )
    return copy_elapsed, time.perf_counter() - started, rows


def reset(folder: Path) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE market_bar")
        cursor.execute("DELETE FROM market_feedrun")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


def main() -> None:
    arguments = parse_arguments()
    symbols = symbol_names(arguments.symbols)
    hours = arguments.days * 24
    database = f"ats_bench_bars_{os.getpid()}"
    admin = psycopg2.connect(
        host=arguments.db_host,
        user=arguments.db_user,
        password=arguments.db_password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    scratch = Path(tempfile.mkdtemp(prefix="ats-bench-bars-"))
    system_folder, raw_folder = scratch / "system", scratch / "raw"
    try:
        context = multiprocessing.get_context("spawn")
        ports, stop = context.Queue(), context.Event()
        provider = context.Process(target=serve, args=(symbols, hours, ports, stop), daemon=True)
        provider.start()
        try:
            base_url = ports.get(timeout=60)
            setup_django(arguments, database, base_url, system_folder)
            fetch_elapsed, frames = fetch_frames(symbols, base_url, hours)
            system_runs: list[float] = []
            raw_runs: list[tuple[float, float]] = []
            stored = rows = 0
            for _ in range(arguments.rounds):
                reset(system_folder)
                seconds, stored = system_seconds(symbols, hours)
                system_runs.append(seconds)
                reset(raw_folder)
                copy_elapsed, lean_elapsed, rows = raw_seconds(frames, raw_folder)
                raw_runs.append((copy_elapsed, lean_elapsed))
        finally:
            stop.set()
            provider.join(timeout=10)
        system = statistics.median(system_runs)
        raw = statistics.median(c + w for c, w in raw_runs)
        result = {
            "symbols": arguments.symbols,
            "days": arguments.days,
            "rounds": arguments.rounds,
            "system": {"seconds": round(system, 3), "rows": stored},
            "raw": {
                "seconds": round(raw, 3),
                "rows": rows,
                "copy_seconds": round(statistics.median(c for c, _ in raw_runs), 3),
                "lean_write_seconds": round(statistics.median(w for _, w in raw_runs), 3),
            },
            "ratio": round(system / raw, 3),
            "system_bars_per_second": round(stored / system),
            "raw_bars_per_second": round(rows / raw),
            "fetch_seconds": round(fetch_elapsed, 3),
            "system_seconds_runs": [round(value, 3) for value in system_runs],
            "goal": 2.0,
        }
        if arguments.json:
            print(json.dumps(result))
        else:
            print(f"{arguments.symbols} symbols x {arguments.days} days of hourly bars")
            print(f"system (fetch + checks + table + LEAN): {system:.2f} s, {stored:,} bars")
            print(
                f"raw (COPY {result['raw']['copy_seconds']} s + LEAN write "
                f"{result['raw']['lean_write_seconds']} s): {raw:.2f} s, {rows:,} bars"
            )
            print(f"provider fetch alone: {fetch_elapsed:.2f} s")
            print(f"system / raw: {system / raw:.2f} (goal <= 2)")
    finally:
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
