"""Forecast-table rows as ``forecast_updates`` messages, for every publisher of forecasts."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from market_data.lean import DATA_TIME_ZONES
from signal_bus import ForecastUpdate


def forecast_messages(
    latest: pd.DataFrame, *, now: dt.datetime, model: str, security_type: str
) -> list[ForecastUpdate]:
    """Turn rows of the forecast table (one per asset and horizon) into messages.

    ``ts_event`` is the bar time the forecast was made at, in UTC (the table's times are
    in the data time zone of ``security_type``); ``ts_init`` is ``now``. A ``tradable``
    column (the promotion rule's verdict) is carried over; without it every forecast
    is tradable.
    """
    zone = DATA_TIME_ZONES.get(security_type, "UTC")
    updates = []
    for row in latest.to_dict("records"):
        low, high = float(row["interval_low"]), float(row["interval_high"])
        has_interval = math.isfinite(low) and math.isfinite(high)
        updates.append(
            ForecastUpdate.create(
                asset=str(row["symbol"]).upper(),
                horizon=str(row["horizon"]),
                prediction=float(row["prediction"]),
                confidence=float(row["confidence"]),
                now=now,
                ts_event=pd.Timestamp(row["time"])
                .tz_localize(zone)
                .tz_convert("UTC")
                .to_pydatetime(),
                model=model,
                model_version=str(row["model_version"]),
                interval_low=low if has_interval else None,
                interval_high=high if has_interval else None,
                tradable=bool(row.get("tradable", True)),
            )
        )
    return updates
