"""Where LEAN keeps each series in a data folder, and what the files are called.

The names follow LEAN's ``LeanData.GenerateZipFileName`` / ``GenerateZipEntryName``:

==========  ==========  =============================================  ====================================
security    resolution  zip file                                       entry inside
==========  ==========  =============================================  ====================================
equity      daily/hour  ``equity/usa/daily/aapl.zip``                  ``aapl.csv``
equity      minute      ``equity/usa/minute/spy/20131007_trade.zip``   ``20131007_spy_minute_trade.csv``
crypto      daily/hour  ``crypto/binance/hour/btcusdt_trade.zip``      ``btcusdt.csv``
crypto      minute      ``crypto/binance/minute/btcusdt/20180501_quote.zip``  ``20180501_btcusdt_minute_quote.csv``
==========  ==========  =============================================  ====================================

LEAN has no separate equity daily or hour quote files, so that combination is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from market_data.lean_format.errors import LeanDataError

SECURITY_TYPES: Final = ("equity", "crypto")
RESOLUTIONS: Final = ("daily", "hour", "minute")
BAR_TYPES: Final = ("trade", "quote")

BAR_PERIODS: Final[dict[str, timedelta]] = {
    "daily": timedelta(days=1),
    "hour": timedelta(hours=1),
    "minute": timedelta(minutes=1),
}

_SYMBOL_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_MARKET_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MINUTE_FILE_PATTERN: Final = re.compile(r"^(\d{8})_(trade|quote)\.zip$")


@dataclass(frozen=True)
class SeriesKey:
    """One series in a data folder: security type, market, symbol, resolution and bar type.

    Parameters
    ----------
    security_type
        ``"equity"`` or ``"crypto"``.
    market
        LEAN market name, e.g. ``"usa"``, ``"binance"``, ``"coinbase"``.
    symbol
        Ticker as LEAN spells it; stored lower case.
    resolution
        ``"daily"``, ``"hour"`` or ``"minute"``.
    bar_type
        ``"trade"`` or ``"quote"``.
    """

    security_type: str
    market: str
    symbol: str
    resolution: str
    bar_type: str = "trade"

    def __post_init__(self) -> None:
        object.__setattr__(self, "symbol", self.symbol.strip().lower())
        object.__setattr__(self, "market", self.market.strip().lower())
        if self.security_type not in SECURITY_TYPES:
            raise LeanDataError(
                f"security_type must be one of {', '.join(SECURITY_TYPES)}; got {self.security_type!r}"
            )
        if self.resolution not in RESOLUTIONS:
            raise LeanDataError(
                f"resolution must be one of {', '.join(RESOLUTIONS)}; got {self.resolution!r}"
            )
        if self.bar_type not in BAR_TYPES:
            raise LeanDataError(
                f"bar_type must be one of {', '.join(BAR_TYPES)}; got {self.bar_type!r}"
            )
        if not _SYMBOL_PATTERN.match(self.symbol):
            raise LeanDataError(f"symbol {self.symbol!r} is not a valid LEAN ticker")
        if not _MARKET_PATTERN.match(self.market):
            raise LeanDataError(f"market {self.market!r} is not a valid LEAN market name")
        if (
            self.security_type == "equity"
            and self.bar_type == "quote"
            and self.resolution != "minute"
        ):
            raise LeanDataError(
                "LEAN stores equity quote bars only at minute resolution (and finer); "
                f"there is no {self.resolution} equity quote file"
            )

    @property
    def is_per_day(self) -> bool:
        """Whether the series is split into one zip per day (minute data)."""
        return self.resolution == "minute"

    def folder(self, data_folder: Path) -> Path:
        """Folder holding the series' zip file(s)."""
        base = Path(data_folder) / self.security_type / self.market / self.resolution
        return base / self.symbol if self.is_per_day else base

    def single_file(self, data_folder: Path) -> Path:
        """Zip file of a daily or hour series (all dates in one file)."""
        if self.is_per_day:
            raise LeanDataError("minute series are stored one file per day; use day_file()")
        if self.security_type == "crypto":
            return self.folder(data_folder) / f"{self.symbol}_{self.bar_type}.zip"
        return self.folder(data_folder) / f"{self.symbol}.zip"

    def day_file(self, data_folder: Path, day: date) -> Path:
        """Zip file of one day of a minute series."""
        if not self.is_per_day:
            raise LeanDataError(
                f"{self.resolution} series are stored in one file; use single_file()"
            )
        return self.folder(data_folder) / f"{day:%Y%m%d}_{self.bar_type}.zip"

    def entry_name(self, day: date | None = None) -> str:
        """Name of the CSV entry inside the zip file."""
        if not self.is_per_day:
            return f"{self.symbol}.csv"
        if day is None:
            raise LeanDataError("a minute file's entry name needs its day")
        return f"{day:%Y%m%d}_{self.symbol}_minute_{self.bar_type}.csv"

    def day_files(self, data_folder: Path) -> dict[date, Path]:
        """Existing per-day zip files of a minute series, by day."""
        folder = self.folder(data_folder)
        found: dict[date, Path] = {}
        if not folder.is_dir():
            return found
        for path in folder.iterdir():
            match = MINUTE_FILE_PATTERN.match(path.name)
            if match and match.group(2) == self.bar_type:
                stamp = match.group(1)
                try:
                    day = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
                except ValueError as error:
                    raise LeanDataError(
                        f"{path}: file name holds no valid date ({error})"
                    ) from None
                found[day] = path
        return dict(sorted(found.items()))
