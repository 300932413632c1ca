"""What series a LEAN data folder holds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from market_data.lean_format.layout import MINUTE_FILE_PATTERN, RESOLUTIONS, SECURITY_TYPES

_EQUITY_FILE = re.compile(r"^([a-z0-9][a-z0-9._-]*)\.zip$")
_CRYPTO_FILE = re.compile(r"^([a-z0-9][a-z0-9._-]*)_(trade|quote)\.zip$")


@dataclass(frozen=True, order=True)
class LeanSeries:
    """One series found in a data folder.

    Parameters
    ----------
    security_type, market, symbol, resolution, bar_type
        Arguments that :func:`read_bars` takes to read it.
    files
        Number of zip files (one per day for minute data, else one).
    """

    security_type: str
    market: str
    symbol: str
    resolution: str
    bar_type: str
    files: int


def available(data_folder: str | Path) -> list[LeanSeries]:
    """List the equity and crypto bar series in a LEAN data folder, sorted.

    Only file names are inspected; use :func:`read_bars` to read the contents.
    Folders LEAN uses for other data (map files, factor files, options) are ignored.
    """
    root = Path(data_folder)
    found: list[LeanSeries] = []
    for security_type in SECURITY_TYPES:
        base = root / security_type
        if not base.is_dir():
            continue
        for market_folder in sorted(p for p in base.iterdir() if p.is_dir()):
            for resolution in RESOLUTIONS:
                folder = market_folder / resolution
                if folder.is_dir():
                    found += _series_in(folder, security_type, market_folder.name, resolution)
    return sorted(found)


def _series_in(folder: Path, security_type: str, market: str, resolution: str) -> list[LeanSeries]:
    series: list[LeanSeries] = []
    if resolution == "minute":
        for symbol_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
            counts: dict[str, int] = {}
            for path in symbol_folder.iterdir():
                match = MINUTE_FILE_PATTERN.match(path.name)
                if match:
                    counts[match.group(2)] = counts.get(match.group(2), 0) + 1
            series += [
                LeanSeries(security_type, market, symbol_folder.name, resolution, bar_type, count)
                for bar_type, count in sorted(counts.items())
            ]
        return series
    for path in sorted(folder.glob("*.zip")):
        if security_type == "crypto":
            match = _CRYPTO_FILE.match(path.name)
            if match:
                series.append(
                    LeanSeries(security_type, market, match.group(1), resolution, match.group(2), 1)
                )
        else:
            match = _EQUITY_FILE.match(path.name)
            if match:
                series.append(
                    LeanSeries(security_type, market, match.group(1), resolution, "trade", 1)
                )
    return series
