"""Production settings: HTTPS only, secure cookies, a real secret key required."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .keys import required_strong_key
from .updates import comma_separated

# Short, low-entropy, repetitive and placeholder keys (any case) are refused at start-up.
SECRET_KEY = required_strong_key("SECRET_KEY")
AUDIT_CHAIN_KEYS = {**AUDIT_CHAIN_KEYS, AUDIT_CHAIN_KEY_ID: required_strong_key("AUDIT_CHAIN_KEY")}  # noqa: F405
if AUDIT_CHAIN_KEYS[AUDIT_CHAIN_KEY_ID] == SECRET_KEY:  # noqa: F405
    raise ImproperlyConfigured("AUDIT_CHAIN_KEY must differ from SECRET_KEY.")
DEBUG = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = environment_flag("SECURE_SSL_REDIRECT", default=True)  # noqa: F405
# Probes and the Prometheus scraper talk plain HTTP inside the deployment's network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# Browsers may open the live-updates socket only from the site's own hosts unless
# UPDATES_ALLOWED_ORIGINS names the origins ("*" is refused here).
UPDATES_ALLOWED_ORIGINS = [
    origin
    for origin in (
        comma_separated(os.environ.get("UPDATES_ALLOWED_ORIGINS", ""))
        or [host for host in ALLOWED_HOSTS if host != "*"]  # noqa: F405
    )
    if origin != "*"
]
