"""The forecast horizon value type."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_DURATIONS: dict[str, dt.timedelta] = {
    "1h": dt.timedelta(hours=1),
    "4h": dt.timedelta(hours=4),
    "1d": dt.timedelta(days=1),
}

_RESOLUTIONS: dict[str, dt.timedelta] = {
    "hour": dt.timedelta(hours=1),
    "daily": dt.timedelta(days=1),
}


@dataclass(frozen=True)
class Horizon:
    """How far ahead a forecast looks: ``"1h"``, ``"4h"`` or ``"1d"``.

    Parameters
    ----------
    name
        One of ``"1h"``, ``"4h"``, ``"1d"``.
    """

    name: str

    def __post_init__(self) -> None:
        if self.name not in _DURATIONS:
            raise ValueError(f"unknown horizon {self.name!r}; expected one of {sorted(_DURATIONS)}")

    @property
    def duration(self) -> dt.timedelta:
        """Return the calendar length of the horizon."""
        return _DURATIONS[self.name]

    def bars(self, resolution: str, *, hours_per_day: int = 24) -> int:
        """Return how many bars of ``resolution`` the horizon spans.

        Parameters
        ----------
        resolution
            ``"daily"`` or ``"hour"``.
        hours_per_day
            Hourly bars in one trading day (7 for US equities, 24 for crypto);
            used for the ``"1d"`` horizon on hourly data.

        Raises
        ------
        ValueError
            If the horizon is shorter than one bar of the resolution.
        """
        if resolution not in _RESOLUTIONS:
            raise ValueError(
                f"unknown resolution {resolution!r}; expected one of {sorted(_RESOLUTIONS)}"
            )
        if hours_per_day < 1:
            raise ValueError("hours_per_day must be at least 1")
        if resolution == "daily":
            if self.name != "1d":
                raise ValueError(f"horizon {self.name} is shorter than one daily bar")
            return 1
        if self.name == "1d":
            return hours_per_day
        return int(self.duration / _RESOLUTIONS["hour"])

    def __str__(self) -> str:
        return self.name
