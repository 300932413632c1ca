"""Settings shared by every environment: apps, middleware, templates, internationalisation.

Every secret and every address comes from the environment; the concerns live in their
own modules (``database``, ``cache``, ``rest``, ``tasks``, ``logging``, ``updates``) and are
merged here.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from signal_bus.channels import ChannelNames

from .cache import REDIS_URL
from .database import database_from_environment
from .keys import audit_chain_previous_keys, audit_key_id_check
from .logging import LOGGING  # noqa: F401
from .rest import REST_FRAMEWORK, SPECTACULAR_SETTINGS  # noqa: F401
from .rest import SIMPLE_JWT as _SIMPLE_JWT
from .tasks import (  # noqa: F401
    CELERY_BEAT_SCHEDULER,
    CELERY_BROKER_URL,
    CELERY_RESULT_BACKEND,
    CELERY_TASK_ALWAYS_EAGER,
    CELERY_TIMEZONE,
)
from .updates import (  # noqa: F401
    ASGI_APPLICATION,
    UPDATES_ALLOWED_ORIGINS,
    UPDATES_AUTH_TIMEOUT_SECONDS,
    UPDATES_CLIENT_BURST,
    UPDATES_CLIENT_RATE_PER_SECOND,
    UPDATES_EXECUTION_ROLES,
    UPDATES_MAX_CLIENT_MESSAGE_BYTES,
    UPDATES_QUEUE_SIZE,
    UPDATES_REVALIDATE_SECONDS,
)


def environment_flag(name: str, default: bool = False) -> bool:
    """Read a boolean flag (``1``/``true``/``yes``/``on``) from the environment."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


BASE_DIR = Path(__file__).resolve().parent.parent

# No key is written in the repository: the environment's, else a random key for this process
# only (tokens then die with it). ``development`` keeps one per installation in a local file;
# ``production`` requires a strong one.
SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = environment_flag("DEBUG")
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    # First, so ``manage.py runserver`` is daphne's: HTTP and the WebSocket gateway (ASGI).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "backend.accounts",
    "backend.audit",
    "backend.forecasts",
    "backend.risk",
    "backend.strategy",
    "backend.execution",
    "backend.backtests",
    "backend.market",
    "backend.recorder",
    "backend.engines",
    "backend.updates",
]

MIDDLEWARE = [
    "backend.common.monitoring.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Refresh tokens rotate and the used one is blacklisted (a refresh token works once);
# ``POST /api/auth/logout/`` blacklists one; a password change or a role removal revokes all.
SIMPLE_JWT = {**_SIMPLE_JWT, "ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}

# Login throttling (``backend.accounts.throttling``): attempts per user name and per client
# address on the token endpoints, counted in LOGIN_THROTTLE_CACHE ("login_throttle": Redis
# when the environment names a Redis server, so every worker shares the counts; else memory).
LOGIN_THROTTLE_RATES = {
    "username": os.environ.get("LOGIN_THROTTLE_USERNAME_RATE", "10/min"),
    "address": os.environ.get("LOGIN_THROTTLE_ADDRESS_RATE", "30/min"),
}
LOGIN_THROTTLE_CACHE = "login_throttle"
_REDIS_CONFIGURED = any(os.environ.get(name) for name in ("REDIS_URL", "REDIS_HOST"))
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    LOGIN_THROTTLE_CACHE: (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": ChannelNames(os.environ.get("SIGNAL_BUS_NAMESPACE", "")).component(
                "throttle"
            ),
        }
        if _REDIS_CONFIGURED
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "login"}
    ),
}

# The audit chain's HMAC key (separate from SECRET_KEY), its id (stored with every event) and
# retired keys that still verify older events (AUDIT_CHAIN_PREVIOUS_KEYS="k1:...,k0:...").
# Here: the environment's, else a key for this process only; development keeps one per
# installation, production requires a strong one.
AUDIT_CHAIN_KEY_ID = audit_key_id_check(os.environ.get("AUDIT_CHAIN_KEY_ID", "k1").strip())
AUDIT_CHAIN_KEYS = {
    **audit_chain_previous_keys(os.environ.get("AUDIT_CHAIN_PREVIOUS_KEYS", "")),
    AUDIT_CHAIN_KEY_ID: os.environ.get("AUDIT_CHAIN_KEY") or secrets.token_urlsafe(50),
}
# Signed checkpoints of the chain head are appended here as JSON lines (empty: database and
# log only); keep it on storage the database's administrators cannot rewrite.
AUDIT_CHECKPOINT_FILE = os.environ.get("AUDIT_CHECKPOINT_FILE", "")

DATABASES = {"default": database_from_environment(BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT", str(BASE_DIR / "staticfiles"))

# Namespace of the signal bus channels this backend publishes to and records from.
SIGNAL_BUS_NAMESPACE = os.environ.get("SIGNAL_BUS_NAMESPACE", "")

# The forecast engine's entry points (``module:function``), called by the Celery beat tasks.
FORECAST_ENGINE_CYCLE = os.environ.get("FORECAST_ENGINE_CYCLE", "engines.forecast.engine:run_cycle")
FORECAST_ENGINE_RETRAIN = os.environ.get(
    "FORECAST_ENGINE_RETRAIN", "engines.forecast.engine:retrain"
)
