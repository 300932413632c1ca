"""Listing the series in a LEAN data folder."""

from __future__ import annotations

from pathlib import Path

from market_data.lean import LeanSeries, available
from tests.unit.market_data.lean_files import write_zip


def test_lists_every_bar_series_and_ignores_other_lean_folders(tmp_path: Path) -> None:
    row = "20240102 00:00,1,1,1,1,1\n"
    write_zip(tmp_path / "equity/usa/daily/spy.zip", "spy.csv", row)
    write_zip(tmp_path / "equity/usa/hour/aapl.zip", "aapl.csv", row)
    for day in ("20240102", "20240103"):
        write_zip(tmp_path / f"equity/usa/minute/spy/{day}_trade.zip", "x.csv", "0,1,1,1,1,1\n")
    write_zip(
        tmp_path / "equity/usa/minute/spy/20240102_quote.zip", "x.csv", "0,1,1,1,1,1,1,1,1,1,1\n"
    )
    write_zip(tmp_path / "crypto/binance/hour/btcusdt_trade.zip", "btcusdt.csv", row)
    write_zip(tmp_path / "crypto/binance/hour/btcusdt_quote.zip", "btcusdt.csv", row)
    (tmp_path / "equity/usa/map_files").mkdir(parents=True)
    (tmp_path / "equity/usa/map_files/spy.csv").write_text("20240102,spy\n")
    (tmp_path / "equity/usa/daily/notes.txt").write_text("not data")
    (tmp_path / "option/usa/minute").mkdir(parents=True)
    assert available(tmp_path) == [
        LeanSeries("crypto", "binance", "btcusdt", "hour", "quote", 1),
        LeanSeries("crypto", "binance", "btcusdt", "hour", "trade", 1),
        LeanSeries("equity", "usa", "aapl", "hour", "trade", 1),
        LeanSeries("equity", "usa", "spy", "daily", "trade", 1),
        LeanSeries("equity", "usa", "spy", "minute", "quote", 1),
        LeanSeries("equity", "usa", "spy", "minute", "trade", 2),
    ]


def test_empty_or_missing_folder(tmp_path: Path) -> None:
    assert available(tmp_path) == []
    assert available(tmp_path / "missing") == []
