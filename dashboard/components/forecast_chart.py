"""Price candles with forecasts and confidence, drawn by TradingView Lightweight Charts.

The chart is a small HTML component: the vendored standalone build of Lightweight Charts
is inlined into the page, so it renders without network access.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
LIVE_POINTS_MARKER = "data-chart-live-points"
LIVE_STATE_MARKER = "data-live-state"


@dataclass(frozen=True)
class LiveChartFeed:
    """Where the chart follows new forecasts: the gateway, the user's token, the series."""

    url: str
    token: str
    asset: str
    horizon: str
    client_source: str


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
    live: LiveChartFeed | None = None,
) -> str:
    """A self-contained HTML page drawing candles, forecasts and confidence in three panes.

    With ``live``, the page also opens the gateway's socket and appends each new forecast
    of the asset and horizon to the series as it arrives.
    """
    payload = {
        "candles": candle_points(bars),
        "target": forecast_price_points(bars, forecasts, horizon=horizon),
        "title": title,
        "live": None
        if live is None
        else {"url": live.url, "token": live.token, "asset": live.asset, "horizon": live.horizon},
        **forecast_series(forecasts),
    }
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    client = "" if live is None else live.client_source.replace("</", "<\\/")
    return f"""<!doctype html>
<html><head><meta charset="utf-8">
<style>html,body{{margin:0;padding:0;background:#ffffff;font-family:sans-serif}}
#chart{{width:100%;height:{height}px}}
#legend{{position:absolute;left:8px;top:4px;z-index:3;font-size:12px;color:#333}}
#live{{position:absolute;left:8px;top:20px;z-index:3;font-size:12px;color:#6b6f76}}
#live.warning{{color:#926c05}}</style>
</head><body>
<div id="legend"></div><div id="live"></div><div id="chart"></div>
<script>{chart_library_source()}</script>
<script>{client}</script>
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
  const bounds = {{}};
  for (const bound of ["interval_low", "interval_high"]) {{
    if (data[bound].length) {{
      const line = chart.addSeries(lib.LineSeries, {{ color: "#90caf9", lineWidth: 1,
        lineStyle: 1, title: bound.replace("_", " "), priceLineVisible: false,
        lastValueVisible: false }}, pane);
      line.setData(data[bound]);
      bounds[bound] = line;
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
  if (data.live && window.AtsLiveUpdates) {{
    let lastTime = data.prediction.length ? data.prediction[data.prediction.length - 1].time : 0;
    let appended = 0;
    const line = document.getElementById("live");
    document.body.setAttribute("{LIVE_POINTS_MARKER}", "0");
    window.AtsLiveUpdates.connect({{
      url: data.live.url, token: data.live.token, channels: ["forecast_updates"],
      assets: [data.live.asset], horizons: [data.live.horizon],
      onMessage: function(channel, message) {{
        if (message.asset !== data.live.asset || message.horizon !== data.live.horizon) {{ return; }}
        const time = Math.floor(Date.parse(message.ts_event) / 1000);
        if (!(time >= lastTime)) {{ return; }}
        const basisPoints = Math.round(message.prediction * 1e7) / 1e3;
        prediction.update({{ time: time, value: basisPoints }});
        confidence.update({{ time: time, value: Math.round(message.confidence * 1e4) / 1e4,
          color: basisPoints >= 0 ? "{UP_COLOR}" : "{DOWN_COLOR}" }});
        for (const bound of ["interval_low", "interval_high"]) {{
          if (bounds[bound] && typeof message[bound] === "number") {{
            bounds[bound].update({{ time: time, value: Math.round(message[bound] * 1e7) / 1e3 }});
          }}
        }}
        if (time > lastTime) {{ appended += 1; }}
        lastTime = time;
        document.body.setAttribute("{LIVE_POINTS_MARKER}", String(appended));
      }},
      onStatus: function(state, detail) {{
        document.body.setAttribute("{LIVE_STATE_MARKER}", state);
        const texts = {{
          connecting: "Connecting to live updates…",
          live: "Live: new forecasts are appended as the gateway pushes them.",
          bus_reconnecting: "The gateway is reconnecting to the bus: new forecasts may be late.",
          lagged: detail + " updates were dropped (this connection lagged).",
          retrying: "Connection to the gateway lost (" + detail + "): reconnecting…",
          unavailable: "Live updates unavailable (" + detail + "): new forecasts show when the page is reloaded.",
        }};
        line.textContent = texts[state] || "";
        line.className = state === "live" || state === "connecting" ? "" : "warning";
      }},
    }});
  }}
  requestAnimationFrame(function() {{
    requestAnimationFrame(function() {{
      document.body.setAttribute("{CANDLES_MARKER}", String(data.candles.length));
      document.body.setAttribute("{RENDERED_MARKER}", String(data.prediction.length));
    }});
  }});
}})();
</script></body></html>"""
