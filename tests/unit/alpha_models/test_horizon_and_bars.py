"""Horizon value type and bar alignment."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from alpha_models.bars import BarPanel
from signal_bus.horizon import Horizon
from tests.unit.alpha_models.synthetic import random_walk_bars


def test_horizon_bars_depend_on_resolution() -> None:
    assert Horizon("1d").bars("daily") == 1
    assert Horizon("1h").bars("hour") == 1
    assert Horizon("4h").bars("hour") == 4
    assert Horizon("1d").bars("hour", hours_per_day=7) == 7
    assert Horizon("1d").bars("hour") == 24
    assert Horizon("4h").duration == dt.timedelta(hours=4)


def test_horizon_bars_for_longer_and_minute_horizons() -> None:
    assert Horizon("2d").bars("daily") == 2
    assert Horizon("2d").bars("hour", hours_per_day=7) == 14
    assert Horizon("90m").bars("minute") == 90
    assert Horizon("120m").bars("hour") == 2
    assert Horizon("1h").bars("minute") == 60


def test_horizon_rejects_bad_spellings_and_sub_bar_horizons() -> None:
    for bad in ("0h", "4 h", "1w", "", "4H", "1.5h", "-1d", "1000000m"):
        with pytest.raises(ValueError, match="horizon must be"):
            Horizon(bad)
    with pytest.raises(ValueError, match="shorter than one daily bar"):
        Horizon("4h").bars("daily")
    with pytest.raises(ValueError, match="not a whole number of hourly bars"):
        Horizon("90m").bars("hour")
    with pytest.raises(ValueError, match="unknown resolution"):
        Horizon("1h").bars("weekly")


def test_panel_aligns_assets_on_the_union_of_times() -> None:
    frames = random_walk_bars(("AAA", "BBB"), days=30)
    frames["BBB"] = frames["BBB"].iloc[5:]
    panel = BarPanel.from_frames(frames)
    assert panel.assets == ("AAA", "BBB")
    assert len(panel.times) == 30
    assert panel.close["BBB"].iloc[:5].isna().all()
    assert panel.close["AAA"].notna().all()
    ends = panel.end_times_ns()
    assert ends[0, 1] == np.iinfo(np.int64).min
    assert ends[0, 0] == pd.Timestamp(frames["AAA"]["end_time"].iloc[0]).value


def test_panel_until_keeps_bars_up_to_the_cut() -> None:
    panel = BarPanel.from_frames(random_walk_bars(days=20))
    cut = panel.times[9]
    assert panel.until(cut).times[-1] == cut
    assert len(panel.until(cut).times) == 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["volume"]), "missing columns"),
        (lambda f: f.iloc[::-1], "sorted and unique"),
        (lambda f: f.assign(end_time=f.index), "after its bar's start"),
    ],
)
def test_panel_rejects_malformed_frames(change: object, message: str) -> None:
    frames = random_walk_bars(("AAA",), days=10)
    assert callable(change)
    with pytest.raises(ValueError, match=message):
        BarPanel.from_frames({"AAA": change(frames["AAA"])})
    with pytest.raises(ValueError, match="no assets"):
        BarPanel.from_frames({})
