"""Split a forecast cycle into asset groups and merge what the groups did.

A cycle over thousands of assets runs as one task per asset group. The model version
of the period is shared by every group: it is chosen (or trained) once before the
groups start, and each group only predicts with it. These functions are pure: they
take plain values, read no clock and touch no server.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from alpha_models.registry import ModelVersion
from engines.forecast.messages import forecast_messages
from market_data.lean import DATA_TIME_ZONES
from signal_bus import ForecastUpdate

_MESSAGE_NAMESPACE = uuid.UUID("5b0f7a52-3c1e-4f7e-9a55-2f3d8c1b6e90")


@dataclass(frozen=True)
class FanOutConfig:
    """How a cycle is split.

    Parameters
    ----------
    group_size
        Assets per group (one task each).
    """

    group_size: int = 100

    def __post_init__(self) -> None:
        if self.group_size < 1:
            raise ValueError(f"group_size must be at least 1, got {self.group_size}")


def asset_groups(assets: Sequence[str], group_size: int) -> list[tuple[str, ...]]:
    """Return ``assets`` in consecutive groups of at most ``group_size``, duplicates dropped.

    Raises
    ------
    ValueError
        If ``group_size`` is below 1.
    """
    FanOutConfig(group_size=group_size)
    unique: list[str] = []
    seen: set[str] = set()
    for asset in assets:
        if asset.upper() not in seen:
            seen.add(asset.upper())
            unique.append(asset)
    return [
        tuple(unique[start : start + group_size]) for start in range(0, len(unique), group_size)
    ]


def stable_message_id(cycle_id: str, key: str) -> str:
    """Return the message id of forecast ``key`` (``ASSET:horizon``) in cycle ``cycle_id``.

    The same cycle and key always give the same id, so a group that is run again
    publishes messages that consumers recognise as already seen.
    """
    return uuid.uuid5(_MESSAGE_NAMESPACE, f"{cycle_id}|{key}").hex


def period_version(
    versions: Iterable[ModelVersion],
    *,
    model: str,
    horizon: str,
    period: pd.Timestamp,
    assets: Sequence[str],
) -> ModelVersion | None:
    """Return the saved version of ``period`` trained on exactly ``assets``, if any.

    When several qualify (e.g. different seeds of the same data) the last one in
    ``versions`` order is returned.
    """
    wanted = {asset.upper() for asset in assets}
    found = None
    for version in versions:
        if (
            version.model == model
            and version.horizon == horizon
            and pd.Timestamp(version.valid_from) == period
            and {asset.upper() for asset in version.assets} == wanted
        ):
            found = version
    return found


def data_time(now: dt.datetime, security_type: str) -> pd.Timestamp:
    """Return ``now`` (aware) as a naive time in the data time zone of ``security_type``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = DATA_TIME_ZONES.get(security_type, "UTC")
    return pd.Timestamp(now).tz_convert(zone).tz_localize(None)


def forecast_updates(
    latest: pd.DataFrame,
    *,
    now: dt.datetime,
    model: str,
    security_type: str,
    cycle_id: str,
) -> list[ForecastUpdate]:
    """Turn forecast-table rows into messages with ids stable within ``cycle_id``."""
    return [
        replace(update, id=stable_message_id(cycle_id, update.key))
        for update in forecast_messages(latest, now=now, model=model, security_type=security_type)
    ]


@dataclass(frozen=True)
class GroupOutcome:
    """What one asset group did.

    Attributes
    ----------
    group_index
        Position of the group in the cycle.
    forecast
        ``ASSET:horizon`` keys forecast (and published).
    missing
        Keys without a forecast.
    """

    group_index: int
    forecast: tuple[str, ...]
    missing: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serializable form."""
        return {
            "group_index": self.group_index,
            "forecast": list(self.forecast),
            "missing": list(self.missing),
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, object]) -> GroupOutcome:
        """Rebuild from :meth:`to_dict` output."""
        forecast = document.get("forecast", [])
        missing = document.get("missing", [])
        index = document.get("group_index")
        if (
            not isinstance(index, int)
            or not isinstance(forecast, list)
            or not isinstance(missing, list)
        ):
            raise ValueError(f"not a group outcome: {dict(document)!r}")
        return cls(index, tuple(str(key) for key in forecast), tuple(str(key) for key in missing))


@dataclass(frozen=True)
class CycleSummary:
    """What a fanned-out cycle did, merged over its groups.

    Attributes
    ----------
    horizon
        Horizon forecast.
    group_count
        Number of groups.
    forecast_count
        Distinct ``ASSET:horizon`` keys forecast.
    missing
        Expected keys without a forecast (too little history, or a group that failed).
    duration_seconds
        From dispatch to the last group's end.
    """

    horizon: str
    group_count: int
    forecast_count: int
    missing: tuple[str, ...]
    duration_seconds: float

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serializable form."""
        return {
            "horizon": self.horizon,
            "group_count": self.group_count,
            "forecast_count": self.forecast_count,
            "missing": list(self.missing),
            "duration_seconds": self.duration_seconds,
        }


def merge_outcomes(
    outcomes: Iterable[GroupOutcome],
    *,
    horizon: str,
    expected: Sequence[str],
    started: float,
    finished: float,
) -> CycleSummary:
    """Merge group outcomes into one cycle summary.

    Parameters
    ----------
    outcomes
        One per group (a group reported twice counts once).
    horizon
        The cycle's horizon.
    expected
        Every ``ASSET:horizon`` key the cycle should forecast.
    started, finished
        Seconds (any common clock) at dispatch and at the last group's end.
    """
    by_group = {outcome.group_index: outcome for outcome in outcomes}
    made = {key for outcome in by_group.values() for key in outcome.forecast}
    return CycleSummary(
        horizon=horizon,
        group_count=len(by_group),
        forecast_count=len(made),
        missing=tuple(key for key in expected if key not in made),
        duration_seconds=max(0.0, finished - started),
    )


CONTEXT_COLUMNS = ("open", "high", "low", "close", "volume")


def encode_context(frames: Mapping[str, pd.DataFrame], bars: int) -> bytes:
    """The newest ``bars`` bars of every frame (``read_bars`` shape) as one compact blob.

    A fanned-out cycle whose model ranks assets against each other stores the universe's
    trailing bars once, so each group reads them from Redis instead of reading every
    asset's files again. Plain arrays in an ``npz`` (no pickle): decoding never runs code.
    """
    import io

    import numpy as np

    arrays: dict[str, np.ndarray[Any, Any]] = {}
    symbols = sorted(frames)
    arrays["symbols"] = np.array(symbols, dtype=np.str_)
    for position, symbol in enumerate(symbols):
        frame = frames[symbol].iloc[-bars:]
        arrays[f"time_{position}"] = frame.index.to_numpy(dtype="datetime64[ns]").view(np.int64)
        arrays[f"end_{position}"] = (
            pd.DatetimeIndex(frame["end_time"]).to_numpy(dtype="datetime64[ns]").view(np.int64)
        )
        arrays[f"values_{position}"] = frame.loc[:, list(CONTEXT_COLUMNS)].to_numpy(
            dtype=np.float64
        )
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def decode_context(blob: bytes) -> dict[str, pd.DataFrame]:
    """The frames :func:`encode_context` stored, in ``read_bars`` shape."""
    import io

    import numpy as np

    frames: dict[str, pd.DataFrame] = {}
    with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
        for position, symbol in enumerate(arrays["symbols"].tolist()):
            index = pd.DatetimeIndex(arrays[f"time_{position}"].view("datetime64[ns]"), name="time")
            frame = pd.DataFrame(
                arrays[f"values_{position}"], index=index, columns=list(CONTEXT_COLUMNS)
            )
            frame["end_time"] = pd.DatetimeIndex(arrays[f"end_{position}"].view("datetime64[ns]"))
            frames[str(symbol)] = frame
    return frames
