"""A :class:`~market_data.ingest.run.BarStore` over a LEAN data folder.

Bars go through :func:`market_data.lean.write_bars`, which merges by bar time and replaces
each zip file atomically (a temporary file in the same folder, then ``os.replace``): a
crash mid-write leaves the old file whole, plus at most a hidden ``.<name>.*.tmp`` file
that LEAN and :func:`market_data.lean.available` never read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from market_data.ingest.validation import RefusedBar
from market_data.lean_format.layout import SeriesKey
from market_data.lean_format.reader import read_bars
from market_data.lean_format.writer import write_bars


class LeanFolderStore:
    """Store ingested trade bars in a LEAN data folder.

    Parameters
    ----------
    data_folder
        Root of the LEAN data folder.
    refusal_log
        JSON-lines file that refused bars are appended to (outside the data folder);
        None keeps them only in :attr:`refusals`.
    """

    def __init__(self, data_folder: str | Path, *, refusal_log: str | Path | None = None) -> None:
        self.data_folder = Path(data_folder)
        self.refusal_log = Path(refusal_log) if refusal_log is not None else None
        self.refusals: list[tuple[SeriesKey, RefusedBar]] = []

    def last_bar_time(self, series: SeriesKey) -> pd.Timestamp | None:
        """The latest bar start in the series' files, or None when it has none."""
        if series.is_per_day:
            days = series.day_files(self.data_folder)
            if not days:
                return None
            last_day = max(days)
            bars = self._read(series, start=last_day, end=last_day)
        else:
            if not series.single_file(self.data_folder).is_file():
                return None
            bars = self._read(series)
        return None if bars.empty else pd.Timestamp(bars.index.max())

    def bar_times(
        self, series: SeriesKey, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DatetimeIndex:
        """Bar start times stored in ``[start, end]``."""
        if series.is_per_day:
            if not series.day_files(self.data_folder):
                return pd.DatetimeIndex([], dtype="datetime64[ns]")
        elif not series.single_file(self.data_folder).is_file():
            return pd.DatetimeIndex([], dtype="datetime64[ns]")
        return pd.DatetimeIndex(self._read(series, start=start, end=end).index)

    def write(self, series: SeriesKey, bars: pd.DataFrame) -> int:
        """Merge ``bars`` into the series' files (a bar at an existing time replaces it)."""
        if bars.empty:
            return 0
        write_bars(
            self.data_folder,
            bars,
            security_type=series.security_type,
            market=series.market,
            symbol=series.symbol,
            resolution=series.resolution,
        )
        return len(bars)

    def record_refusals(self, series: SeriesKey, refused: Sequence[RefusedBar]) -> None:
        """Keep the refused bars in memory and append them to :attr:`refusal_log`."""
        self.refusals += [(series, bar) for bar in refused]
        if self.refusal_log is None or not refused:
            return
        self.refusal_log.parent.mkdir(parents=True, exist_ok=True)
        with self.refusal_log.open("a", encoding="utf-8") as log:
            for bar in refused:
                record = {
                    "security_type": series.security_type,
                    "market": series.market,
                    "symbol": series.symbol,
                    "resolution": series.resolution,
                    "time": None if bar.time is None else bar.time.isoformat(),
                    "reason": bar.reason.value,
                    "message": bar.message,
                    "values": {k: (None if v != v else v) for k, v in bar.values.items()},
                }
                log.write(json.dumps(record, allow_nan=False) + "\n")

    def _read(
        self,
        series: SeriesKey,
        *,
        start: date | pd.Timestamp | None = None,
        end: date | pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        return read_bars(
            self.data_folder,
            security_type=series.security_type,
            market=series.market,
            symbol=series.symbol,
            resolution=series.resolution,
            start=start,
            end=end,
            bar_type=series.bar_type,
        )
