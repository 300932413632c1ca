"""Settings for the test suite: the real PostgreSQL and Redis on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import os

from .base import *  # noqa: F403

DATABASES = {  # noqa: F405 - replaces the environment-derived database
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("TEST_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("TEST_DB_PORT", "5432"),
        "NAME": os.environ.get("TEST_DB_NAME", "ats"),
        "USER": os.environ.get("TEST_DB_USER", "postgres"),
        "PASSWORD": os.environ.get("TEST_DB_PASS", ""),
        "CONN_MAX_AGE": 0,
        # One test database per test run, so concurrent runs on one server never collide.
        "TEST": {"NAME": os.environ.get("TEST_DB_TEST_NAME", f"test_ats_{os.getpid()}")},
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Login throttling in memory, generous: tests of throttling set low rates themselves.
LOGIN_THROTTLE_RATES = {"username": "1000/min", "address": "10000/min"}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    LOGIN_THROTTLE_CACHE: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},  # noqa: F405
}
