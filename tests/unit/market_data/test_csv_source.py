"""Reading ordinary CSV files as bars."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from market_data.csv_source import CsvSourceError, read_csv_bars

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def test_single_file_takes_its_symbol_from_the_name(tmp_path: Path) -> None:
    path = tmp_path / "msft.csv"
    path.write_text(
        HEADER + "2020-01-03,158.32,159.95,158.06,158.62,150.1,21116200\n"
        "2020-01-02,158.78,160.73,158.33,160.62,152.0,22622100\n"
    )
    bars = read_csv_bars(path)
    assert list(bars) == ["MSFT"]
    frame = bars["MSFT"]
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert list(frame.index) == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]
    assert frame["close"].iloc[0] == 160.62
    assert frame.index.name == "time"


def test_symbol_column_splits_a_file(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text(
        "symbol,time,open,high,low,close,volume\n"
        "btcusdt,2024-01-01T00:00:00Z,1,2,0.5,1.5,10\n"
        "ethusdt,2024-01-01T00:00:00Z,3,4,2.5,3.5,20\n"
    )
    bars = read_csv_bars(path, symbol="ignored")
    assert sorted(bars) == ["BTCUSDT", "ETHUSDT"]
    assert str(bars["ETHUSDT"].index.tz) == "UTC"


def test_different_offsets_become_utc(tmp_path: Path) -> None:
    path = tmp_path / "spy.csv"
    path.write_text(
        "time,open,high,low,close,volume\n"
        "2024-03-08 09:30-05:00,1,1,1,1,1\n2024-03-11 09:30-04:00,1,1,1,1,1\n"
    )
    index = read_csv_bars(path)["SPY"].index
    assert list(index.tz_convert("America/New_York").hour) == [9, 9]
    assert list(index.hour) == [14, 13]


def test_folder_of_files(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.csv").write_text(
            "time,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n"
        )
    assert sorted(read_csv_bars(tmp_path)) == ["A", "B"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("when,open,high,low,close,volume\n2020-01-02,1,1,1,1,1\n", "no time column"),
        ("date,open,high,low,close\n2020-01-02,1,1,1,1\n", "missing columns volume"),
        (
            "date,open,high,low,close,volume\n2020-01-02,1,1,1,1,1\nyesterday,1,1,1,1,1\n",
            r"row 3: time 'yesterday' is not a date",
        ),
        (
            "date,open,high,low,close,volume\n2020-01-02,1,1,x,1,1\n",
            r"row 2: low 'x' is not a number",
        ),
        (
            "date,open,high,low,close,volume\n2020-01-02,1,1,1,1,\n",
            r"row 2: volume '' is not a number",
        ),
        (
            "date,open,high,low,close,volume\n2020-01-02,1,1,1,1,1\n2020-01-02,1,1,1,1,1\n",
            "two rows at",
        ),
        (
            "date,open,high,low,close,volume\n2020-01-02T00:00+01:00,1,1,1,1,1\n2020-01-03,1,1,1,1,1\n",
            "row 3: times mix",
        ),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(CsvSourceError, match=message):
        read_csv_bars(path)


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(CsvSourceError, match="no such file or folder"):
        read_csv_bars(tmp_path / "nope.csv")
    with pytest.raises(CsvSourceError, match="holds no .csv files"):
        read_csv_bars(tmp_path)
