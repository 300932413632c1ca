"""Celery beat schedule and the forecast-engine tasks."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from django_celery_beat.models import PeriodicTask

from backend.engines import tasks
from backend.engines.services import EngineUnavailableError, forecast_cycle_run

pytestmark = pytest.mark.django_db
CALLS: list[tuple[str, str, datetime]] = []


def recording_engine(*, horizon: str, now: datetime) -> dict[str, Any]:
    """A stand-in engine entry point recording how it was called."""
    CALLS.append(("cycle", horizon, now))
    return {"horizon": horizon, "published": 3}


def recording_retrain(*, horizon: str, now: datetime) -> str:
    CALLS.append(("retrain", horizon, now))
    return "v9"


def test_default_schedule_has_a_cycle_and_a_retrain_per_horizon() -> None:
    tasks_by_name = {
        task.name: task for task in PeriodicTask.objects.filter(name__startswith="forecast ")
    }
    for horizon in ("1h", "4h", "1d"):
        cycle = tasks_by_name[f"forecast cycle {horizon}"]
        assert cycle.task == "engines.forecast_cycle"
        assert json.loads(cycle.kwargs) == {"horizon": horizon}
        assert tasks_by_name[f"forecast retrain {horizon}"].task == "engines.forecast_retrain"
    assert tasks_by_name["forecast cycle 4h"].crontab.hour == "*/4"


def test_tasks_call_the_configured_engine(settings: Any) -> None:
    settings.FORECAST_ENGINE_CYCLE = f"{__name__}:recording_engine"
    settings.FORECAST_ENGINE_RETRAIN = f"{__name__}:recording_retrain"
    CALLS.clear()
    assert tasks.forecast_cycle.delay("4h").get() == {"horizon": "4h", "published": 3}
    assert tasks.forecast_retrain.delay("1d").get() == "v9"
    assert [(kind, horizon) for kind, horizon, _ in CALLS] == [("cycle", "4h"), ("retrain", "1d")]
    assert all(moment.tzinfo is not None for _, _, moment in CALLS)


def test_missing_engine_and_bad_horizon_fail_clearly(settings: Any) -> None:
    settings.FORECAST_ENGINE_CYCLE = "no_such_package.engine:run_cycle"
    with pytest.raises(EngineUnavailableError, match="no_such_package"):
        forecast_cycle_run(horizon="1h")
    settings.FORECAST_ENGINE_CYCLE = f"{__name__}:recording_engine"
    with pytest.raises(ValueError, match="horizon"):
        forecast_cycle_run(horizon="2w")


LIFECYCLES: list[Any] = []


def lifecycle_engine(*, horizon: str, now: Any, lifecycle: Any = None) -> dict[str, str]:
    LIFECYCLES.append(lifecycle)
    return {"horizon": horizon}


def test_an_engine_that_takes_a_lifecycle_store_gets_the_model_registry(settings: Any) -> None:
    from backend.forecasts.lifecycle_store import DatabaseLifecycle

    settings.FORECAST_ENGINE_CYCLE = f"{__name__}:lifecycle_engine"
    LIFECYCLES.clear()
    forecast_cycle_run(horizon="1d")
    assert len(LIFECYCLES) == 1
    assert isinstance(LIFECYCLES[0], DatabaseLifecycle)
