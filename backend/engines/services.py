"""Run the forecast engine: one cycle for a horizon, or a retraining.

The engine lives outside the backend (``engines.forecast``); the callables are named by the
settings ``FORECAST_ENGINE_CYCLE`` and ``FORECAST_ENGINE_RETRAIN`` (``module:function``),
each called with ``horizon=`` and ``now=`` keyword arguments, plus ``lifecycle=`` (the model
registry) and ``bar_loader=`` (the bar table, for the engine's ``database`` source) when the
callable accepts them.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from django.conf import settings

from backend.common.exceptions import InvalidInput
from signal_bus.horizon import Horizon

if TYPE_CHECKING:
    import pandas as pd

    from engines.forecast.sources import BarLoader, BarRequest

logger = structlog.get_logger(__name__)


def horizon_checked(horizon: str) -> str:
    """Return ``horizon`` if it spells a :class:`Horizon`; refuse it naming the rule."""
    if not Horizon.is_valid(horizon):
        raise InvalidInput(
            field="horizon",
            rule="format",
            message="must be a whole number of minutes, hours or days such as 1h, 4h or 1d",
        )
    return horizon


class EngineUnavailableError(RuntimeError):
    """The configured engine callable cannot be imported."""


def engine_callable_load(*, path: str) -> Callable[..., Any]:
    """Import ``module:function``; raise :class:`EngineUnavailableError` saying what is missing."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise EngineUnavailableError(
            f"engine path {path!r} must look like 'package.module:function'"
        )
    try:
        function = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise EngineUnavailableError(f"cannot load the engine {path!r}: {error}") from error
    if not callable(function):
        raise EngineUnavailableError(f"{path!r} is not callable")
    return function  # type: ignore[no-any-return]


def forecast_bars_load(
    request: BarRequest, *, now: datetime | None = None
) -> dict[str, pd.DataFrame]:
    """Read a forecast request's bars from the bar table (the engine's ``database`` source).

    A :class:`~engines.forecast.sources.BarLoader`: the bars scheduled ingestion stored,
    in the ``market_data.lean.read_bars`` shape, over the request's last ``history_days``.
    A database failure is a :class:`~engines.forecast.sources.BarSourceError`, as a
    provider's is.
    """
    from django.db import DatabaseError

    from backend.market.history import load_bars_from_database
    from engines.forecast.sources import BarSourceError

    try:
        return load_bars_from_database(request, now=now)
    except DatabaseError as error:
        raise BarSourceError(f"cannot read the bar table: {error}") from error


def forecast_bar_loader() -> BarLoader:
    """The bar loader the backend injects into the forecast engine."""
    return forecast_bars_load


def _run(*, path: str, horizon: str, now: datetime | None, action: str) -> Any:
    horizon_checked(horizon)
    moment = now or datetime.now(UTC)
    engine = engine_callable_load(path=path)
    logger.info(f"{action}_started", horizon=horizon, engine=path)
    extra: dict[str, Any] = {}
    if "lifecycle" in inspect.signature(engine).parameters:
        # The model registry decides which versions trade (engines.forecast.engine).
        from backend.forecasts.lifecycle_store import DatabaseLifecycle

        extra["lifecycle"] = DatabaseLifecycle()
    if "bar_loader" in inspect.signature(engine).parameters:
        # The engine's database source reads the bar table through it (engines.forecast.sources).
        extra["bar_loader"] = forecast_bar_loader()
    result = engine(horizon=horizon, now=moment, **extra)
    logger.info(f"{action}_finished", horizon=horizon, engine=path)
    return result


def forecast_cycle_run(*, horizon: str, now: datetime | None = None) -> Any:
    """Run one forecast cycle for ``horizon`` (load bars, predict, publish)."""
    return _run(
        path=settings.FORECAST_ENGINE_CYCLE, horizon=horizon, now=now, action="forecast_cycle"
    )


def forecast_retrain_run(*, horizon: str, now: datetime | None = None) -> Any:
    """Retrain the forecast models of ``horizon``."""
    return _run(
        path=settings.FORECAST_ENGINE_RETRAIN, horizon=horizon, now=now, action="forecast_retrain"
    )


def forecast_fanout_run(
    *, horizon: str, now: datetime | None = None, group_size: int | None = None
) -> dict[str, object]:
    """Start a forecast cycle fanned out as one Celery task per asset group.

    The cycle's logic and bookkeeping are the forecast engine's
    (:mod:`engines.forecast.scale_out`); this sends its group tasks through Celery.
    """
    from celery import group as celery_group

    from engines.forecast.scale_out import FanOutError, forecast_fanout_start

    from .tasks import forecast_group

    def dispatch(tasks: list[dict[str, Any]]) -> None:
        celery_group(forecast_group.s(**task) for task in tasks).apply_async()

    horizon_checked(horizon)
    try:
        from backend.forecasts.lifecycle_store import DatabaseLifecycle

        return forecast_fanout_start(
            horizon=horizon,
            now=now or datetime.now(UTC),
            dispatch=dispatch,
            group_size=group_size,
            lifecycle=DatabaseLifecycle(),
            bar_loader=forecast_bar_loader(),
        )
    except FanOutError as error:
        raise InvalidInput(field=error.field, rule=error.rule, message=error.message) from None
