"""Planning and running imports into a LEAN data folder."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from market_data.importing import (
    ImportConfig,
    ImportRequestError,
    ImportTask,
    import_bars,
    plan_import,
)
from market_data.lean import read_bars
from market_data.providers.binance import BinanceClient, BinanceClientConfig
from market_data.providers.retry import RetryConfig
from tests.unit.market_data.recorded_server import RecordedServer
from tests.unit.market_data.test_binance_client import serve_klines

TODAY = date(2024, 6, 1)


def test_bundled_plan_has_one_task_per_default_symbol(tmp_path: Path) -> None:
    tasks = plan_import(ImportConfig("bundled", tmp_path), today=TODAY)
    assert [t.symbol for t in tasks] == ["AAPL", "GOOG", "IBM", "MSFT"]


def test_web_plans_are_chunked_by_resolution(tmp_path: Path) -> None:
    config = ImportConfig(
        "binance", tmp_path, ("btcusdt",), "minute", start=date(2024, 1, 1), end=date(2024, 1, 20)
    )
    tasks = plan_import(config, today=TODAY)
    assert [(t.start, t.end) for t in tasks] == [
        (date(2024, 1, 1), date(2024, 1, 7)),
        (date(2024, 1, 8), date(2024, 1, 14)),
        (date(2024, 1, 15), date(2024, 1, 20)),
    ]
    assert {t.symbol for t in tasks} == {"BTCUSDT"}
    open_ended = ImportConfig("polygon", tmp_path, ("aapl",), "daily", start=date(2024, 5, 1))
    assert plan_import(open_ended, today=TODAY) == [ImportTask("AAPL", date(2024, 5, 1), TODAY)]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"source": "yahoo"}, "source must be one of"),
        ({"source": "bundled", "resolution": "hour"}, "daily US equity only"),
        (
            {
                "source": "binance",
                "symbols": ("x",),
                "start": date(2024, 1, 1),
                "security_type": "equity",
            },
            "Binance serves crypto",
        ),
        ({"source": "binance", "start": date(2024, 1, 1)}, "needs --symbols"),
        ({"source": "polygon", "symbols": ("aapl",)}, "needs --start"),
        ({"source": "csv"}, "needs --csv-path"),
        ({"source": "bundled", "start": date(2024, 1, 2), "end": date(2024, 1, 1)}, "is after end"),
    ],
)
def test_invalid_requests(tmp_path: Path, arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ImportRequestError, match=message):
        ImportConfig(data_folder=tmp_path, **arguments)  # type: ignore[arg-type]


def test_bundled_import_writes_lean_files_within_dates(tmp_path: Path) -> None:
    config = ImportConfig(
        "bundled", tmp_path, ("ibm",), start=date(2010, 1, 1), end=date(2010, 12, 31)
    )
    done: list[tuple[str, int]] = []
    outcomes = import_bars(
        config,
        plan_import(config, today=TODAY),
        on_task_done=lambda t, n: done.append((t.symbol, n)),
    )
    assert [(o.symbol, o.rows, o.error) for o in outcomes] == [("IBM", 252, None)]
    assert done == [("IBM", 252)]
    bars = read_bars(
        tmp_path, security_type="equity", market="usa", symbol="ibm", resolution="daily"
    )
    assert bars.index[0] == pd.Timestamp("2010-01-04")
    assert bars.index[-1] == pd.Timestamp("2010-12-31")
    assert len(bars) == 252


def test_failing_symbol_is_reported_and_others_continue(tmp_path: Path) -> None:
    config = ImportConfig(
        "binance",
        tmp_path,
        ("nope", "btcusdt"),
        "hour",
        start=date(2018, 5, 1),
        end=date(2018, 5, 1),
    )
    with RecordedServer(serve_klines).running() as server:
        client = BinanceClient(
            BinanceClientConfig(
                base_url=server.base_url,
                requests_per_second=math.inf,
                retry=RetryConfig(max_attempts=1),
            ),
        )
        outcomes = import_bars(config, plan_import(config, today=TODAY), binance=client)
    by_symbol = {o.symbol: o for o in outcomes}
    assert by_symbol["NOPE"].rows == 0
    assert "UnknownSymbolError" in str(by_symbol["NOPE"].error)
    assert by_symbol["BTCUSDT"].rows == 5
    assert by_symbol["BTCUSDT"].files == {tmp_path / "crypto/binance/hour/btcusdt_trade.zip"}
    bars = read_bars(
        tmp_path, security_type="crypto", market="binance", symbol="btcusdt", resolution="hour"
    )
    assert len(bars) == 5


def test_csv_symbol_missing_from_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("symbol,date,open,high,low,close,volume\nAAA,2024-01-02,1,1,1,1,1\n")
    config = ImportConfig("csv", tmp_path / "data", ("BBB", "AAA"), csv_path=path)
    outcomes = import_bars(config, plan_import(config, today=TODAY))
    assert [(o.symbol, o.rows) for o in outcomes] == [("BBB", 0), ("AAA", 1)]
    assert "no rows for BBB; the CSV holds AAA" in str(outcomes[0].error)
