"""``RiskInputs``: the measured numbers one risk evaluation works from."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RiskInputs:
    """Everything the rules and breakers look at, measured at one moment.

    ``None`` means "not measured yet"; a rule without its input does not apply,
    except staleness: an input never seen counts as stale.

    Parameters
    ----------
    confidence
        Mean calibrated confidence of the live forecasts, in [0, 1].
    drawdown
        Drawdown of mark-to-market equity from its high-water mark, in [0, 1].
    volatility_ratio
        Current (forecast) volatility over its long-run average, ``>= 0``.
    skill_hit_rate
        Share of recently resolved forecasts whose sign was right, in [0, 1].
    skill_information_coefficient
        Rank correlation of recent predictions and realized returns, in [-1, 1].
    skill_observations
        Number of resolved forecasts behind the two skill numbers.
    last_forecast_at
        When the newest forecast was made.
    last_market_data_at
        When the newest price or portfolio snapshot was observed.
    """

    confidence: float | None = None
    drawdown: float | None = None
    volatility_ratio: float | None = None
    skill_hit_rate: float | None = None
    skill_information_coefficient: float | None = None
    skill_observations: int = 0
    last_forecast_at: datetime | None = None
    last_market_data_at: datetime | None = None

    def __post_init__(self) -> None:
        _check("confidence", self.confidence, 0.0, 1.0)
        _check("drawdown", self.drawdown, 0.0, 1.0)
        _check("volatility_ratio", self.volatility_ratio, 0.0, math.inf)
        _check("skill_hit_rate", self.skill_hit_rate, 0.0, 1.0)
        _check("skill_information_coefficient", self.skill_information_coefficient, -1.0, 1.0)
        if self.skill_observations < 0:
            raise ValueError("skill_observations must not be negative")
        for name in ("last_forecast_at", "last_market_data_at"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")


def _check(name: str, value: float | None, low: float, high: float) -> None:
    if value is None:
        return
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        raise ValueError(f"{name} must be a number; got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}]; got {value!r}")
