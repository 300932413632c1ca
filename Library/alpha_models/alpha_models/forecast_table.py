"""The forecast table the walk-forward produces, and functions on it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alpha_models.bars import BarPanel
from alpha_models.labels import forward_returns

FORECAST_COLUMNS: tuple[str, ...] = (
    "symbol",
    "time",
    "bar_time",
    "horizon",
    "prediction",
    "confidence",
    "interval_low",
    "interval_high",
    "model_version",
    "forward_return",
    "label_end",
)


def empty_forecasts() -> pd.DataFrame:
    """Return a forecast table with no rows and the right column types."""
    empty_times = pd.DatetimeIndex([], dtype="datetime64[ns]")
    return pd.DataFrame(
        {
            "symbol": pd.Series([], dtype=object),
            "time": empty_times,
            "bar_time": empty_times,
            "horizon": pd.Series([], dtype=object),
            "prediction": pd.Series([], dtype=np.float64),
            "confidence": pd.Series([], dtype=np.float64),
            "interval_low": pd.Series([], dtype=np.float64),
            "interval_high": pd.Series([], dtype=np.float64),
            "model_version": pd.Series([], dtype=object),
            "forward_return": pd.Series([], dtype=np.float64),
            "label_end": empty_times,
        },
        columns=list(FORECAST_COLUMNS),
    )


def latest_forecasts(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Return the forecast of each symbol's latest bar from :meth:`WalkForwardTrainer.run` output."""
    if forecasts.empty:
        return forecasts
    ordered = forecasts.sort_values(["symbol", "time"], kind="stable")
    return ordered.groupby("symbol", sort=True).tail(1).reset_index(drop=True)


def with_next_returns(forecasts: pd.DataFrame, panel: BarPanel) -> pd.DataFrame:
    """Return ``forecasts`` with ``next_return``: the return of the bar after each forecast's bar.

    What the sizing rule earns holding the position a forecast sets for one bar (the
    promotion gates score it); NaN until that bar has closed.
    """
    if forecasts.empty:
        return forecasts.assign(next_return=pd.Series(dtype=np.float64))
    labels = forward_returns(panel, 1)
    wide = pd.DataFrame(labels.forward_return, index=panel.close.index, columns=panel.close.columns)
    lookup = wide.stack(future_stack=True)
    keys = pd.MultiIndex.from_arrays(
        [pd.DatetimeIndex(forecasts["bar_time"]), forecasts["symbol"].astype(str)]
    )
    values = lookup.reindex(keys).to_numpy(dtype=np.float64)
    return forecasts.assign(next_return=values)
