"""The Lightweight Charts component's HTML: offline library, data, escaping."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pandas as pd

from dashboard.components.forecast_chart import (
    candle_points,
    forecast_chart_html,
    forecast_price_points,
    forecast_series,
)


def _forecasts() -> pd.DataFrame:
    times = pd.date_range("2026-01-01", periods=3, freq="h", tz="UTC")
    return pd.DataFrame({
        "timestamp": times, "prediction": [0.001, -0.002, 0.0005],
        "confidence": [0.6, 0.7, 0.8], "interval_low": [None, -0.004, -0.001],
        "interval_high": [None, 0.0, 0.002],
    })  # fmt: skip


def _bars() -> pd.DataFrame:
    times = pd.date_range("2026-01-01", periods=3, freq="h", tz="UTC")
    return pd.DataFrame({"timestamp": times, "open": [100.0, 101.0, 102.0],
                         "high": [101.0, 102.0, 103.0], "low": [99.0, 100.0, 101.0],
                         "close": [101.0, 102.0, 100.0]})  # fmt: skip


def test_series_use_epoch_seconds_and_basis_points() -> None:
    series = forecast_series(_forecasts())
    assert series["prediction"][0] == {"time": 1767225600, "value": 10.0}
    assert series["prediction"][1]["value"] == -20.0
    assert [point["color"] for point in series["confidence"]] == ["#26a69a", "#ef5350", "#26a69a"]
    assert [point["time"] for point in series["interval_low"]] == [1767229200, 1767232800]


def test_forecast_target_price_is_close_times_one_plus_prediction() -> None:
    target = forecast_price_points(_bars(), _forecasts())
    assert target[1] == {"time": 1767229200, "value": 102.0 * (1 - 0.002)}
    later = forecast_price_points(_bars(), _forecasts(), horizon=timedelta(hours=4))
    assert later[1] == {"time": 1767229200 + 4 * 3600, "value": 102.0 * (1 - 0.002)}
    assert candle_points(_bars())[2]["close"] == 100.0


def test_html_inlines_the_library_and_escapes_the_title() -> None:
    html = forecast_chart_html(bars=_bars(), forecasts=_forecasts(), title="</script><b>x")
    assert "TradingView Lightweight Charts" in html
    assert "https://" not in html.split("<script>", 2)[2]  # no script fetched from the web
    assert "</script><b>" not in html
    payload = re.search(r"const data = (\{.*?\});\n", html)
    assert payload is not None
    data = json.loads(payload.group(1))
    assert len(data["candles"]) == 3
    assert len(data["prediction"]) == 3
    assert data["title"] == "</script><b>x"


def test_html_without_bars_draws_forecasts_only() -> None:
    html = forecast_chart_html(bars=pd.DataFrame(), forecasts=_forecasts())
    payload = re.search(r"const data = (\{.*?\});\n", html)
    assert payload is not None
    data = json.loads(payload.group(1))
    assert data["candles"] == []
    assert data["target"] == []
    assert len(data["confidence"]) == 3
