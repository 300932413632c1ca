"""Export recorded forecasts as JSON lines for LEAN backtests (``recorded`` forecast source).

Two origins: the bus's ``forecast_updates`` stream (what the engine actually published)
and a walk-forward forecasts CSV (``symbol,time,horizon,prediction,confidence,
model_version``, as ``ats forecast evaluate`` writes it). Lines are sorted by
publication time; invalid records are counted and skipped, never guessed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from signal_bus.bus import Bus
from signal_bus.channels import FORECAST_UPDATES
from signal_bus.codec import decode, encode
from signal_bus.errors import MessageValidationError
from signal_bus.messages import ForecastUpdate

PAGE_SIZE = 1000
CSV_COLUMNS = ("symbol", "time", "horizon", "prediction", "confidence", "model_version")


@dataclass
class ExportReport:
    """What an export read and wrote."""

    written: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        """Count one skipped record, keeping the first reasons."""
        self.skipped += 1
        if len(self.problems) < 20:
            self.problems.append(reason)


@dataclass(frozen=True)
class ExportFilter:
    """Which forecasts to keep: assets (empty: all) and a publication window."""

    assets: frozenset[str] = frozenset()
    start: datetime | None = None
    end: datetime | None = None

    def keeps(self, forecast: ForecastUpdate) -> bool:
        """Whether ``forecast`` passes the filter."""
        if self.assets and forecast.asset not in self.assets:
            return False
        if self.start is not None and forecast.ts_init < self.start:
            return False
        return self.end is None or forecast.ts_init <= self.end


def forecasts_from_stream(bus: Bus, report: ExportReport) -> Iterator[ForecastUpdate]:
    """Yield every valid forecast in the ``forecast_updates`` stream, oldest first."""
    after = "0-0"
    while True:
        entries = bus.read_stream(FORECAST_UPDATES, after=after, count=PAGE_SIZE, block_ms=None)
        if not entries:
            return
        for entry in entries:
            after = entry.entry_id
            if entry.payload is None:
                report.skip(f"stream entry {entry.entry_id}: no payload")
                continue
            try:
                message = decode(entry.payload, FORECAST_UPDATES)
            except MessageValidationError as error:
                report.skip(f"stream entry {entry.entry_id}: {error}")
                continue
            if isinstance(message, ForecastUpdate):
                yield message


def forecasts_from_csv(
    path: Path, report: ExportReport, *, model: str, time_zone: str = "UTC"
) -> Iterator[ForecastUpdate]:
    """Yield forecasts from a walk-forward forecasts CSV; naive times are in ``time_zone``.

    Raises
    ------
    ValueError
        If the header lacks a required column.
    """
    zone = ZoneInfo(time_zone)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            try:
                made = datetime.fromisoformat(row["time"])
                made = made.replace(tzinfo=zone) if made.tzinfo is None else made
                tradable = _flag(row.get("tradable"))
                yield ForecastUpdate.create(
                    asset=row["symbol"].strip().upper(),
                    horizon=row["horizon"].strip(),
                    prediction=float(row["prediction"]),
                    confidence=float(row["confidence"]),
                    model=model,
                    model_version=row["model_version"].strip(),
                    now=made,
                    tradable=tradable,
                )
            except (MessageValidationError, ValueError) as error:
                report.skip(f"{path.name} line {line}: {error}")


def _flag(text: str | None) -> bool:
    """The optional ``tradable`` column: absent or blank is tradable (older files)."""
    value = (text or "").strip().lower()
    if value in ("", "true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ValueError(f"tradable must be true or false, got {text!r}")


def write_json_lines(
    forecasts: Iterable[ForecastUpdate], path: Path, keep: ExportFilter, report: ExportReport
) -> ExportReport:
    """Write the kept forecasts to ``path`` sorted by publication time; return ``report``.

    The file is written next to its destination and renamed into place, so a failed
    export never leaves a half-written file for a backtest to read.
    """
    kept = sorted((f for f in forecasts if keep.keeps(f)), key=lambda f: (f.ts_init, f.id))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        for forecast in kept:
            handle.write(encode(forecast).decode() + "\n")
    partial.replace(path)
    report.written = len(kept)
    return report
