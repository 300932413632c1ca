"""Where ``ForecastAlphaModel`` gets forecasts: the bus inbox, a recorded file, or itself.

Every source answers ``latest(now)`` immediately (no I/O on the algorithm thread).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import pandas as pd

from alpha_models.lean.in_algorithm_forecasts import (
    ForecastGate,
    frames_from_history,
    latest_forecasts,
)
from alpha_models.lean.recorded_forecasts import RecordedForecasts
from alpha_models.walk_forward import WalkForwardTrainer
from signal_bus.lean.signal_inbox import SignalInbox
from signal_bus.messages import ForecastUpdate


class ForecastSource(Protocol):
    """Gives the latest forecast per asset and horizon known at ``now``."""

    def latest(self, now: datetime) -> list[ForecastUpdate]:
        """Return the latest forecasts visible at ``now`` (UTC, timezone-aware)."""


class InboxForecastSource:
    """Forecasts kept by a :class:`SignalInbox` (filled by Redis or LEAN commands)."""

    def __init__(self, inbox: SignalInbox) -> None:
        self.inbox = inbox

    def latest(self, now: datetime) -> list[ForecastUpdate]:
        """Return the inbox's forecasts; freshness is judged by the alpha model."""
        return self.inbox.forecasts()


class RecordedForecastSource:
    """Forecasts replayed point-in-time from a recorded export."""

    def __init__(self, recorded: RecordedForecasts) -> None:
        self.recorded = recorded

    def latest(self, now: datetime) -> list[ForecastUpdate]:
        """Return the forecasts published at or before ``now``."""
        return self.recorded.as_of(now)


class TextStore(Protocol):
    """The part of LEAN's ObjectStore used to read an export."""

    def contains_key(self, path: str) -> bool:
        """Whether ``path`` is stored."""

    def read(self, path: str) -> str:
        """Return the text stored at ``path``."""


def load_recorded_forecasts(
    location: str, object_store: TextStore | None = None
) -> RecordedForecasts:
    """Read an export from the ObjectStore (key ``location``) or else from a file.

    Raises
    ------
    FileNotFoundError
        If neither the ObjectStore nor the file system has ``location``.
    RecordedForecastsError
        If a line is not a valid forecast.
    """
    if object_store is not None and object_store.contains_key(location):
        return RecordedForecasts.from_json_lines(object_store.read(location))
    path = Path(location)
    if not path.is_file():
        raise FileNotFoundError(
            f"recorded forecasts not found in the ObjectStore or at {location!r}"
        )
    return RecordedForecasts.from_json_lines(path.read_text(encoding="utf-8"))


class InAlgorithmForecastSource:
    """Forecasts the algorithm makes itself with the forecasting core.

    :meth:`refresh` is the training step: run it from ``algorithm.train`` scheduled at
    the time each bar ends, so that the bar is in ``history()`` and the forecast it gives
    is fresh on the slice that carries the bar (a scheduled event due at a slice's time
    fires before ``on_data`` and the framework, Engine/RealTime/BacktestingRealTimeHandler.cs
    ``SetTime``). :meth:`latest` only returns what the last refresh produced.

    Parameters
    ----------
    trainer
        The walk-forward trainer.
    bar_period
        Length of one history bar.
    gate
        Marks which forecasts may trade (the promotion rule); ``None``: all of them.
    """

    def __init__(
        self,
        trainer: WalkForwardTrainer,
        bar_period: timedelta,
        gate: ForecastGate | None = None,
    ) -> None:
        self.trainer = trainer
        self.bar_period = bar_period
        self.gate = gate
        self._forecasts: list[ForecastUpdate] = []
        self.refreshes = 0

    def refresh(
        self,
        history: pd.DataFrame,
        now: datetime,
        time_zones: Mapping[str, str] | None = None,
    ) -> list[ForecastUpdate]:
        """Re-run the walk-forward on ``history`` and keep the newest forecast per asset.

        ``time_zones``: each symbol's exchange time zone, in which ``history`` is indexed.
        """
        frames = frames_from_history(history, self.bar_period, time_zones)
        self._forecasts = latest_forecasts(self.trainer, frames, now, self.gate)
        self.refreshes += 1
        return list(self._forecasts)

    def latest(self, now: datetime) -> list[ForecastUpdate]:
        """Return the forecasts of the last refresh."""
        return list(self._forecasts)
