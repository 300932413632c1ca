"""Price candles with forecasts and confidence, drawn by TradingView Lightweight Charts.

The chart is a small HTML component: the vendored standalone build of Lightweight Charts
is inlined into the page, so it renders without network access.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

LIBRARY_PATH = (
    Path(__file__).resolve().parent.parent
    / "static"
    / "lightweight-charts"
    / "lightweight-charts.standalone.production.js"
)
UP_COLOR = "#26a69a"
DOWN_COLOR = "#ef5350"
RENDERED_MARKER = "data-chart-rendered"
CANDLES_MARKER = "data-chart-candles"


@lru_cache(maxsize=1)
def chart_library_source() -> str:
    """The Lightweight Charts standalone build (read once)."""
    return LIBRARY_PATH.read_text(encoding="utf-8")


def _epoch_seconds(times: pd.Series) -> npt.NDArray[np.int64]:
    index = pd.DatetimeIndex(times)
    if index.tz is None:
        index = index.tz_localize("UTC")
    seconds = (index - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return np.asarray(seconds, dtype=np.int64)


def candle_points(bars: pd.DataFrame) -> list[dict[str, float]]:
    """Bars (``timestamp``, ``open``, ``high``, ``low``, ``close``) as chart candles."""
    if bars.empty:
        return []
    times = _epoch_seconds(bars["timestamp"])
    return [
        {
            "time": int(time),
            "open": float(opening),
            "high": float(high),
            "low": float(low),
            "close": float(closing),
        }
        for time, opening, high, low, closing in zip(
            times, bars["open"], bars["high"], bars["low"], bars["close"], strict=True
        )
    ]


def _line(times: list[int], values: list[float]) -> list[dict[str, Any]]:
    return [{"time": time, "value": value} for time, value in zip(times, values, strict=True)]


def forecast_series(forecasts: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Prediction (basis points), its interval and confidence (bars coloured by direction)."""
    if forecasts.empty:
        return {"prediction": [], "interval_low": [], "interval_high": [], "confidence": []}
    frame = forecasts.drop_duplicates(subset=["timestamp"], keep="last")
    times = _epoch_seconds(frame["timestamp"]).tolist()
    prediction = (frame["prediction"].astype(float) * 10_000).round(3).tolist()
    confidence = frame["confidence"].astype(float).round(4).tolist()
    series: dict[str, list[dict[str, Any]]] = {
        "prediction": _line(times, prediction),
        "confidence": [
            {"time": time, "value": level, "color": UP_COLOR if expected >= 0 else DOWN_COLOR}
            for time, level, expected in zip(times, confidence, prediction, strict=True)
        ],
        "interval_low": [],
        "interval_high": [],
    }
    for bound in ("interval_low", "interval_high"):
        if bound in frame and frame[bound].notna().any():
            values = (frame[bound].astype(float) * 10_000).round(3)
            series[bound] = [
                {"time": time, "value": float(value)}
                for time, value in zip(times, values, strict=True)
                if not np.isnan(value)
            ]
    return series


def forecast_price_points(
    bars: pd.DataFrame, forecasts: pd.DataFrame, *, horizon: timedelta = timedelta(0)
) -> list[dict[str, Any]]:
    """Forecast target price, drawn when the forecast resolves (its time + ``horizon``).

    The target is the close at the forecast's time × (1 + predicted return).
    """
    if bars.empty or forecasts.empty:
        return []
    closes = bars[["timestamp", "close"]].sort_values("timestamp")
    ordered = forecasts.sort_values("timestamp")
    joined = pd.merge_asof(ordered, closes, on="timestamp", direction="backward").dropna(
        subset=["close"]
    )
    if joined.empty:
        return []
    shift = int(horizon.total_seconds())
    times = [time + shift for time in _epoch_seconds(joined["timestamp"]).tolist()]
    targets = (joined["close"] * (1.0 + joined["prediction"].astype(float))).round(6).tolist()
    points = dict(zip(times, targets, strict=True))
    return _line(sorted(points), [points[time] for time in sorted(points)])


def forecast_chart_html(
    *,
    bars: pd.DataFrame,
    forecasts: pd.DataFrame,
    horizon: timedelta = timedelta(0),
    height: int = 520,
    title: str = "",
) -> str:
    """A self-contained HTML page drawing candles, forecasts and confidence in three panes."""
    payload = {
        "candles": candle_points(bars),
        "target": forecast_price_points(bars, forecasts, horizon=horizon),
        "title": title,
        **forecast_series(forecasts),
    }
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    return f"""<!doctype html>
<html><head><meta charset="utf-8">
<style>html,body{{margin:0;padding:0;background:#ffffff;font-family:sans-serif}}
#chart{{width:100%;height:{height}px}}
#legend{{position:absolute;left:8px;top:4px;z-index:3;font-size:12px;color:#333}}</style>
</head><body>
<div id="legend"></div><div id="chart"></div>
<script>{chart_library_source()}</script>
<script>
(function() {{
  const data = {data};
  const lib = window.LightweightCharts;
  const element = document.getElementById("chart");
  const chart = lib.createChart(element, {{
    autoSize: true,
    layout: {{ background: {{ color: "#ffffff" }}, textColor: "#333", panes: {{ separatorColor: "#ddd" }} }},
    grid: {{ vertLines: {{ color: "#f0f0f0" }}, horzLines: {{ color: "#f0f0f0" }} }},
    timeScale: {{ timeVisible: true, secondsVisible: false, minBarSpacing: 0.01 }},
    rightPriceScale: {{ borderVisible: false }},
  }});
  let pane = 0;
  if (data.candles.length) {{
    const candles = chart.addSeries(lib.CandlestickSeries, {{
      upColor: "{UP_COLOR}", downColor: "{DOWN_COLOR}", borderVisible: false,
      wickUpColor: "{UP_COLOR}", wickDownColor: "{DOWN_COLOR}", title: "price" }}, pane);
    candles.setData(data.candles);
    if (data.target.length) {{
      const target = chart.addSeries(lib.LineSeries, {{ color: "#7e57c2", lineWidth: 1,
        lineStyle: 2, title: "forecast target", priceLineVisible: false }}, pane);
      target.setData(data.target);
    }}
    pane += 1;
  }}
  const prediction = chart.addSeries(lib.LineSeries, {{ color: "#1e88e5", lineWidth: 2,
    title: "E[r] bp", priceLineVisible: false }}, pane);
  prediction.setData(data.prediction);
  for (const bound of ["interval_low", "interval_high"]) {{
    if (data[bound].length) {{
      const line = chart.addSeries(lib.LineSeries, {{ color: "#90caf9", lineWidth: 1,
        lineStyle: 1, title: bound.replace("_", " "), priceLineVisible: false,
        lastValueVisible: false }}, pane);
      line.setData(data[bound]);
    }}
  }}
  const confidence = chart.addSeries(lib.HistogramSeries, {{ title: "confidence",
    priceFormat: {{ type: "price", precision: 2, minMove: 0.01 }}, priceLineVisible: false }},
    pane + 1);
  confidence.setData(data.confidence);
  const panes = chart.panes();
  const stretch = panes.length === 3 ? [55, 25, 20] : [70, 30];
  panes.forEach(function(item, index) {{ item.setStretchFactor(stretch[index]); }});
  chart.timeScale().fitContent();
  document.getElementById("legend").textContent = data.title;
  requestAnimationFrame(function() {{
    requestAnimationFrame(function() {{
      document.body.setAttribute("{CANDLES_MARKER}", String(data.candles.length));
      document.body.setAttribute("{RENDERED_MARKER}", String(data.prediction.length));
    }});
  }});
}})();
</script></body></html>"""
