"""Bars of many assets aligned on one time grid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_models.arrays import Array

PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
REQUIRED_COLUMNS: tuple[str, ...] = (*PRICE_COLUMNS, "end_time")


@dataclass(frozen=True)
class BarPanel:
    """OHLCV bars of several assets on a shared time grid (wide frames).

    Every frame has the bar start times as index and one column per asset.
    Missing bars are NaN (``end_time``: NaT).

    Attributes
    ----------
    open, high, low, close, volume
        Wide frames of prices and volumes.
    end_time
        Wide frame of the times each bar's close became known.
    """

    open: pd.DataFrame
    high: pd.DataFrame
    low: pd.DataFrame
    close: pd.DataFrame
    volume: pd.DataFrame
    end_time: pd.DataFrame

    @property
    def times(self) -> pd.DatetimeIndex:
        """Return the bar start times."""
        return pd.DatetimeIndex(self.close.index)

    @property
    def assets(self) -> tuple[str, ...]:
        """Return the asset names in column order."""
        return tuple(str(column) for column in self.close.columns)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame]) -> BarPanel:
        """Align per-asset bar frames on the union of their times.

        Parameters
        ----------
        frames
            Asset name to a frame indexed by bar start time with columns
            ``open, high, low, close, volume, end_time``.

        Raises
        ------
        ValueError
            If no frames are given, a column is missing, an index is not
            sorted and unique, or an ``end_time`` is not after its bar's start.
        """
        if not frames:
            raise ValueError("no assets given")
        for asset, frame in frames.items():
            missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
            if missing:
                raise ValueError(f"{asset}: missing columns {missing}")
            index = pd.DatetimeIndex(frame.index)
            if not index.is_monotonic_increasing or not index.is_unique:
                raise ValueError(f"{asset}: bar times must be sorted and unique")
            ends = pd.DatetimeIndex(frame["end_time"])
            if bool((ends <= index).any()):
                raise ValueError(f"{asset}: every end_time must be after its bar's start time")
        assets = sorted(frames)
        union = pd.DatetimeIndex(
            sorted(set().union(*(frames[a].index for a in assets))), name="time"
        )
        wide: dict[str, pd.DataFrame] = {}
        for column in REQUIRED_COLUMNS:
            pieces = {asset: frames[asset][column].reindex(union) for asset in assets}
            table = pd.DataFrame(pieces, index=union)
            if column != "end_time":
                table = table.astype(np.float64)
            wide[column] = table
        return cls(**wide)

    def until(self, last_time: pd.Timestamp) -> BarPanel:
        """Return the bars whose start time is at or before ``last_time``."""
        keep = self.close.index <= last_time
        return BarPanel(
            open=self.open.loc[keep],
            high=self.high.loc[keep],
            low=self.low.loc[keep],
            close=self.close.loc[keep],
            volume=self.volume.loc[keep],
            end_time=self.end_time.loc[keep],
        )

    def end_times_ns(self) -> Array:
        """Return ``end_time`` as int64 nanoseconds, NaT as the int64 minimum."""
        values = self.end_time.to_numpy(dtype="datetime64[ns]")
        return values.view(np.int64)
