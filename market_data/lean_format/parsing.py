"""Parse the CSV text of one LEAN bar file into a frame, or say exactly which line is bad."""

from __future__ import annotations

import io
import math
from datetime import date, datetime

import numpy as np
import pandas as pd

from market_data.lean_format.columns import (
    EQUITY_PRICE_SCALE,
    INDEX_NAME,
    SIZE_COLUMNS,
    empty_bars,
    price_columns,
    value_columns,
)
from market_data.lean_format.errors import LeanDataError
from market_data.lean_format.layout import SeriesKey

MILLISECONDS_PER_DAY = 86_400_000
DATE_TIME_FORMAT = "%Y%m%d %H:%M"


def parse_bar_text(text: str, *, key: SeriesKey, source: str, day: date | None) -> pd.DataFrame:
    """Parse one file's rows into bars with a naive ``time`` index and float64 columns.

    Parameters
    ----------
    text
        The CSV entry's content.
    key
        Which series the file belongs to (decides columns, time format and scaling).
    source
        How to name the file in error messages.
    day
        The file's day for minute files (rows hold milliseconds since midnight).

    Raises
    ------
    LeanDataError
        When a row is malformed; the message names the file and line number.
    """
    columns = value_columns(key.bar_type)
    names = [INDEX_NAME, *columns]
    if not text.strip():
        return empty_bars(key.bar_type)
    try:
        raw = pd.read_csv(
            io.StringIO(text),
            header=None,
            names=names,
            dtype={INDEX_NAME: str} | dict.fromkeys(columns, np.float64),
            engine="c",
            # equity fields are integers, which every parser reads exactly; crypto decimals
            # need the slower round-trip parser to read back exactly what was written
            float_precision="round_trip" if key.security_type == "crypto" else None,
        )
        bars = _convert(raw, key=key, day=day)
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError) as error:
        _raise_for_first_bad_line(text, key=key, source=source, day=day)
        raise LeanDataError(f"{source}: cannot parse ({error})") from None
    return bars


def _convert(raw: pd.DataFrame, *, key: SeriesKey, day: date | None) -> pd.DataFrame:
    required = [
        c for c in raw.columns if c == INDEX_NAME or c in SIZE_COLUMNS or key.bar_type == "trade"
    ]
    if raw[required].isna().to_numpy().any():
        raise ValueError("missing field")
    if np.isinf(raw[list(value_columns(key.bar_type))].to_numpy(dtype=np.float64)).any():
        raise ValueError("infinite value")
    times = _parse_times(raw[INDEX_NAME], key=key, day=day)
    values = raw.drop(columns=INDEX_NAME)
    if key.security_type == "equity":
        prices = list(price_columns(key.bar_type))
        values[prices] = values[prices] / EQUITY_PRICE_SCALE
    values.index = pd.DatetimeIndex(times, name=INDEX_NAME)
    return values.astype(np.float64)


def _parse_times(column: pd.Series, *, key: SeriesKey, day: date | None) -> pd.DatetimeIndex:
    if day is None:
        return pd.DatetimeIndex(pd.to_datetime(column, format=DATE_TIME_FORMAT))
    milliseconds = column.astype(np.int64)
    if ((milliseconds < 0) | (milliseconds >= MILLISECONDS_PER_DAY)).any():
        raise ValueError("milliseconds since midnight out of range")
    midnight = pd.Timestamp(datetime(day.year, day.month, day.day))
    return pd.DatetimeIndex(midnight + pd.to_timedelta(milliseconds.to_numpy(), unit="ms"))


def _raise_for_first_bad_line(text: str, *, key: SeriesKey, source: str, day: date | None) -> None:
    columns = value_columns(key.bar_type)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        problem = _line_problem(line, columns=columns, key=key, day=day)
        if problem:
            raise LeanDataError(f"{source}, line {number}: {problem}: {line[:120]!r}")


def _line_problem(line: str, *, columns: tuple[str, ...], key: SeriesKey, day: date | None) -> str:
    fields = line.strip().split(",")
    if len(fields) != len(columns) + 1:
        return f"expected {len(columns) + 1} comma-separated fields, found {len(fields)}"
    stamp = fields[0].strip()
    if day is None:
        try:
            datetime.strptime(stamp, DATE_TIME_FORMAT)
        except ValueError:
            return "time is not 'yyyyMMdd HH:mm'"
    elif not stamp.isdigit() or int(stamp) >= MILLISECONDS_PER_DAY:
        return "time is not milliseconds since midnight (0 to 86,399,999)"
    for name, field in zip(columns, fields[1:], strict=True):
        if not field.strip():
            if key.bar_type == "trade" or name in SIZE_COLUMNS:
                return f"{name} is empty"
            continue
        try:
            number = float(field)
        except ValueError:
            return f"{name} is not a number"
        if not math.isfinite(number):
            return f"{name} is not a finite number"
    return ""
