"""Market bars: the service, the API, ``manage.py import_bars`` and the embedded import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backend.embedded import bars_import
from backend.market.models import Bar
from backend.market.services import BarValues, bars_store
from market_data.lean import write_bars

pytestmark = pytest.mark.django_db
START = datetime(2025, 4, 5, tzinfo=UTC)


def hourly(count: int, *, start: datetime = START, base: float = 100.0) -> list[BarValues]:
    return [
        BarValues(
            timestamp=start + timedelta(hours=index),
            open=base + index,
            high=base + index + 2,
            low=base + index - 1,
            close=base + index + 1,
            volume=10.0 * (index + 1),
        )
        for index in range(count)
    ]


def test_store_is_idempotent_and_keeps_the_newest_values() -> None:
    assert bars_store(asset="btcusd", interval="1h", bars=hourly(5)) == 5
    assert bars_store(asset="BTCUSD", interval="1h", bars=hourly(5)) == 5
    assert Bar.objects.filter(asset="BTCUSD", interval="1h").count() == 5
    corrected = [BarValues(START, 100.0, 110.0, 90.0, 105.0, 1.0)]
    bars_store(asset="BTCUSD", interval="1h", bars=corrected, source="fix")
    bar = Bar.objects.get(asset="BTCUSD", interval="1h", timestamp=START)
    assert (bar.high, bar.close, bar.source) == (110.0, 105.0, "fix")
    assert Bar.objects.filter(asset="BTCUSD").count() == 5


@pytest.mark.parametrize(
    ("bar", "rule"),
    [
        (BarValues(START, 100.0, 99.0, 98.0, 99.5, 1.0), "high >= open"),
        (BarValues(START, 100.0, 101.0, 100.5, 100.8, 1.0), "low must be <="),
        (BarValues(START, 100.0, 101.0, 99.0, float("nan"), 1.0), "finite"),
        (BarValues(START, 100.0, 101.0, 99.0, 100.0, -1.0), "volume"),
        (BarValues(START.replace(tzinfo=None), 100.0, 101.0, 99.0, 100.0, 1.0), "aware"),
    ],
)
def test_a_bad_bar_stores_nothing(bar: BarValues, rule: str) -> None:
    with pytest.raises(ValueError, match=rule):
        bars_store(
            asset="ETHUSD", interval="1h", bars=[*hourly(3, start=START + timedelta(days=1)), bar]
        )
    assert not Bar.objects.filter(asset="ETHUSD").exists()


def test_bad_asset_or_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="asset"):
        bars_store(asset="  ", interval="1h", bars=hourly(1))
    with pytest.raises(ValueError, match="interval"):
        bars_store(asset="BTCUSD", interval="hourly", bars=hourly(1))
    assert not Bar.objects.exists()


def test_bars_api_roles(anonymous: Any, client_for: Any) -> None:
    assert anonymous.get("/api/market/bars/").status_code == 401
    assert client_for().get("/api/market/bars/").status_code == 403
    assert client_for("viewer").get("/api/market/bars/").status_code == 200


def test_bars_api_filters_and_shape(client_for: Any) -> None:
    bars_store(asset="BTCUSD", interval="1h", bars=hourly(10))
    bars_store(asset="ETHUSD", interval="1h", bars=hourly(4, base=2000.0))
    bars_store(asset="BTCUSD", interval="1d", bars=hourly(2))
    viewer = client_for("viewer")
    response = viewer.get(
        "/api/market/bars/",
        {
            "asset": "BTCUSD",
            "interval": "1h",
            "since": (START + timedelta(hours=2)).isoformat(),
            "until": (START + timedelta(hours=6)).isoformat(),
        },
    )
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["timestamp"] for row in rows] == [
        (START + timedelta(hours=hour)).isoformat().replace("+00:00", "Z") for hour in (5, 4, 3, 2)
    ]
    assert rows[-1] == {
        "asset": "BTCUSD", "interval": "1h", "timestamp": "2025-04-05T02:00:00Z",
        "open": 102.0, "high": 104.0, "low": 101.0, "close": 103.0, "volume": 30.0,
    }  # fmt: skip
    assert (
        viewer.get("/api/market/bars/", {"asset": "ETHUSD"}).json()["results"][0]["close"] == 2004.0
    )


def test_bars_api_cursor_pages_cover_every_bar_once(client_for: Any) -> None:
    bars_store(asset="SOLUSD", interval="1h", bars=hourly(25))
    viewer = client_for("viewer")
    seen: list[str] = []
    document = viewer.get("/api/market/bars/", {"asset": "SOLUSD", "page_size": 10}).json()
    pages = 1
    while True:
        seen.extend(row["timestamp"] for row in document["results"])
        if not document["next"]:
            break
        document = viewer.get(document["next"]).json()
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 25


def test_bad_filter_is_400(client_for: Any) -> None:
    response = client_for("viewer").get("/api/market/bars/", {"since": "yesterday"})
    assert response.status_code == 400


def lean_frame(starts: pd.DatetimeIndex, base: float) -> pd.DataFrame:
    count = len(starts)
    steps = pd.Series(range(count), dtype=float).to_numpy()
    return pd.DataFrame(
        {
            "open": base + steps,
            "high": base + steps + 2,
            "low": base + steps - 1,
            "close": base + steps + 1,
            "volume": 100.0 + steps,
        },
        index=pd.DatetimeIndex(starts, name="time"),
    )


@pytest.fixture
def lean_folder(tmp_path: Path) -> Path:
    hours = pd.date_range("2025-01-02 00:00", periods=6, freq="h")
    write_bars(tmp_path, lean_frame(hours, 40000.0), security_type="crypto", market="coinbase",
               symbol="BTCUSD", resolution="hour")  # fmt: skip
    days = pd.date_range("2025-01-02", periods=3, freq="B")
    write_bars(tmp_path, lean_frame(days, 500.0), security_type="equity", market="usa",
               symbol="SPY", resolution="daily")  # fmt: skip
    return tmp_path


def test_import_bars_command_reads_lean_data(lean_folder: Path) -> None:
    arguments = ["--data-folder", str(lean_folder), "--security-type", "crypto",
                 "--market", "coinbase", "--resolution", "hour", "--symbols", "btcusd"]  # fmt: skip
    call_command("import_bars", *arguments)
    call_command("import_bars", *arguments)
    bars = list(Bar.objects.filter(asset="BTCUSD", interval="1h").order_by("timestamp"))
    assert len(bars) == 6
    # A bar is stamped with its end: the 00:00 UTC hour ends at 01:00 UTC.
    assert bars[0].timestamp == datetime(2025, 1, 2, 1, tzinfo=UTC)
    assert (bars[0].open, bars[0].close, bars[0].volume) == (40000.0, 40001.0, 100.0)
    assert bars[0].source == "lean"


def test_equity_daily_bars_end_at_the_new_york_close(lean_folder: Path) -> None:
    written = bars_import(
        data_folder=str(lean_folder), security_type="equity", market="usa",
        resolution="daily", symbols=["SPY"],
    )  # fmt: skip
    assert written == 3
    first = Bar.objects.filter(asset="SPY", interval="1d").order_by("timestamp").first()
    assert first is not None
    assert first.timestamp == datetime(2025, 1, 2, 21, tzinfo=UTC)  # 16:00 EST
    assert first.close == pytest.approx(501.0)


def test_a_missing_series_stores_nothing(lean_folder: Path) -> None:
    with pytest.raises(CommandError, match="NOPE|nope"):
        call_command(
            "import_bars", "--data-folder", str(lean_folder), "--security-type", "crypto",
            "--market", "coinbase", "--resolution", "hour", "--symbols", "BTCUSD,NOPE",
        )  # fmt: skip
    assert not Bar.objects.exists()
    with pytest.raises(ValueError, match="does not exist"):
        bars_import(data_folder=str(lean_folder / "absent"), security_type="crypto",
                    market="coinbase", resolution="hour", symbols=["BTCUSD"])  # fmt: skip
    with pytest.raises(ValueError, match="at least one symbol"):
        bars_import(data_folder=str(lean_folder), security_type="crypto",
                    market="coinbase", resolution="hour", symbols=[" "])  # fmt: skip
