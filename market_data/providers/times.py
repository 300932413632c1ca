"""Convert between the providers' epoch milliseconds and the bars' naive data times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pandas as pd


def to_utc_milliseconds(moment: date | datetime | str) -> int:
    """Epoch milliseconds of a bound; naive values and dates are taken as UTC."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            raise ValueError(f"{moment!r} is not an ISO date or date-time") from None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(round(moment.timestamp() * 1000))


def naive_times(milliseconds: pd.Series | list[int], *, time_zone: str) -> pd.DatetimeIndex:
    """Naive wall-clock times in ``time_zone`` for epoch milliseconds."""
    stamps = pd.to_datetime(pd.Series(milliseconds, dtype="int64"), unit="ms", utc=True)
    return pd.DatetimeIndex(stamps).tz_convert(time_zone).tz_localize(None).as_unit("ns")


def complete_bars(frame: pd.DataFrame, *, now: datetime, time_zone: str) -> pd.DataFrame:
    """Drop bars still in progress at ``now``: keep those whose ``end_time`` has passed.

    ``end_time`` is naive in ``time_zone``; ``now`` must be time-zone aware.
    """
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    local_now = pd.Timestamp(now).tz_convert(time_zone).tz_localize(None)
    return frame.loc[frame["end_time"].to_numpy() <= local_now.to_datetime64()]
