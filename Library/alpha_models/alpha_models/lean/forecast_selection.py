"""Which forecasts become insights now: freshness, minimum magnitude, emitted once.

Pure: plain values in, plain values out, time passed in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import datetime, timedelta

from signal_bus.horizon import Horizon
from signal_bus.messages import ForecastUpdate

# Common/Algorithm/Framework/Alphas/Insight.cs Price(..., TimeSpan period, ...) refuses
# periods under one second; an insight closing sooner than that is not worth emitting.
MINIMUM_INSIGHT_LIFE = timedelta(seconds=1)


@dataclass(frozen=True)
class InsightPlan:
    """One insight to emit.

    Attributes
    ----------
    forecast
        The forecast behind it (its id becomes the insight tag).
    direction
        ``1`` up, ``-1`` down, ``0`` flat (magnitude below the minimum).
    period
        Remaining life: until the horizon ends or the forecast goes stale, whichever first.
    close_time
        When that life ends (UTC, timezone-aware): ``ts_event`` plus the horizon or the
        time to live, whichever is shorter.
    """

    forecast: ForecastUpdate
    direction: int
    period: timedelta
    close_time: datetime


def plan_insights(
    forecasts: Iterable[ForecastUpdate],
    *,
    now: datetime,
    time_to_live: timedelta,
    min_magnitude: float,
    already_emitted: Set[str],
) -> list[InsightPlan]:
    """Return an insight plan for every fresh forecast not emitted before.

    Parameters
    ----------
    forecasts
        The latest forecast per asset and horizon.
    now
        The algorithm's current UTC time (timezone-aware).
    time_to_live
        Age at which a forecast stops driving positions.
    min_magnitude
        Absolute prediction below which the insight is flat.
    already_emitted
        Forecast ids that already produced an insight.

    Forecasts of model versions that are not live (``tradable`` false) never become
    insights.
    """
    plans: list[InsightPlan] = []
    for forecast in forecasts:
        if forecast.id in already_emitted or forecast.ts_event > now or not forecast.tradable:
            continue
        expiry = forecast.ts_event + min(Horizon(forecast.horizon).duration, time_to_live)
        if expiry - now < MINIMUM_INSIGHT_LIFE:
            continue
        small = abs(forecast.prediction) < min_magnitude or forecast.prediction == 0.0
        direction = 0 if small else int(math.copysign(1.0, forecast.prediction))
        plans.append(InsightPlan(forecast, direction, expiry - now, expiry))
    plans.sort(key=lambda plan: (plan.forecast.asset, plan.forecast.horizon))
    return plans


def untradable_assets(forecasts: Iterable[ForecastUpdate], *, now: datetime) -> set[str]:
    """Assets whose latest forecasts (made by ``now``) all come from non-live model versions."""
    tradable: set[str] = set()
    untradable: set[str] = set()
    for forecast in forecasts:
        if forecast.ts_event > now:
            continue
        (tradable if forecast.tradable else untradable).add(forecast.asset)
    return untradable - tradable
