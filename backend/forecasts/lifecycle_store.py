"""The model registry as the forecast engine's lifecycle store.

The engine (``engines.forecast.engine``) asks a :class:`~engines.forecast.engine.LifecycleStore`
what status a version has; this one keeps it in the database: a verdict registers the
version (with its group, horizon and out-of-sample record) and goes through
:func:`~backend.forecasts.lifecycle.apply_decision`, which audits every change and leaves
operators' decisions alone.
"""

from __future__ import annotations

from engines.forecast.engine import VersionVerdict
from risk_models.promotion import ModelStatus

from .lifecycle import apply_decision, champion, register_version
from .models import ModelVersion


class DatabaseLifecycle:
    """Statuses of model versions in the backend's database."""

    def settle(self, verdict: VersionVerdict) -> ModelStatus:
        """Register the version, apply the rule's verdict, return the status in force."""
        row = register_version(
            verdict.model,
            verdict.version,
            asset_group=verdict.asset_group,
            horizon=verdict.horizon,
            metrics=dict(verdict.metrics) or None,
        )
        return apply_decision(row, verdict.decision)

    def status_of(self, model: str, version: str) -> ModelStatus | None:
        """The stored status of ``model@version``, or ``None`` if it was never registered."""
        status = (
            ModelVersion.objects.filter(model=model, version=version)
            .values_list("status", flat=True)
            .first()
        )
        return None if status is None else ModelStatus(status)

    def champion(self, asset_group: str, horizon: str) -> tuple[str, str] | None:
        """``(model, version)`` of the group's live version for ``horizon``, if any."""
        row = champion(asset_group, horizon)
        return None if row is None else (row.model, row.version)
