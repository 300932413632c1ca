"""Run the forecast engine: one cycle for a horizon, or a retraining.

The engine lives outside the backend (``engines.forecast``); the callables are named by the
settings ``FORECAST_ENGINE_CYCLE`` and ``FORECAST_ENGINE_RETRAIN`` (``module:function``),
each called with ``horizon=`` and ``now=`` keyword arguments.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from django.conf import settings

from backend.common.exceptions import InvalidInput
from signal_bus.horizon import Horizon

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
        )
    except FanOutError as error:
        raise InvalidInput(field=error.field, rule=error.rule, message=error.message) from None
