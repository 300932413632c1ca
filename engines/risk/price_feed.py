"""Market prices for the engine's volatility estimate, read from a LEAN data folder.

Portfolio snapshots carry equity and quantities but no market prices, so the
engine reads closes of the traded symbols from the LEAN data folder that the data
importer keeps current. The first poll returns the recent history (so volatility
is measurable at once); later polls return only bars completed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from market_data.lean import DATA_TIME_ZONES, LeanDataError, read_bars

PricePoint = tuple[str, float, datetime]


@dataclass(frozen=True)
class LeanPriceFeedConfig:
    """Which series to read and how much history to load first."""

    data_folder: Path
    security_type: str
    market: str
    symbols: tuple[str, ...]
    resolution: str = "hour"
    history: timedelta = timedelta(days=120)

    def __post_init__(self) -> None:
        if self.security_type not in DATA_TIME_ZONES:
            raise ValueError(f"unknown security type {self.security_type!r}")
        if not self.symbols:
            raise ValueError("at least one symbol is needed")


class LeanPriceFeed:
    """Poll a LEAN data folder for completed bars."""

    def __init__(self, config: LeanPriceFeedConfig) -> None:
        self.config = config
        self._last_end: dict[str, pd.Timestamp] = {}  # UTC end of the newest bar returned

    def poll(self, now: datetime) -> list[PricePoint]:
        """Return ``(symbol, close, bar end in UTC)`` of bars completed by ``now`` and not yet returned.

        A symbol whose files cannot be read is skipped this time (and logged by the caller).

        Raises
        ------
        LeanDataError
            Only if no symbol could be read.
        """
        zone = DATA_TIME_ZONES[self.config.security_type]
        moment = pd.Timestamp(now).tz_convert("UTC")
        points: list[PricePoint] = []
        errors: list[str] = []
        for symbol in self.config.symbols:
            last = self._last_end.get(symbol)
            since = moment - self.config.history if last is None else last
            try:
                bars = read_bars(
                    self.config.data_folder,
                    security_type=self.config.security_type,
                    market=self.config.market,
                    symbol=symbol,
                    resolution=self.config.resolution,
                    start=since.tz_convert(zone).tz_localize(None),
                )
            except LeanDataError as error:
                errors.append(str(error))
                continue
            ends = pd.DatetimeIndex(bars["end_time"]).tz_localize(zone).tz_convert("UTC")
            for end, close in zip(ends, bars["close"].to_numpy(dtype=float), strict=True):
                if end > moment or (last is not None and end <= last):
                    continue
                points.append((symbol.upper(), float(close), end.to_pydatetime()))
                self._last_end[symbol] = end
        if errors and len(errors) == len(self.config.symbols):
            raise LeanDataError("; ".join(errors))
        points.sort(key=lambda point: point[2])
        return points
