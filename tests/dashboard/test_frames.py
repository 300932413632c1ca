"""Pure shaping of API records."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.components.charts import signal_heatmap_chart
from dashboard.components.frames import (
    EDGE_LEGEND,
    drawdown_from_equity,
    equity_series,
    horizon_minutes,
    monthly_returns_table,
    percent,
    sharpe_text,
    signal_edge,
    signal_matrix,
    sorted_horizons,
    state_segments,
    utc_text,
    utc_times,
)


def test_horizons_sort_by_length() -> None:
    assert sorted_horizons(["1d", "4h", "15m", "1h", "4h"]) == ["15m", "1h", "4h", "1d"]
    assert horizon_minutes("2d") == 2880
    assert sorted_horizons(["weird", "1h"]) == ["1h", "weird"]


def test_signal_matrix_keeps_the_newest_signal_per_pair() -> None:
    signals = [
        {"asset": "BTCUSD", "horizon": "4h", "direction": 1, "confidence": 0.6, "active": True,
         "timestamp": "2026-01-01T00:00:00Z"},
        {"asset": "BTCUSD", "horizon": "4h", "direction": -1, "confidence": 0.7, "active": True,
         "timestamp": "2026-01-01T04:00:00Z"},
        {"asset": "SPY", "horizon": "1h", "direction": 1, "confidence": 0.9, "active": True,
         "timestamp": "2026-01-01T01:00:00Z"},
    ]  # fmt: skip
    matrix = signal_matrix(signals)
    assert list(matrix.columns) == ["1h", "4h"]
    assert matrix.loc["BTCUSD", "4h"] == pytest.approx(-0.4)  # short at 0.7: edge -(2 × 0.7 - 1)
    assert matrix.loc["SPY", "1h"] == pytest.approx(0.8)
    assert math.isnan(matrix.loc["SPY", "4h"])


def test_signal_edge_draws_a_coin_flip_as_neutral_whatever_its_direction() -> None:
    direction = pd.Series([1, -1, 1, -1, 0, 1])
    confidence = pd.Series([0.5, 0.5, 0.75, 0.9, 0.8, 0.4])
    edge = signal_edge(direction, confidence)
    assert list(edge.round(6)) == [0.0, 0.0, 0.5, -0.8, 0.0, -0.2]


def test_signal_heatmap_colours_the_edge_and_names_it_in_the_legend() -> None:
    signals = [
        {"asset": asset, "horizon": "1d", "direction": direction, "confidence": confidence,
         "active": True, "timestamp": "2026-01-01T00:00:00Z"}
        for asset, direction, confidence in (("AAPL", 1, 0.5), ("IBM", -1, 0.5), ("MSFT", 1, 1.0))
    ]  # fmt: skip
    chart = signal_heatmap_chart(signals)
    assert chart is not None
    spec = chart.to_dict()
    color = spec["layer"][0]["encoding"]["color"]
    assert color["field"] == "edge"
    assert color["scale"]["domain"] == [-1, 1]
    assert " ".join(color["title"]) == " ".join(EDGE_LEGEND)
    assert " ".join(EDGE_LEGEND) == "edge = direction × (2 × confidence − 1)"
    rows = {row["asset"]: row for row in next(iter(spec["datasets"].values()))}
    assert rows["AAPL"]["edge"] == rows["IBM"]["edge"] == 0.0  # coin flips: neutral, not ±0.5
    assert rows["AAPL"]["label"] == "+0.00"
    assert rows["MSFT"]["edge"] == pytest.approx(1.0)


def test_sharpe_text_reads_the_backends_key_and_shows_a_flat_curve_as_zero() -> None:
    assert sharpe_text({"sharpe": 0.8123, "volatility": 0.1})[0] == "0.81"
    assert sharpe_text({"sharpe_ratio": 0.8123})[0] == "—"  # not a key the backend sends
    flat = {"sharpe": None, "volatility": 0.0, "total_return": 0.0, "periods": 2052}
    value, why = sharpe_text(flat)
    assert value == "0.00"
    assert "never moved" in why
    assert sharpe_text({"sharpe": None, "periods": 0})[0] == "—"
    assert sharpe_text({"sharpe": float("nan")})[0] == "—"


def test_state_segments_join_runs_of_one_state() -> None:
    history = [
        {"timestamp": "2026-01-01T03:00:00Z", "state": "halted"},
        {"timestamp": "2026-01-01T00:00:00Z", "state": "active"},
        {"timestamp": "2026-01-01T01:00:00Z", "state": "active"},
        {"timestamp": "2026-01-01T02:00:00Z", "state": "reducing"},
    ]
    segments = state_segments(history)
    assert list(segments["state"]) == ["active", "reducing", "halted"]
    assert segments["end"].iloc[0] == pd.Timestamp("2026-01-01T02:00:00Z")
    assert segments["end"].iloc[-1] == pd.Timestamp("2026-01-01T04:00:00Z")  # one interval on
    ongoing = state_segments(history + [{"timestamp": "2026-01-01T05:00:00Z", "state": "halted"}])
    assert ongoing["end"].iloc[-1] == pd.Timestamp("2026-01-01T05:00:00Z")


def test_drawdown_is_measured_from_the_running_peak() -> None:
    equity = equity_series(
        [{"timestamp": f"2026-01-0{day}T00:00:00Z", "equity": value}
         for day, value in ((1, 100.0), (2, 120.0), (3, 90.0), (4, 130.0))]
    )  # fmt: skip
    assert list(drawdown_from_equity(equity).round(6)) == [0.0, 0.0, 0.25, 0.0]


def test_monthly_returns_compound_within_each_month() -> None:
    points = [
        {"timestamp": "2025-12-31T00:00:00Z", "equity": 100.0},
        {"timestamp": "2026-01-15T00:00:00Z", "equity": 105.0},
        {"timestamp": "2026-01-31T00:00:00Z", "equity": 110.0},
        {"timestamp": "2026-02-28T00:00:00Z", "equity": 99.0},
    ]
    table = monthly_returns_table(equity_series(points))
    assert table.loc[2026, "Jan"] == pytest.approx(0.10)
    assert table.loc[2026, "Feb"] == pytest.approx(-0.10)
    assert table.loc[2026, "Year"] == pytest.approx(-0.01)
    assert table.loc[2025, "Dec"] == pytest.approx(0.0)
    assert math.isnan(table.loc[2026, "Mar"])


def test_percent_formats_and_handles_missing() -> None:
    assert percent(0.1234) == "12.3 %"
    assert percent(None) == "—"


def test_utc_times_parse_iso_text_of_any_offset_and_keep_blanks() -> None:
    frame = pd.DataFrame(
        {
            "since": ["2026-03-30T23:00:00Z", "2026-03-31T01:00:00+02:00", None],
            "name": ["a", "b", "c"],
        }
    )
    shown = utc_times(frame, "since", "missing")
    assert str(shown["since"].dt.tz) == "UTC"
    assert shown["since"].iloc[0] == shown["since"].iloc[1]
    assert pd.isna(shown["since"].iloc[2])
    assert shown["name"].tolist() == ["a", "b", "c"]
    assert frame["since"].iloc[0] == "2026-03-30T23:00:00Z"  # the input is left as it was


def test_utc_text_shows_one_time_in_utc() -> None:
    assert utc_text("2026-03-31T23:00:00+02:00") == "2026-03-31 21:00:00 UTC"
    assert utc_text("2026-03-31T21:00:00Z") == "2026-03-31 21:00:00 UTC"
    assert utc_text(None) == "—"
    assert utc_text("not a time") == "—"
