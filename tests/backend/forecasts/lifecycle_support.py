"""Builders for the model-lifecycle tests: verdicts of the automatic rule, a planted market.

The market is stored as daily bars of the ``market`` app and the forecasts go through the
forecast store, so a version's shadow record is built from the database as in production.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from backend.forecasts.lifecycle import apply_decision, register_version
from backend.forecasts.models import ModelVersion
from backend.forecasts.services import forecast_messages_store
from backend.market.models import Bar
from risk_models.gates import GateReport, GateResult
from risk_models.promotion import Decision, ModelStatus
from signal_bus.messages import ForecastUpdate

T0 = datetime(2025, 1, 6, tzinfo=UTC)
DAY = timedelta(days=1)
GROUP = "us-equities"
HORIZON = "1d"
SYMBOLS = ("AAA", "BBB", "CCC", "DDD")

RULES = {
    ModelStatus.CANDIDATE: "out-of-sample gates failed",
    ModelStatus.SHADOW: "out-of-sample gates passed; shadow starts",
    ModelStatus.LIVE: "shadow period passed",
}


def gate_report(*, passed: bool = True) -> GateReport:
    """A gate report with one evidence gate that passed or failed."""
    dates = 80 if passed else 12
    evidence = GateResult(
        name="evidence",
        statistic=float(dates),
        threshold=60.0,
        passed=passed,
        detail=f"{dates} resolved forecast dates; 60 needed",
    )
    return GateReport(results=(evidence,), dates=dates, rows=dates * len(SYMBOLS))


def verdict(status: ModelStatus, rule: str | None = None) -> Decision:
    """The automatic rule's decision ``status``, with consistent gates and shadow results."""
    shadow = None
    if status is ModelStatus.LIVE:
        shadow = GateResult("shadow", 0.12, 0.0, True, "shadow rank IC +0.1200 over 25 dates")
    return Decision(
        status=status,
        rule=rule or RULES[status],
        gates=gate_report(passed=status is not ModelStatus.CANDIDATE),
        shadow=shadow,
    )


def version(
    model: str = "ridge", name: str = "v1", *, group: str = GROUP, horizon: str = HORIZON
) -> ModelVersion:
    return register_version(model, name, asset_group=group, horizon=horizon)


def promoted(row: ModelVersion, *, live_at: datetime = T0) -> ModelVersion:
    """Take a candidate through shadow to live by the automatic rule; return it reloaded."""
    apply_decision(row, verdict(ModelStatus.SHADOW), now=live_at - DAY)
    apply_decision(row, verdict(ModelStatus.LIVE), now=live_at)
    return ModelVersion.objects.get(pk=row.pk)


def plant_market(*, days: int, seed: int, signal: float = 0.006, noise: float = 0.01) -> np.ndarray:
    """Store daily bars of :data:`SYMBOLS` for days ``0..days``; return the planted signal.

    The return into day ``d`` is ``signal * z[d] + noise * e``; ``z`` (days + 1 rows, one
    column per symbol) is what a skilled forecast made at day ``d - 1`` knows.
    """
    rng = np.random.default_rng(seed)
    planted = rng.standard_normal((days + 1, len(SYMBOLS)))
    returns = signal * planted + noise * rng.standard_normal((days + 1, len(SYMBOLS)))
    returns[0] = 0.0
    closes = 100.0 * np.cumprod(1.0 + returns, axis=0)
    Bar.objects.bulk_create(
        Bar(
            asset=symbol,
            interval="1d",
            timestamp=T0 + day * DAY,
            open=float(closes[day, column]),
            high=float(closes[day, column]),
            low=float(closes[day, column]),
            close=float(closes[day, column]),
            volume=1.0,
        )
        for day in range(days + 1)
        for column, symbol in enumerate(SYMBOLS)
    )
    return planted


def store_forecasts(
    row: ModelVersion,
    predictions: np.ndarray,
    *,
    first_day: int = 1,
    confidence: float = 0.7,
    tradable: bool = False,
    symbols: Sequence[str] = SYMBOLS,
) -> int:
    """Publish one forecast per day and symbol from ``predictions`` (rows: days from ``first_day``)."""
    messages = [
        ForecastUpdate.create(
            asset=symbol,
            horizon=row.horizon,
            prediction=float(predictions[offset, column]),
            confidence=confidence,
            now=T0 + (first_day + offset) * DAY,
            model=row.model,
            model_version=row.version,
            tradable=tradable,
        )
        for offset in range(predictions.shape[0])
        for column, symbol in enumerate(symbols)
    ]
    return forecast_messages_store(messages=messages)
