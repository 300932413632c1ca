"""Celery tasks: thin wrappers over the engine services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .services import forecast_cycle_run, forecast_retrain_run, horizon_checked


@shared_task(name="engines.forecast_cycle", ignore_result=True)
def forecast_cycle(horizon: str) -> Any:
    """Run one forecast cycle for ``horizon``."""
    return forecast_cycle_run(horizon=horizon)


@shared_task(name="engines.forecast_retrain", ignore_result=True)
def forecast_retrain(horizon: str) -> Any:
    """Retrain the models of ``horizon``."""
    return forecast_retrain_run(horizon=horizon)


@shared_task(name="engines.forecast_fanout", ignore_result=True)
def forecast_fanout(horizon: str, group_size: int | None = None, now: str | None = None) -> Any:
    """Start a cycle for ``horizon`` fanned out as one task per asset group.

    ``now`` (ISO-8601, aware) replaces the current time, e.g. to replay a cycle.
    """
    from datetime import UTC, datetime

    from .services import forecast_fanout_run

    horizon_checked(horizon)
    moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
    return forecast_fanout_run(horizon=horizon, now=moment, group_size=group_size)


@shared_task(
    name="engines.forecast_group",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def forecast_group(
    *, cycle_id: str, group_index: int, horizon: str, now: str, version: str, assets: list[str]
) -> Any:
    """Forecast and publish one asset group of a fanned-out cycle (safe to run again)."""
    from datetime import datetime

    from engines.forecast.scale_out import forecast_group_run

    from .services import forecast_bar_loader

    return forecast_group_run(
        cycle_id=cycle_id,
        group_index=group_index,
        horizon=horizon,
        now=datetime.fromisoformat(now),
        version=version,
        assets=assets,
        bar_loader=forecast_bar_loader(),
    )
