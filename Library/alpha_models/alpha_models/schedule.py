"""Calendar retraining schedules."""

from __future__ import annotations

import pandas as pd

_FREQUENCIES: dict[str, str] = {"weekly": "W-MON", "monthly": "MS", "quarterly": "QS"}

RETRAIN_FREQUENCIES: tuple[str, ...] = tuple(_FREQUENCIES)


def retrain_times(first: pd.Timestamp, last: pd.Timestamp, frequency: str) -> list[pd.Timestamp]:
    """Return the calendar boundaries strictly after ``first`` and at or before ``last``.

    The boundaries depend only on the calendar, never on how much data
    follows, so a truncated history retrains at the same times.

    Parameters
    ----------
    first, last
        The span of forecast times.
    frequency
        ``"weekly"`` (Mondays), ``"monthly"`` or ``"quarterly"`` (period starts, midnight).
    """
    if frequency not in _FREQUENCIES:
        raise ValueError(
            f"unknown retrain frequency {frequency!r}; expected one of {list(_FREQUENCIES)}"
        )
    boundaries = pd.date_range(first.normalize(), last, freq=_FREQUENCIES[frequency])
    return [pd.Timestamp(b) for b in boundaries if first < b <= last]


def period_start(moment: pd.Timestamp, frequency: str) -> pd.Timestamp:
    """Return the latest schedule boundary at or before ``moment``."""
    if frequency not in _FREQUENCIES:
        raise ValueError(
            f"unknown retrain frequency {frequency!r}; expected one of {list(_FREQUENCIES)}"
        )
    offset = pd.tseries.frequencies.to_offset(_FREQUENCIES[frequency])
    day = moment.normalize()
    return pd.Timestamp(day if offset.is_on_offset(day) else offset.rollback(day))
