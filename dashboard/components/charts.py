"""Vega-Lite charts (bundled with Streamlit, drawn offline): heatmap, state timeline, curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from .frames import (
    EDGE_LEGEND,
    records_frame,
    signal_heatmap_frame,
    sorted_horizons,
    state_segments,
)

STATE_COLORS = {"active": "#2e7d32", "reducing": "#f9a825", "halted": "#c62828"}


def heatmap_height(asset_count: int) -> int:
    """Pixel height of the heatmap: one readable row per asset."""
    return max(160, 32 * asset_count + 60)


def timeline_height(state_count: int) -> int:
    """Pixel height of the state timeline."""
    return 50 * state_count + 60


def signal_heatmap_chart(signals: Sequence[Mapping[str, Any]]) -> alt.LayerChart | None:
    """Assets × horizons, coloured by the edge (red short, yellow none, green long).

    The edge is ``direction × (2 × confidence − 1)`` (:func:`frames.signal_edge`), so a
    coin-flip forecast is drawn neutral, not as a half-strength position.
    """
    table = signal_heatmap_frame(signals)
    if table.empty:
        return None
    table = table.assign(
        timestamp=table["timestamp"].dt.strftime("%Y-%m-%d %H:%M"),
        label=table["edge"].map(lambda value: f"{value:+.2f}"),
    )
    horizons = sorted_horizons(table["horizon"])
    base = alt.Chart(table).encode(
        x=alt.X("horizon:N", sort=horizons, title="horizon", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("asset:N", sort="ascending", title="asset"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "edge:Q",
            title=list(EDGE_LEGEND),
            scale=alt.Scale(scheme="redyellowgreen", domain=[-1, 1]),
        ),
        tooltip=[
            "asset",
            "horizon",
            "direction",
            alt.Tooltip("confidence:Q", format=".3f"),
            alt.Tooltip("edge:Q", format="+.3f"),
            "active",
            "timestamp",
        ],
    )
    labels = base.mark_text(fontSize=11).encode(text="label:N")
    height = heatmap_height(table["asset"].nunique())
    chart: alt.LayerChart = (cells + labels).properties(height=height)
    return chart


def state_timeline_chart(history: Sequence[Mapping[str, Any]]) -> alt.Chart | None:
    """One bar per run of a risk state over time."""
    segments = state_segments(history)
    if segments.empty:
        return None
    states = list(STATE_COLORS)
    extra = sorted(set(segments["state"]) - set(states))
    domain = states + extra
    colors = [STATE_COLORS.get(state, "#757575") for state in domain]
    timeline: alt.Chart = (
        alt.Chart(segments)
        .mark_bar(height=24)
        .encode(
            x=alt.X("start:T", title="time"),
            x2="end:T",
            y=alt.Y("state:N", sort=domain, title="state"),
            color=alt.Color("state:N", scale=alt.Scale(domain=domain, range=colors), legend=None),
            tooltip=["state", "start", "end"],
        )
        .properties(height=timeline_height(len(domain)))
    )
    return timeline


def risk_factor_chart(history: Sequence[Mapping[str, Any]]) -> alt.Chart | None:
    """The risk factor as a step line (it holds until the next decision), reasons on hover."""
    frame = records_frame(history)
    if frame.empty:
        return None
    table = frame.assign(reasons=frame["reasons"].map(lambda items: ", ".join(items) or "—"))
    chart: alt.Chart = (
        alt.Chart(table[["timestamp", "risk_factor", "state", "reasons"]])
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("timestamp:T", title="time"),
            y=alt.Y("risk_factor:Q", title="risk factor", scale=alt.Scale(domain=[0, 1])),
            tooltip=["timestamp", "risk_factor", "state", "reasons"],
        )
    )
    return chart


def curves_chart(
    curves: Mapping[str, pd.Series], *, title: str, percent: bool = False, elapsed: bool = False
) -> alt.Chart | None:
    """Several series on one axis: time, or days since each series' start (``elapsed``)."""
    frames = []
    for name, series in curves.items():
        if series.empty:
            continue
        index = pd.DatetimeIndex(series.index)
        x_values = (index - index[0]) / pd.Timedelta(days=1) if elapsed else index
        frames.append(pd.DataFrame({"x": x_values, "value": series.to_numpy(), "series": name}))
    if not frames:
        return None
    table = pd.concat(frames, ignore_index=True)
    axis = alt.Axis(format="%") if percent else alt.Axis()
    x_axis = alt.X("x:Q", title="days since start") if elapsed else alt.X("x:T", title="time")
    chart: alt.Chart = (
        alt.Chart(table)
        .mark_line()
        .encode(
            x=x_axis,
            y=alt.Y("value:Q", title=title, axis=axis, scale=alt.Scale(zero=False)),
            color=alt.Color("series:N", title="", legend=alt.Legend() if len(frames) > 1 else None),
            tooltip=["series", "x", "value"],
        )
        .properties(height=260)
    )
    return chart
