"""Whatever the writer writes, the reader reads back identically (property-based)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from market_data.lean import read_bars, write_bars
from tests.unit.market_data.lean_files import read_zip

STEPS = {
    "daily": pd.Timedelta(days=1),
    "hour": pd.Timedelta(hours=1),
    "minute": pd.Timedelta(minutes=1),
}


@st.composite
def series(draw: st.DrawFn) -> tuple[str, str, pd.DataFrame]:
    security_type = draw(st.sampled_from(["equity", "crypto"]))
    resolution = draw(st.sampled_from(["daily", "hour", "minute"]))
    quote = resolution == "minute" or security_type == "crypto"
    bar_type = draw(st.sampled_from(["trade", "quote"] if quote else ["trade"]))
    offsets = draw(st.sets(st.integers(min_value=0, max_value=4000), min_size=1, max_size=25))
    times = pd.Timestamp("2019-12-30") + STEPS[resolution] * np.array(sorted(offsets))
    count = len(times)
    if security_type == "equity":
        price = st.integers(min_value=1, max_value=10**10).map(
            lambda deci_cents: deci_cents / 10_000
        )
        size = st.integers(min_value=0, max_value=10**12).map(float)
    else:
        price = st.floats(min_value=1e-8, max_value=1e9, allow_nan=False, allow_infinity=False)
        size = st.floats(min_value=0, max_value=1e12)
    prices = ("open", "high", "low", "close")
    if bar_type == "trade":
        columns = {c: [draw(price) for _ in range(count)] for c in prices}
        columns["volume"] = [draw(size) for _ in range(count)]
    else:
        columns = {}
        for side in ("bid", "ask"):
            # a side may be missing on some bars: empty prices and size 0, as LEAN writes it
            present = [draw(st.booleans()) for _ in range(count)]
            for name in prices:
                columns[f"{side}_{name}"] = [draw(price) if p else np.nan for p in present]
            columns[f"{side}_size"] = [draw(size) if p else 0.0 for p in present]
    frame = pd.DataFrame(columns, index=pd.DatetimeIndex(times, name="time"))
    return security_type, resolution, frame


@settings(max_examples=80, deadline=None)
@given(series())
def test_written_then_read_is_identical(drawn: tuple[str, str, pd.DataFrame]) -> None:
    security_type, resolution, frame = drawn
    market = "usa" if security_type == "equity" else "binance"
    bar_type = "quote" if "bid_open" in frame.columns else "trade"
    key = {
        "security_type": security_type,
        "market": market,
        "symbol": "abc",
        "resolution": resolution,
    }
    with tempfile.TemporaryDirectory() as folder:
        write_bars(folder, frame, **key)
        back = read_bars(folder, **key, bar_type=bar_type)
        pd.testing.assert_frame_equal(
            back.drop(columns="end_time"), frame, check_exact=True, check_freq=False
        )
        before = {p: read_zip(p) for p in Path(folder).rglob("*.zip")}
        # writing back what was read leaves the files' text unchanged
        write_bars(folder, back, **key)
        again = read_bars(folder, **key, bar_type=bar_type)
        pd.testing.assert_frame_equal(again, back, check_exact=True)
        assert before == {p: read_zip(p) for p in Path(folder).rglob("*.zip")}
