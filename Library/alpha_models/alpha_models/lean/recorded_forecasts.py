"""Point-in-time replay of recorded forecasts (backtests).

The file is JSON lines, one bus message per line, as written by
``ats lean export-forecasts``. A forecast becomes visible at its ``ts_init`` (when it
was published), never earlier, so a backtest sees exactly what live trading saw.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import datetime

from signal_bus.channels import FORECAST_UPDATES
from signal_bus.codec import decode
from signal_bus.errors import MessageValidationError
from signal_bus.messages import ForecastUpdate


class RecordedForecastsError(ValueError):
    """A recorded forecasts file has a line that is not a valid forecast."""


class RecordedForecasts:
    """Recorded forecasts ordered by publication time.

    Parameters
    ----------
    forecasts
        Validated forecasts in any order.
    """

    def __init__(self, forecasts: Iterable[ForecastUpdate]) -> None:
        self._forecasts = sorted(forecasts, key=lambda forecast: (forecast.ts_init, forecast.id))
        self._published = [forecast.ts_init for forecast in self._forecasts]
        self._latest: dict[str, ForecastUpdate] = {}
        self._cursor = 0
        self._cursor_time: datetime | None = None

    @classmethod
    def from_json_lines(cls, text: str) -> RecordedForecasts:
        """Parse a JSON-lines export; blank lines are skipped.

        Raises
        ------
        RecordedForecastsError
            Naming the first bad line and why it is bad.
        """
        forecasts: list[ForecastUpdate] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                message = decode(line, FORECAST_UPDATES)
            except MessageValidationError as error:
                raise RecordedForecastsError(f"line {number}: {error}") from None
            if not isinstance(message, ForecastUpdate):
                raise RecordedForecastsError(f"line {number}: not a forecast update")
            forecasts.append(message)
        return cls(forecasts)

    def __len__(self) -> int:
        return len(self._forecasts)

    def as_of(self, now: datetime) -> list[ForecastUpdate]:
        """Return the forecast in force per asset and horizon published at or before ``now``.

        The newest, except that a shadow model's never displaces a live model's
        (``ForecastUpdate.supersedes``).

        Calls with non-decreasing ``now`` (a backtest) cost only the newly visible
        forecasts; going back in time replays from the start.
        """
        if self._cursor_time is not None and now < self._cursor_time:
            self._latest, self._cursor = {}, 0
        end = bisect.bisect_right(self._published, now)
        for forecast in self._forecasts[self._cursor : end]:
            held = self._latest.get(forecast.key)
            if held is None or forecast.supersedes(held):
                self._latest[forecast.key] = forecast
        self._cursor = max(self._cursor, end)
        self._cursor_time = now
        return list(self._latest.values())
