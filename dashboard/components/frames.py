"""Pure shaping of API records into the tables and series the pages draw."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from signal_bus.horizon import Horizon

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip


def horizon_minutes(horizon: str) -> int:
    """Length of a horizon such as ``"4h"`` in minutes; unknown forms sort last."""
    if not Horizon.is_valid(horizon):
        return 10**9
    return int(Horizon(horizon).duration.total_seconds()) // 60


def sorted_horizons(horizons: Iterable[str]) -> list[str]:
    """Horizons from the shortest to the longest."""
    return sorted(set(horizons), key=lambda item: (horizon_minutes(item), item))


def records_frame(
    records: Sequence[Mapping[str, Any]], *, time_column: str = "timestamp"
) -> pd.DataFrame:
    """Records as a frame sorted by ``time_column`` (parsed as UTC), oldest first."""
    frame = pd.DataFrame(list(records))
    if frame.empty:
        return frame
    frame[time_column] = pd.to_datetime(frame[time_column], utc=True, format="ISO8601")
    return frame.sort_values(time_column, kind="stable").reset_index(drop=True)


def latest_per_pair(signals: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The newest signal of every (asset, horizon) pair."""
    frame = records_frame(signals)
    if frame.empty:
        return frame
    latest = frame.drop_duplicates(subset=["asset", "horizon"], keep="last")
    return latest.sort_values(["asset", "horizon"]).reset_index(drop=True)


EDGE_LEGEND = ("edge = direction", "× (2 × confidence − 1)")
"""What the heatmap colours, as its legend names it (one line each)."""

EDGE_CAPTION = (
    "Newest signal per asset and horizon, coloured by its edge = direction × (2 × confidence − 1): "
    "+1 a certain long, −1 a certain short, 0 (yellow) a coin flip (confidence 0.50) or no "
    "direction."
)
"""The Signals page's caption under its title."""


def signal_edge(direction: pd.Series, confidence: pd.Series) -> pd.Series:
    """How far a signal is from a coin flip, signed by its direction: ``d × (2c − 1)``.

    ``confidence`` is the calibrated probability that the direction is right, so 0.5
    carries no information and maps to 0 whatever the direction; 1.0 maps to the
    direction itself. A confidence under 0.5 says the opposite direction is likelier,
    and its edge takes that sign. A flat signal (direction 0) has no edge.
    """
    return direction.astype(float) * (2.0 * confidence.astype(float) - 1.0)


def signal_heatmap_frame(signals: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Long table for the heatmap: one row per (asset, horizon) with its ``edge``."""
    latest = latest_per_pair(signals)
    if latest.empty:
        return pd.DataFrame(
            columns=["asset", "horizon", "direction", "confidence", "edge", "active"]
        )
    table = latest[["asset", "horizon", "direction", "confidence", "active", "timestamp"]].copy()
    table["edge"] = signal_edge(table["direction"], table["confidence"])
    order = {horizon: index for index, horizon in enumerate(sorted_horizons(table["horizon"]))}
    table["horizon_order"] = table["horizon"].map(order)
    return table.sort_values(["asset", "horizon_order"]).reset_index(drop=True)


def signal_matrix(signals: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Assets × horizons matrix of the signals' edge (NaN where no signal)."""
    table = signal_heatmap_frame(signals)
    if table.empty:
        return pd.DataFrame()
    matrix = table.pivot(index="asset", columns="horizon", values="edge")
    return matrix.reindex(columns=sorted_horizons(matrix.columns))


def state_segments(history: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Consecutive runs of one risk state: ``state``, ``start``, ``end`` (the next change).

    The last run ends at the last decision, or one median decision interval after it when
    that decision started the run.
    """
    frame = records_frame(history)
    if frame.empty:
        return pd.DataFrame(columns=["state", "start", "end"])
    changed = frame["state"].ne(frame["state"].shift())
    run = changed.cumsum()
    segments = frame.groupby(run).agg(state=("state", "first"), start=("timestamp", "first"))
    last = frame["timestamp"].iloc[-1]
    if segments["start"].iloc[-1] == last and len(frame) > 1:
        # The current state has no end yet: draw it one typical decision interval long.
        last = last + frame["timestamp"].diff().median()
    segments["end"] = list(segments["start"].iloc[1:]) + [last]
    return segments.reset_index(drop=True)


def equity_series(points: Sequence[Mapping[str, Any]], *, value: str = "equity") -> pd.Series:
    """A time-indexed series of ``value`` from ``[{timestamp, value}, ...]``."""
    frame = records_frame(points)
    if frame.empty:
        return pd.Series(dtype=float, name=value)
    return frame.set_index("timestamp")[value].astype(float).rename(value)


def drawdown_from_equity(equity: pd.Series) -> pd.Series:
    """Drawdown from the running peak, as a positive fraction."""
    if equity.empty:
        return pd.Series(dtype=float, name="drawdown")
    peak = equity.cummax()
    return (1.0 - equity / peak).rename("drawdown")


def monthly_returns_table(equity: pd.Series) -> pd.DataFrame:
    """Compounded return of each calendar month: years as rows, months as columns, plus the year."""
    if equity.size < 2:
        return pd.DataFrame()
    naive = equity.copy()
    naive.index = pd.DatetimeIndex(naive.index).tz_convert("UTC").tz_localize(None)
    month_end = naive.resample("ME").last().dropna()
    previous = pd.concat([pd.Series([naive.iloc[0]]), month_end.iloc[:-1].reset_index(drop=True)])
    months = pd.DatetimeIndex(month_end.index)
    values = month_end.to_numpy(dtype=float) / previous.to_numpy(dtype=float) - 1.0
    table = pd.DataFrame({"year": months.year, "month": months.month, "return": values})
    matrix = table.pivot(index="year", columns="month", values="return")
    matrix = matrix.reindex(columns=range(1, 13))
    matrix.columns = list(MONTH_NAMES)
    yearly = (1.0 + table.set_index("year")["return"]).groupby(level=0).prod() - 1.0
    matrix["Year"] = yearly
    return matrix


def statistics_table(statistics: Mapping[str, Any]) -> pd.DataFrame:
    """A two-column table (statistic, value) with readable names, values as text."""
    rows = [
        {"statistic": str(name).replace("_", " "), "value": _format_value(value)}
        for name, value in statistics.items()
    ]
    return pd.DataFrame(rows, columns=["statistic", "value"])


def _format_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def percent(value: float | None, digits: int = 1) -> str:
    """``0.1234`` → ``"12.3 %"``; None → ``"—"``."""
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def sharpe_text(statistics: Mapping[str, Any]) -> tuple[str, str]:
    """The Sharpe ratio of ``/api/performance/`` statistics as shown, and why it looks so.

    The backend names it ``sharpe`` and sends ``null`` when it is undefined. A curve that
    never moved (zero volatility, zero total return over at least one period: nothing was
    held) shows ``0.00``, as the demo's report counts a run that stayed flat; any other
    undefined ratio shows ``—``.
    """
    sharpe = statistics.get("sharpe")
    if isinstance(sharpe, int | float) and not isinstance(sharpe, bool) and math.isfinite(sharpe):
        return f"{sharpe:.2f}", "Annualised by the backend, zero risk-free rate."
    flat = (
        statistics.get("volatility") == 0.0
        and statistics.get("total_return") == 0.0
        and int(statistics.get("periods") or 0) > 0
    )
    if flat:
        return "0.00", "The equity never moved (nothing held): no risk and no return, counted as 0."
    return "—", "Undefined: too few equity points, or no variation to divide by."


def utc_text(value: str | datetime | None) -> str:
    """One time (ISO 8601 text or a datetime) as ``YYYY-MM-DD HH:MM:SS UTC``; ``—`` if blank."""
    if value is None or value == "":
        return "—"
    moment = pd.to_datetime(value, utc=True, format="ISO8601", errors="coerce")
    return "—" if pd.isna(moment) else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def utc_times(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``frame`` with ``columns`` (ISO 8601 text or datetimes) as UTC datetimes; blanks stay empty."""
    present = [column for column in columns if column in frame]
    if not present:
        return frame
    return frame.assign(
        **{
            column: pd.to_datetime(frame[column], utc=True, format="ISO8601", errors="coerce")
            for column in present
        }
    )
