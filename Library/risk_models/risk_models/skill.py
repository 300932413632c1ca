"""Forecast skill: hit rate and information coefficient of forecasts whose horizon has passed."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy.stats import spearmanr

MAX_PENDING = 10_000
MAX_RESOLVED = 10_000


@dataclass(frozen=True)
class SkillScore:
    """Skill over the most recent resolved forecasts."""

    hit_rate: float | None
    information_coefficient: float | None
    observations: int


@dataclass
class _Pending:
    asset: str
    prediction: float
    resolve_at: datetime
    entry_price: float | None


class ForecastSkillTracker:
    """Score forecasts against the prices seen once their horizon has passed.

    A forecast's entry price is the latest price of its asset when it is recorded
    (or the next one seen); it resolves at the first price observed at or after
    ``made_at + horizon``, with realized return ``price / entry_price - 1``.
    """

    def __init__(self) -> None:
        self._latest_price: dict[str, float] = {}
        self._pending: deque[_Pending] = deque(maxlen=MAX_PENDING)
        self._resolved: deque[tuple[float, float]] = deque(maxlen=MAX_RESOLVED)
        # Scores are recomputed only when a forecast resolves: the risk engine evaluates on
        # every input, and a rank correlation costs far more than the rest of a decision.
        self._revision = 0
        self._scores: dict[int, tuple[int, SkillScore]] = {}

    def add_forecast(
        self, asset: str, prediction: float, *, made_at: datetime, horizon: timedelta
    ) -> None:
        """Start tracking a forecast made at ``made_at`` over ``horizon``."""
        self._pending.append(
            _Pending(asset, float(prediction), made_at + horizon, self._latest_price.get(asset))
        )

    def observe_price(self, asset: str, price: float, at: datetime) -> int:
        """Record a price; resolve due forecasts of ``asset``. Return how many resolved."""
        if not price > 0.0:
            raise ValueError(f"price must be positive; got {price!r}")
        self._latest_price[asset] = float(price)
        resolved = 0
        keep: deque[_Pending] = deque(maxlen=MAX_PENDING)
        for pending in self._pending:
            if pending.asset != asset:
                keep.append(pending)
            elif pending.entry_price is None:
                pending.entry_price = float(price)
                keep.append(pending)
            elif at >= pending.resolve_at:
                self._resolved.append((pending.prediction, price / pending.entry_price - 1.0))
                self._revision += 1
                resolved += 1
            else:
                keep.append(pending)
        self._pending = keep
        return resolved

    def record_outcome(self, prediction: float, realized_return: float) -> None:
        """Record an already-resolved forecast directly."""
        self._resolved.append((float(prediction), float(realized_return)))
        self._revision += 1

    def score(self, window: int) -> SkillScore:
        """Return hit rate and rank IC over the last ``window`` resolved forecasts."""
        cached = self._scores.get(window)
        if cached is not None and cached[0] == self._revision:
            return cached[1]
        score = self._score(window)
        self._scores[window] = (self._revision, score)
        return score

    def _score(self, window: int) -> SkillScore:
        recent = list(self._resolved)[-window:]
        if not recent:
            return SkillScore(None, None, 0)
        predictions = np.array([item[0] for item in recent])
        outcomes = np.array([item[1] for item in recent])
        hit_rate = float(np.mean(np.sign(predictions) == np.sign(outcomes)))
        ic: float | None = None
        if len(recent) >= 3 and np.ptp(predictions) > 0.0 and np.ptp(outcomes) > 0.0:
            value = float(spearmanr(predictions, outcomes).statistic)
            ic = value if np.isfinite(value) else None
        return SkillScore(hit_rate, ic, len(recent))
