"""Format bars as the rows of a LEAN CSV entry."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from market_data.lean_format.columns import EQUITY_PRICE_SCALE, SIZE_COLUMNS, value_columns
from market_data.lean_format.layout import SeriesKey


def format_bar_text(bars: pd.DataFrame, *, key: SeriesKey, day: date | None) -> str:
    """Rows ``time,values...`` for bars already validated and sorted.

    Daily and hour rows start with ``yyyyMMdd HH:mm``; minute rows (``day`` given) with
    milliseconds since that day's midnight. Equity prices become integer deci-cents and
    equity sizes integers; crypto values are written as plain decimals (never in
    exponent notation, which LEAN's number parser does not read).
    """
    index = pd.DatetimeIndex(bars.index)
    if day is None:
        stamps = _date_time_stamps(index)
    else:
        midnight = pd.Timestamp(datetime(day.year, day.month, day.day))
        milliseconds = (index - midnight) // pd.Timedelta(milliseconds=1)
        stamps = np.asarray(milliseconds, dtype=np.int64).astype(str).astype(object)
    fields = [stamps]
    for name in value_columns(key.bar_type):
        fields.append(_format_column(bars[name].to_numpy(dtype=np.float64), name=name, key=key))
    lines = [",".join(row) for row in zip(*fields, strict=True)]
    return "\n".join(lines) + "\n" if lines else ""


_CLOCK_LABELS: npt.NDArray[np.str_] = np.array(
    [f" {minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60)]
)


def _date_time_stamps(index: pd.DatetimeIndex) -> npt.NDArray[np.object_]:
    """``yyyyMMdd HH:mm`` for each time (vectorised; strftime is several times slower)."""
    days = (index.year * 10_000 + index.month * 100 + index.day).to_numpy(dtype=np.int64)
    clock = _CLOCK_LABELS[(index.hour * 60 + index.minute).to_numpy(dtype=np.int64)]
    stamps: npt.NDArray[np.object_] = np.char.add(days.astype(str), clock).astype(object)
    return stamps


def _format_column(
    values: npt.NDArray[np.float64], *, name: str, key: SeriesKey
) -> npt.NDArray[np.object_]:
    missing = np.isnan(values)
    if key.security_type == "equity":
        scale = 1.0 if name in SIZE_COLUMNS else EQUITY_PRICE_SCALE
        integers = np.rint(np.where(missing, 0.0, values) * scale).astype(np.int64)
        text: npt.NDArray[np.object_] = integers.astype(str).astype(object)
    else:
        text = np.array(
            [_plain_decimal(value) for value in np.where(missing, 0.0, values)], dtype=object
        )
    if missing.any():
        text[missing] = ""
    return text


def _plain_decimal(value: float) -> str:
    return str(np.format_float_positional(value, trim="-"))
