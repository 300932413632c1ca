"""Read and write bars in a QuantConnect LEAN data folder (public API of :mod:`market_data.lean_format`).

>>> bars = read_bars("data", security_type="equity", market="usa", symbol="SPY",
...                  resolution="daily")  # doctest: +SKIP
"""

from market_data.lean_format.catalog import LeanSeries, available
from market_data.lean_format.columns import empty_bars
from market_data.lean_format.errors import LeanDataError
from market_data.lean_format.layout import BAR_TYPES, RESOLUTIONS, SECURITY_TYPES, SeriesKey
from market_data.lean_format.reader import read_bars
from market_data.lean_format.timing import DATA_TIME_ZONES, bar_end_times
from market_data.lean_format.writer import write_bars

__all__ = [
    "BAR_TYPES",
    "DATA_TIME_ZONES",
    "RESOLUTIONS",
    "SECURITY_TYPES",
    "LeanDataError",
    "LeanSeries",
    "SeriesKey",
    "available",
    "bar_end_times",
    "empty_bars",
    "read_bars",
    "write_bars",
]
