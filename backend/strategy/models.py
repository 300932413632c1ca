"""Strategy configuration (the brief's ``StrategyConfig(key, value)``) and its history."""

from __future__ import annotations

from typing import Any

from django.db import models


class StrategyConfig(models.Model):
    """The current value of one configuration key, with its type and allowed range."""

    key = models.CharField(max_length=100, unique=True)
    value = models.JSONField()
    value_type = models.CharField(max_length=20)
    minimum = models.FloatField(null=True, blank=True)
    maximum = models.FloatField(null=True, blank=True)
    description = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ("key",)

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}"


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a history row."""


class StrategyConfigChange(models.Model):
    """An append-only record of one change: who, old, new, why, when."""

    key = models.CharField(max_length=100, db_index=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField()
    version = models.PositiveIntegerField()
    changed_by = models.CharField(max_length=150)
    reason = models.TextField()
    changed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ("-changed_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=("key", "version"), name="config_change_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.old_value!r} -> {self.new_value!r}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("strategy configuration history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("strategy configuration history is append-only")
