"""The admin shows every model of the backend's apps."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin

pytestmark = pytest.mark.django_db
BACKEND_APPS = ("forecasts", "risk", "strategy", "execution", "backtests", "market", "audit")


def test_every_backend_model_is_registered_and_its_list_renders(
    client: Any, django_user_model: Any
) -> None:
    models = [model for label in BACKEND_APPS for model in apps.get_app_config(label).get_models()]
    assert len(models) >= 16
    unregistered = [model.__name__ for model in models if not admin.site.is_registered(model)]
    assert unregistered == []
    client.force_login(
        django_user_model.objects.create_superuser(username="admin-test", password="pw-123456789")
    )
    for model in models:
        response = client.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
        assert response.status_code == 200, model.__name__
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200
