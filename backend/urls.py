"""Root URL configuration: the admin, ``/healthz``, ``/metrics`` and the REST API under ``/api/``."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from backend.common.monitoring.health import healthz
from backend.common.monitoring.metrics import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("api/", include("backend.api_urls")),
]
