"""App configuration."""

from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users and roles (viewer, operator, service) as Django groups."""

    name = "backend.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import schema, signals  # noqa: F401 - registers the receivers and the schema extension
