"""Celery tasks: thin wrappers over the engine services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .services import forecast_cycle_run, forecast_retrain_run


@shared_task(name="engines.forecast_cycle", ignore_result=True)
def forecast_cycle(horizon: str) -> Any:
    """Run one forecast cycle for ``horizon``."""
    return forecast_cycle_run(horizon=horizon)


@shared_task(name="engines.forecast_retrain", ignore_result=True)
def forecast_retrain(horizon: str) -> Any:
    """Retrain the models of ``horizon``."""
    return forecast_retrain_run(horizon=horizon)
