"""The forecast horizon: how far ahead a forecast looks. The one definition in the system.

A horizon is a whole number of minutes, hours or days: ``"15m"``, ``"1h"``, ``"4h"``,
``"1d"``. The bus validates messages with it, the forecasting core counts its label
window in bars with it, the risk engine and LEAN time forecasts out with it, and the
backend and the dashboard accept and sort horizons with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

PATTERN = re.compile(r"^([1-9][0-9]{0,5})([mhd])$")
"""Accepted spellings: 1 to 999,999 followed by ``m``, ``h`` or ``d``."""

_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
RESOLUTIONS = ("minute", "hour", "daily")
"""Bar resolutions :meth:`Horizon.bars` counts in."""


@dataclass(frozen=True, slots=True)
class Horizon:
    """How far ahead a forecast looks.

    Parameters
    ----------
    name
        A whole number of minutes, hours or days, e.g. ``"1h"``, ``"4h"``, ``"1d"``.

    Raises
    ------
    ValueError
        If ``name`` is not such a spelling.
    """

    name: str

    def __post_init__(self) -> None:
        if not self.is_valid(self.name):
            raise ValueError(
                "horizon must be a whole number of minutes, hours or days such as "
                f"'15m', '1h', '4h' or '1d'; got {self.name!r}"
            )

    @staticmethod
    def is_valid(name: object) -> bool:
        """Whether ``name`` spells a horizon."""
        return type(name) is str and PATTERN.match(name) is not None

    @property
    def count(self) -> int:
        """The number in the spelling (``4`` for ``"4h"``)."""
        return int(self.name[:-1])

    @property
    def unit(self) -> str:
        """The unit in the spelling: ``"m"``, ``"h"`` or ``"d"``."""
        return self.name[-1]

    @property
    def duration(self) -> timedelta:
        """The calendar length of the horizon."""
        return self.count * _UNITS[self.unit]

    def bars(self, resolution: str, *, hours_per_day: int = 24) -> int:
        """Return how many bars of ``resolution`` the horizon spans.

        Parameters
        ----------
        resolution
            ``"minute"``, ``"hour"`` or ``"daily"``.
        hours_per_day
            Hourly bars in one trading day (7 for US equities, 24 for crypto); a horizon
            in days spans that many hourly bars a day.

        Raises
        ------
        ValueError
            If the resolution is unknown, or the horizon is not a whole number of its bars.
        """
        if resolution not in RESOLUTIONS:
            raise ValueError(
                f"unknown resolution {resolution!r}; expected one of {', '.join(RESOLUTIONS)}"
            )
        if hours_per_day < 1:
            raise ValueError("hours_per_day must be at least 1")
        count, unit = self.count, self.unit
        if unit == "d":
            return {"daily": count, "hour": count * hours_per_day}.get(
                resolution, count * hours_per_day * 60
            )
        if resolution == "daily":
            raise ValueError(f"horizon {self.name} is shorter than one daily bar")
        minutes = count * (60 if unit == "h" else 1)
        if resolution == "minute":
            return minutes
        if minutes % 60:
            raise ValueError(f"horizon {self.name} is not a whole number of hourly bars")
        return minutes // 60

    def __str__(self) -> str:
        return self.name
