"""Read bars from ordinary CSV files (one symbol per file, or a ``symbol`` column)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from market_data.lean_format.columns import INDEX_NAME, TRADE_COLUMNS

TIME_COLUMN_NAMES: Final = ("time", "date", "datetime", "timestamp")
SYMBOL_COLUMN_NAMES: Final = ("symbol", "ticker")
_UTC_OFFSET: Final = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})$"


class CsvSourceError(ValueError):
    """A CSV file cannot be read as bars; the message names the file (and row)."""


def read_csv_bars(path: str | Path, *, symbol: str | None = None) -> dict[str, pd.DataFrame]:
    """Read bars from a CSV file, or from every ``*.csv`` file in a folder.

    Each file needs a header with a time column (``time``, ``date``, ``datetime`` or
    ``timestamp``) and ``open, high, low, close, volume`` (any case; other columns are
    ignored). Times may carry a UTC offset (converted later by the writer) or be naive
    in the data time zone. The symbol comes from a ``symbol``/``ticker`` column, else
    ``symbol``, else the file name without ``.csv``.

    Parameters
    ----------
    path
        A CSV file or a folder of them.
    symbol
        Symbol for files without a symbol column (only with a single file).

    Returns
    -------
    dict of str to pandas.DataFrame
        Upper-case symbol to frame with a ``time`` index and float64 value columns.

    Raises
    ------
    CsvSourceError
        Missing file or column, unreadable time or number (row named), duplicate times.
    """
    source = Path(path)
    if source.is_dir():
        files = sorted(source.glob("*.csv"))
        if not files:
            raise CsvSourceError(f"{source}: the folder holds no .csv files")
        if symbol is not None and len(files) > 1:
            raise CsvSourceError(f"{source}: a symbol can be given only for a single file")
    elif source.is_file():
        files = [source]
    else:
        raise CsvSourceError(f"{source}: no such file or folder")
    bars: dict[str, pd.DataFrame] = {}
    for file in files:
        for name, frame in _read_file(file, symbol).items():
            if name in bars:
                raise CsvSourceError(f"{file}: symbol {name} also appears in another file")
            bars[name] = frame
    return bars


def _read_file(file: Path, symbol: str | None) -> dict[str, pd.DataFrame]:
    try:
        table = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise CsvSourceError(f"{file}: cannot read CSV ({error})") from None
    columns = {name.strip().lower().replace(" ", "_"): name for name in table.columns}
    time_name = next((columns[c] for c in TIME_COLUMN_NAMES if c in columns), None)
    if time_name is None:
        raise CsvSourceError(f"{file}: no time column (one of {', '.join(TIME_COLUMN_NAMES)})")
    missing = [c for c in TRADE_COLUMNS if c not in columns]
    if missing:
        raise CsvSourceError(f"{file}: missing columns {', '.join(missing)}")
    symbol_name = next((columns[c] for c in SYMBOL_COLUMN_NAMES if c in columns), None)
    times = _times(table[time_name], file)
    values = pd.DataFrame(index=pd.DatetimeIndex(times, name=INDEX_NAME))
    for column in TRADE_COLUMNS:
        values[column] = _numbers(table[columns[column]], file, column)
    if symbol_name is None:
        labels = pd.Series((symbol or file.stem).strip().upper(), index=table.index)
    else:
        labels = table[symbol_name].str.strip().str.upper()
    result: dict[str, pd.DataFrame] = {}
    for label, rows in values.groupby(labels.to_numpy(), sort=True):
        if not label:
            raise CsvSourceError(f"{file}: a row has an empty symbol")
        frame = rows.sort_index(kind="stable")
        if frame.index.has_duplicates:
            repeated = frame.index[frame.index.duplicated()][0]
            raise CsvSourceError(f"{file}: {label} has two rows at {repeated}")
        result[str(label)] = frame
    return result


def _times(column: pd.Series, file: Path) -> pd.DatetimeIndex:
    text = column.str.strip()
    aware = text.str.contains(_UTC_OFFSET, regex=True).to_numpy()
    if aware.any() and not aware.all():
        row = int(np.flatnonzero(aware != aware[0])[0])
        raise CsvSourceError(
            f"{file}, row {row + 2}: times mix values with and without a UTC offset; use one form"
        )
    parsed = pd.to_datetime(text, format="mixed", errors="coerce", utc=bool(aware.any()))
    missing = parsed.isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise CsvSourceError(
            f"{file}, row {row + 2}: time {column.iloc[row]!r} is not a date or date-time"
        )
    return pd.DatetimeIndex(parsed).as_unit("ns")


def _numbers(column: pd.Series, file: Path, name: str) -> npt.NDArray[np.float64]:
    numbers = pd.to_numeric(column.str.strip(), errors="coerce")
    bad = numbers.isna().to_numpy() | ~np.isfinite(numbers.to_numpy(dtype=np.float64))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CsvSourceError(f"{file}, row {row + 2}: {name} {column.iloc[row]!r} is not a number")
    return numbers.to_numpy(dtype=np.float64)
