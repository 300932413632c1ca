"""Which assets a live forecast cycle may forecast: only those whose latest bar is complete and fresh.

A live cycle must not trade on old data. Bars not closed at ``now`` (``end_time`` after
it) are dropped first; then an asset is **stale** when the exchange calendar expects a
bar after its latest one that closed more than ``tolerance`` before ``now``::

    stale  <=>  next_bar_end + tolerance < now

``next_bar_end`` is the end of the first bar the calendar expects after the asset's
latest bar (:mod:`market_data.ingest.calendar`). For a market that never closes (crypto)
it is the latest end plus one bar, so the rule reads ``now - last_bar_end > interval +
tolerance``. For US equity the closed hours, weekends and holidays are skipped: Friday's
daily bar (ending 16:00 New York) stays fresh until Monday's bar is due, at Monday 16:00
plus the tolerance; after a holiday the next session counts. The tolerance is the time
the newest bar may take to reach the engine after it closes (provider delay, ingestion
schedule).

A stale asset gets no forecast: the cycle logs why and counts it, and the risk engine's
staleness rule takes over. Backtests and research replay history and never apply this.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import structlog

from market_data.ingest.calendar import CALENDARS
from market_data.lean import DATA_TIME_ZONES, bar_end_times
from market_data.lean_format.layout import BAR_PERIODS

logger = structlog.get_logger(__name__)

FRESHNESS_VARIABLE = "ATS_FORECAST_FRESHNESS"
TOLERANCE_VARIABLE = "ATS_FORECAST_STALE_TOLERANCE_SECONDS"
FRESHNESS_MODES: tuple[str, ...] = ("auto", "on", "off")
LIVE_SOURCES: tuple[str, ...] = ("database", "polygon", "binance")
"""Sources ``auto`` applies the rule to: they serve the present. LEAN folders and the
bundled data are files, often snapshots replayed on purpose; ``on`` covers them too."""

DEFAULT_STALE_TOLERANCE = dt.timedelta(minutes=30)

STALE = "stale"
NO_BARS = "no_bars"

_SEARCH_DAYS = 16
"""Days searched for the next expected bar (longer than any market closure in the calendar)."""


@dataclass(frozen=True)
class FreshnessRule:
    """The live cycle's freshness rule.

    Parameters
    ----------
    tolerance
        How long after the next expected bar has closed the latest bar still counts as
        fresh (its delivery delay); at least zero.
    """

    tolerance: dt.timedelta = DEFAULT_STALE_TOLERANCE

    def __post_init__(self) -> None:
        if self.tolerance < dt.timedelta(0):
            raise ValueError(f"the stale tolerance must not be negative; got {self.tolerance}")

    @classmethod
    def for_source(
        cls, source: str, *, mode: str = "auto", tolerance_seconds: float | None = None
    ) -> FreshnessRule | None:
        """The rule a live cycle on ``source`` applies, or ``None`` when it is off.

        Parameters
        ----------
        source
            The bar source's name.
        mode
            ``"auto"`` (on for :data:`LIVE_SOURCES`), ``"on"`` or ``"off"``.
        tolerance_seconds
            Tolerance in seconds; ``None`` keeps :data:`DEFAULT_STALE_TOLERANCE`.

        Raises
        ------
        ValueError
            An unknown mode or a negative tolerance.
        """
        mode = mode.strip().lower() or "auto"
        if mode not in FRESHNESS_MODES:
            raise ValueError(
                f"{FRESHNESS_VARIABLE} must be one of {', '.join(FRESHNESS_MODES)}; got {mode!r}"
            )
        if mode == "off" or (mode == "auto" and source not in LIVE_SOURCES):
            return None
        if tolerance_seconds is None:
            return cls()
        return cls(tolerance=dt.timedelta(seconds=tolerance_seconds))


def freshness_from_environment(
    source: str, environ: Mapping[str, str] | None = None
) -> FreshnessRule | None:
    """Read ``ATS_FORECAST_FRESHNESS`` and ``ATS_FORECAST_STALE_TOLERANCE_SECONDS`` (blank: defaults)."""
    env = os.environ if environ is None else environ
    text = env.get(TOLERANCE_VARIABLE, "").strip()
    try:
        seconds = float(text) if text else None
    except ValueError:
        raise ValueError(
            f"{TOLERANCE_VARIABLE} must be a number of seconds; got {text!r}"
        ) from None
    return FreshnessRule.for_source(
        source, mode=env.get(FRESHNESS_VARIABLE, "auto"), tolerance_seconds=seconds
    )


@dataclass(frozen=True)
class StaleAsset:
    """An asset a live cycle did not forecast, and why (times in UTC)."""

    asset: str
    reason: str
    """``stale`` (the latest complete bar is too old) or ``no_bars`` (no complete bar)."""
    now: dt.datetime
    last_bar_end: dt.datetime | None = None
    next_bar_end: dt.datetime | None = None
    """End of the bar the calendar expects after the latest one."""
    limit: dt.datetime | None = None
    """``next_bar_end`` plus the tolerance: the latest bar is stale once ``now`` is past it."""

    def to_dict(self) -> dict[str, Any]:
        """Plain values for logs and task results."""
        return {
            "asset": self.asset,
            "reason": self.reason,
            "now": self.now.isoformat(),
            "last_bar_end": None if self.last_bar_end is None else self.last_bar_end.isoformat(),
            "next_bar_end": None if self.next_bar_end is None else self.next_bar_end.isoformat(),
            "limit": None if self.limit is None else self.limit.isoformat(),
        }


@dataclass(frozen=True)
class FreshnessCheck:
    """Bars ready for a live cycle and the assets it must not forecast."""

    frames: dict[str, pd.DataFrame]
    """Complete bars of every asset that has any (stale ones too: history still trains)."""
    stale: tuple[StaleAsset, ...] = ()
    incomplete_dropped: int = 0
    """Bars dropped because they had not closed at ``now``."""
    fresh: tuple[str, ...] = ()
    """Assets whose latest bar is complete and fresh."""

    @property
    def stale_assets(self) -> frozenset[str]:
        """Names of the assets not to forecast (upper case, as in the messages)."""
        return frozenset(item.asset.upper() for item in self.stale)


def next_bar_end(last_end: pd.Timestamp, *, security_type: str, resolution: str) -> pd.Timestamp:
    """End of the first bar the exchange calendar expects after a bar ending at ``last_end``.

    Times are naive in the series' data time zone (New York for US equity, UTC for
    crypto), as in LEAN files.
    """
    period = pd.Timedelta(BAR_PERIODS[resolution])
    calendar = CALENDARS.get(security_type)
    last = pd.Timestamp(last_end)
    if calendar is None or calendar.always_open:
        return last + period
    start = (last - pd.Timedelta(days=1)).floor("D")
    times = calendar.expected_bar_times(resolution, start, start + pd.Timedelta(days=_SEARCH_DAYS))
    ends = bar_end_times(times, security_type=security_type, resolution=resolution)
    later = ends[ends > last]
    return pd.Timestamp(later[0]) if len(later) else last + period


def check_freshness(
    frames: Mapping[str, pd.DataFrame],
    *,
    security_type: str,
    resolution: str,
    now: dt.datetime,
    rule: FreshnessRule,
) -> FreshnessCheck:
    """Drop bars not closed at ``now`` and find the assets whose latest bar is stale.

    Parameters
    ----------
    frames
        Bars per asset in the ``market_data.lean.read_bars`` shape (``end_time`` naive
        in the data time zone; computed by LEAN's rule when absent).
    security_type, resolution
        The series' kind (chooses the calendar and the bar length).
    now
        The current time, time-zone aware.
    rule
        The tolerance.
    """
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    zone = DATA_TIME_ZONES.get(security_type, "UTC")
    local_now = pd.Timestamp(now).tz_convert(zone).tz_localize(None)
    utc_now = pd.Timestamp(now).tz_convert("UTC").to_pydatetime()

    def utc(moment: pd.Timestamp) -> dt.datetime:
        return pd.Timestamp(moment).tz_localize(zone).tz_convert("UTC").to_pydatetime()

    kept: dict[str, pd.DataFrame] = {}
    stale: list[StaleAsset] = []
    fresh: list[str] = []
    dropped = 0
    for asset, frame in frames.items():
        if "end_time" in frame.columns:
            ends = pd.DatetimeIndex(frame["end_time"])
        else:
            ends = bar_end_times(
                pd.DatetimeIndex(frame.index), security_type=security_type, resolution=resolution
            )
        closed = ends <= local_now
        dropped += int((~closed).sum())
        complete = frame.loc[closed]
        if complete.empty:
            stale.append(StaleAsset(asset=asset, reason=NO_BARS, now=utc_now))
            continue
        kept[asset] = complete
        last_end = pd.Timestamp(ends[closed].max())
        following = next_bar_end(last_end, security_type=security_type, resolution=resolution)
        limit = following + pd.Timedelta(rule.tolerance)
        if limit < local_now:
            stale.append(
                StaleAsset(
                    asset=asset,
                    reason=STALE,
                    now=utc_now,
                    last_bar_end=utc(last_end),
                    next_bar_end=utc(following),
                    limit=utc(limit),
                )
            )
        else:
            fresh.append(asset)
    return FreshnessCheck(
        frames=kept, stale=tuple(stale), incomplete_dropped=dropped, fresh=tuple(fresh)
    )


def stale_assets_log(stale: Sequence[StaleAsset], *, rule: FreshnessRule, **context: Any) -> None:
    """Log one ``forecast_asset_stale`` event per asset not forecast (with ``context``)."""
    for item in stale:
        logger.warning(
            "forecast_asset_stale",
            **item.to_dict(),
            tolerance_seconds=rule.tolerance.total_seconds(),
            **context,
        )
