"""Forecasts made inside the algorithm by the forecasting core (backtests, QuantConnect cloud).

Pure: LEAN's history frame in, forecast messages out. The walk-forward trainer sees
only bars that ended at or before ``now``, so nothing from the future leaks in. LEAN
indexes history by each bar's end time in its exchange's time zone
(``Common/Python/PandasData.cs``), so the times are converted to UTC here and every
forecast is stamped with the true UTC end of the bar it used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from alpha_models.bars import BarPanel
from alpha_models.forecast_table import with_next_returns
from alpha_models.walk_forward import WalkForwardTrainer
from signal_bus.messages import ForecastUpdate

PRICE_COLUMNS = ("open", "high", "low", "close", "volume")

ForecastGate = Callable[[pd.DataFrame], pd.DataFrame]
"""Adds a ``tradable`` column to a walk-forward forecast table (with ``next_return``).

The algorithm passes the risk core's promotion rule
(``risk_models.promotion.WalkForwardGate.apply``); the forecasting core does not
decide what trades."""


def frames_from_history(
    history: pd.DataFrame,
    bar_period: timedelta,
    time_zones: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Split LEAN's history frame into one bar frame per asset, as ``BarPanel`` expects.

    Parameters
    ----------
    history
        Indexed by ``(symbol, time)``, ``time`` being when each bar ended, naive, in the
        symbol's exchange time zone (LEAN's convention), with ``open, high, low, close,
        volume`` columns.
    bar_period
        Length of one bar; a bar's start is its end minus this.
    time_zones
        Exchange time zone (IANA name) per symbol; a symbol not named is taken as UTC.
        The frames' times are naive UTC.

    Raises
    ------
    ValueError
        If the frame lacks the index levels or the price columns.
    """
    if history.empty:
        return {}
    if list(history.index.names)[:2] != ["symbol", "time"]:
        raise ValueError("history must be indexed by (symbol, time)")
    missing = [column for column in PRICE_COLUMNS if column not in history.columns]
    if missing:
        raise ValueError(f"history lacks columns {missing}")
    frames: dict[str, pd.DataFrame] = {}
    zones = time_zones or {}
    for symbol, rows in history.groupby(level="symbol", sort=True):
        name = str(symbol)
        bars = rows.droplevel("symbol")[list(PRICE_COLUMNS)].astype("float64")
        ends = _to_utc(pd.DatetimeIndex(bars.index), zones.get(name, "UTC"))
        bars = bars.set_axis(pd.DatetimeIndex(ends - bar_period, name="time"))
        bars["end_time"] = ends
        frames[name] = bars[~bars.index.duplicated(keep="last")].sort_index()
    return frames


def _to_utc(local: pd.DatetimeIndex, time_zone: str) -> pd.DatetimeIndex:
    """Naive exchange times to naive UTC (an hour repeated by a DST change: standard time)."""
    if local.tz is not None:
        return local.tz_convert("UTC").tz_localize(None)
    if time_zone == "UTC":
        return local
    standard_time = np.zeros(len(local), dtype=bool)
    aware = local.tz_localize(time_zone, ambiguous=standard_time, nonexistent="shift_forward")
    return aware.tz_convert("UTC").tz_localize(None)


def latest_forecasts(
    trainer: WalkForwardTrainer,
    frames: dict[str, pd.DataFrame],
    now: datetime,
    gate: ForecastGate | None = None,
) -> list[ForecastUpdate]:
    """Walk forward over ``frames`` and return the forecast of each asset's newest bar.

    Parameters
    ----------
    trainer
        The forecasting core's walk-forward trainer.
    frames
        Per-asset bars (see :func:`frames_from_history`); bars ending after ``now``
        are dropped.
    now
        Current UTC time (timezone-aware); forecasts are stamped with their bar's end.
    gate
        Marks which forecasts may trade; without it every forecast is tradable.
    """
    naive_now = pd.Timestamp(now).tz_convert("UTC").tz_localize(None)
    visible = {asset: frame[frame["end_time"] <= naive_now] for asset, frame in frames.items()}
    visible = {asset: frame for asset, frame in visible.items() if not frame.empty}
    if not visible:
        return []
    panel = BarPanel.from_frames(visible)
    forecasts = trainer.run(panel)
    if forecasts.empty:
        return []
    if gate is not None:
        forecasts = gate(with_next_returns(forecasts, panel))
    newest = forecasts.sort_values("time").groupby("symbol", sort=True).tail(1)
    updates: list[ForecastUpdate] = []
    records: list[dict[str, Any]] = [
        {str(name): value for name, value in record.items()} for record in newest.to_dict("records")
    ]
    for row in records:
        made_at = pd.Timestamp(row["time"]).tz_localize("UTC").to_pydatetime()
        low, high = float(row["interval_low"]), float(row["interval_high"])
        has_interval = pd.notna(low) and pd.notna(high)
        updates.append(
            ForecastUpdate.create(
                asset=str(row["symbol"]),
                horizon=str(row["horizon"]),
                prediction=float(row["prediction"]),
                confidence=min(1.0, max(0.0, float(row["confidence"]))),
                model=trainer.config.model,
                model_version=str(row["model_version"]),
                interval_low=low if has_interval else None,
                interval_high=high if has_interval else None,
                now=now,
                ts_event=made_at,
                tradable=bool(row.get("tradable", True)),
            )
        )
    return updates
