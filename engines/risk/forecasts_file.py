"""Read a forecasts CSV (as written by ``ats forecast evaluate --forecasts-out``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from signal_bus.horizon import Horizon

REQUIRED_COLUMNS = ("symbol", "time", "horizon", "prediction", "confidence")
TRUE_VALUES = frozenset({"true", "1"})
FALSE_VALUES = frozenset({"false", "0"})


class ForecastFileError(ValueError):
    """The forecasts file is missing, unreadable or has invalid rows."""


def read_forecasts(path: str | Path, *, time_zone: str = "UTC") -> pd.DataFrame:
    """Return the forecasts of ``path``, sorted by time, with UTC-aware ``time``.

    Parameters
    ----------
    path
        CSV with columns ``symbol, time, horizon, prediction, confidence`` and
        optionally ``model_version``, ``status`` and ``tradable``; ``time`` is when the
        forecast was made. ``tradable`` (``true``/``false``/``1``/``0``, any case) says
        whether the forecast's model version is live; a file without the column, or an
        empty cell, is tradable (as a message without the field is).
    time_zone
        Zone of naive ``time`` values (the data time zone of the bars).

    Raises
    ------
    ForecastFileError
        Naming the first bad row and column.
    """
    try:
        frame = pd.read_csv(path, dtype={"symbol": str, "horizon": str, "tradable": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ForecastFileError(f"cannot read forecasts file {path}: {error}") from None
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise ForecastFileError(f"{path}: missing column(s) {', '.join(missing)}")
    frame = frame.copy()
    frame["symbol"] = frame["symbol"].astype(str).str.strip().str.upper()
    try:
        times = pd.to_datetime(frame["time"], utc=False, format="mixed")
    except (ValueError, TypeError) as error:
        raise ForecastFileError(f"{path}: unreadable time: {error}") from None
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        frame["time"] = times.dt.tz_convert("UTC")
    else:
        frame["time"] = times.dt.tz_localize(time_zone).dt.tz_convert("UTC")
    for column in ("prediction", "confidence"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    _check_rows(frame, path)
    frame["tradable"] = _tradable(frame, path)
    return frame.sort_values("time", kind="stable").reset_index(drop=True)


def _check_rows(frame: pd.DataFrame, path: str | Path) -> None:
    checks = {
        "horizon": ~frame["horizon"].map(Horizon.is_valid).astype(bool),
        "prediction": ~np.isfinite(frame["prediction"].to_numpy(dtype=float)),
        "confidence": ~frame["confidence"].between(0.0, 1.0),
        "time": frame["time"].isna(),
    }
    for column, bad in checks.items():
        if bool(bad.any()):
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ForecastFileError(
                f"{path}: row {row + 2}: invalid {column} {frame[column].iloc[row]!r}"
            )


def _tradable(frame: pd.DataFrame, path: str | Path) -> pd.Series:
    """Return the ``tradable`` column as booleans (all true without the column)."""
    if "tradable" not in frame.columns:
        return pd.Series(True, index=frame.index, dtype=bool)
    text = frame["tradable"].fillna("true").astype(str).str.strip().str.lower()
    bad = ~text.isin(TRUE_VALUES | FALSE_VALUES)
    if bool(bad.any()):
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ForecastFileError(
            f"{path}: row {row + 2}: invalid tradable {frame['tradable'].iloc[row]!r} "
            "(expected true, false, 1 or 0)"
        )
    return text.isin(TRUE_VALUES).astype(bool)
