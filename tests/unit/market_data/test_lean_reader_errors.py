"""Bad LEAN files and bad requests give a LeanDataError naming the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from market_data.lean import LeanDataError, read_bars
from tests.unit.market_data.lean_files import write_zip

GOOD = "20131007 00:00,1674100,1680000,1661500,1673900,85000000\n"


def _read_spy_daily(folder: Path) -> None:
    read_bars(folder, security_type="equity", market="usa", symbol="spy", resolution="daily")


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(LeanDataError, match=r"no such LEAN data file: .*equity/usa/daily/spy\.zip"):
        _read_spy_daily(tmp_path)


def test_missing_minute_folder(tmp_path: Path) -> None:
    with pytest.raises(LeanDataError, match="no LEAN trade minute files for spy"):
        read_bars(tmp_path, security_type="equity", market="usa", symbol="spy", resolution="minute")


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ("20131008 00:00,1,2,3", "expected 6 comma-separated fields, found 4"),
        ("20131008 00:00,1,2,3,4,5,6", "expected 6 comma-separated fields, found 7"),
        ("2013-10-08,1,2,3,4,5", r"time is not 'yyyyMMdd HH:mm'"),
        ("20131008 00:00,1,abc,3,4,5", "high is not a number"),
        ("20131008 00:00,1,2,,4,5", "low is empty"),
        ("20131008 00:00,1,2,3,4,nan", "volume is not a finite number"),
        ("20131008 00:00,1,inf,3,4,5", "high is not a finite number"),
    ],
)
def test_bad_row_names_file_and_line(tmp_path: Path, bad_line: str, reason: str) -> None:
    write_zip(
        tmp_path / "equity/usa/daily/spy.zip",
        "spy.csv",
        GOOD + GOOD.replace("1007", "1009") + bad_line + "\n",
    )
    with pytest.raises(LeanDataError, match=rf"spy\.zip, line 3: {reason}"):
        _read_spy_daily(tmp_path)


def test_minute_time_out_of_range(tmp_path: Path) -> None:
    write_zip(
        tmp_path / "equity/usa/minute/spy/20131007_trade.zip", "x.csv", "86400000,1,1,1,1,1\n"
    )
    with pytest.raises(LeanDataError, match="line 1: time is not milliseconds since midnight"):
        read_bars(tmp_path, security_type="equity", market="usa", symbol="spy", resolution="minute")


def test_duplicate_times_are_refused(tmp_path: Path) -> None:
    write_zip(tmp_path / "equity/usa/daily/spy.zip", "spy.csv", GOOD + GOOD)
    with pytest.raises(LeanDataError, match="2013-10-07 00:00:00 appears on more than one row"):
        _read_spy_daily(tmp_path)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "equity/usa/daily/spy.zip"
    path.parent.mkdir(parents=True)
    path.write_text(GOOD)
    with pytest.raises(LeanDataError, match="not a readable zip file"):
        _read_spy_daily(tmp_path)


def test_zip_without_csv(tmp_path: Path) -> None:
    write_zip(tmp_path / "equity/usa/daily/spy.zip", "readme.txt", "hello")
    with pytest.raises(LeanDataError, match="holds no CSV entry"):
        _read_spy_daily(tmp_path)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"security_type": "forex"}, "security_type must be one of equity, crypto"),
        ({"resolution": "second"}, "resolution must be one of daily, hour, minute"),
        ({"bar_type": "tick"}, "bar_type must be one of trade, quote"),
        ({"bar_type": "quote"}, "no daily equity quote file"),
        ({"symbol": "../etc"}, "not a valid LEAN ticker"),
    ],
)
def test_bad_requests(tmp_path: Path, arguments: dict[str, str], message: str) -> None:
    request = {"security_type": "equity", "market": "usa", "symbol": "spy", "resolution": "daily"}
    with pytest.raises(LeanDataError, match=message):
        read_bars(tmp_path, **(request | arguments))


def test_start_after_end(tmp_path: Path) -> None:
    write_zip(tmp_path / "equity/usa/daily/spy.zip", "spy.csv", GOOD)
    with pytest.raises(LeanDataError, match="is after end"):
        read_bars(
            tmp_path,
            security_type="equity",
            market="usa",
            symbol="spy",
            resolution="daily",
            start="2014-01-01",
            end="2013-01-01",
        )


def test_unreadable_bound(tmp_path: Path) -> None:
    write_zip(tmp_path / "equity/usa/daily/spy.zip", "spy.csv", GOOD)
    with pytest.raises(LeanDataError, match="not an ISO date"):
        read_bars(
            tmp_path,
            security_type="equity",
            market="usa",
            symbol="spy",
            resolution="daily",
            start="last tuesday",
        )
