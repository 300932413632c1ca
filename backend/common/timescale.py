"""Migration operation: turn a time-series table into a TimescaleDB hypertable when possible.

On PostgreSQL with the ``timescaledb`` extension available and preloaded, the operation creates the
extension, widens the primary key to ``(id, <time column>)`` (TimescaleDB requires every
unique index to contain the partitioning column; the models' unique constraints already do),
converts the table and adds compression and retention policies. On plain PostgreSQL, on a
server where the extension is installed but not in ``shared_preload_libraries``, or on SQLite
it does nothing and the table stays an ordinary indexed table.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.db import DatabaseError, migrations, transaction

logger = structlog.get_logger(__name__)


def timescale_available(connection: Any) -> bool:
    """Whether the connection is PostgreSQL and can load the ``timescaledb`` extension."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
        if cursor.fetchone() is not None:
            return True
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
        if cursor.fetchone() is None:
            return False
        # Installed but not preloaded, CREATE EXTENSION ends the session (FATAL), which no
        # savepoint can catch: ask the server before trying.
        cursor.execute("SELECT current_setting('shared_preload_libraries')")
        preloaded = {name.strip().strip('"') for name in cursor.fetchone()[0].split(",")}
    if not any(name.rsplit("/", 1)[-1].startswith("timescaledb") for name in preloaded):
        logger.warning("timescaledb_not_preloaded", shared_preload_libraries=sorted(preloaded))
        return False
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    except DatabaseError as error:
        logger.warning("timescaledb_unavailable", error=str(error))
        return False
    return True


def hypertable(
    *,
    table: str,
    time_column: str = "timestamp",
    chunk_interval: str = "7 days",
    segment_by: str = "",
    compress_after: str = "30 days",
    retain_for: str = "730 days",
) -> migrations.RunPython:
    """A migration operation converting ``table`` into a compressed hypertable with retention."""

    def forward(apps: Any, schema_editor: Any) -> None:
        connection = schema_editor.connection
        if not timescale_available(connection):
            return
        quoted_table = connection.ops.quote_name(table)
        quoted_time = connection.ops.quote_name(time_column)
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {quoted_table} DROP CONSTRAINT IF EXISTS {table}_pkey")
            cursor.execute(f"ALTER TABLE {quoted_table} ADD PRIMARY KEY (id, {quoted_time})")
            cursor.execute(
                "SELECT create_hypertable(%s::regclass, %s, chunk_time_interval => %s::interval,"
                " migrate_data => true, if_not_exists => true)",
                [table, time_column, chunk_interval],
            )
            options = "timescaledb.compress"
            if segment_by:
                options += f", timescaledb.compress_segmentby = '{segment_by}'"
            cursor.execute(f"ALTER TABLE {quoted_table} SET ({options})")
            cursor.execute(
                "SELECT add_compression_policy(%s::regclass, %s::interval, if_not_exists => true)",
                [table, compress_after],
            )
            cursor.execute(
                "SELECT add_retention_policy(%s::regclass, %s::interval, if_not_exists => true)",
                [table, retain_for],
            )
        logger.info("hypertable_created", table=table, time_column=time_column)

    return migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)
