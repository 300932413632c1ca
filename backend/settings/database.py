"""Database settings: ``DATABASE_URL``, else the ``DB_*`` variables, else embedded SQLite."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url


def database_from_environment(base_directory: Path) -> dict[str, Any]:
    """Build the ``default`` database from the environment.

    ``DATABASE_URL`` wins; otherwise ``DB_HOST`` (with ``DB_PORT``, ``DB_NAME``, ``DB_USER``,
    ``DB_PASS``) selects PostgreSQL; with neither, a SQLite file next to the project is used
    so the embedded demo runs without a server.
    """
    connection_max_age = int(os.environ.get("DB_CONN_MAX_AGE", "60"))
    url = os.environ.get("DATABASE_URL")
    if url:
        return dict(dj_database_url.parse(url, conn_max_age=connection_max_age))
    host = os.environ.get("DB_HOST")
    if host:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": host,
            "PORT": os.environ.get("DB_PORT", "5432"),
            "NAME": os.environ.get("DB_NAME", "ats"),
            "USER": os.environ.get("DB_USER", "ats"),
            "PASSWORD": os.environ.get("DB_PASS", ""),
            "CONN_MAX_AGE": connection_max_age,
        }
    sqlite_path = os.environ.get("DB_SQLITE_PATH", str(base_directory / "db.sqlite3"))
    # The recorder writes from one thread per channel: wait for SQLite's lock instead of failing.
    # IMMEDIATE takes the write lock when a transaction begins; a deferred transaction that
    # reads first (model versions, existing ids) and then writes cannot wait for a lock held
    # by another writer and fails at once with "database is locked", whatever the timeout.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": sqlite_path,
        "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
    }
