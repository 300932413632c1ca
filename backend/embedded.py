"""The backend run in-process by the embedded demo (``ats demo``).

The demo stores what it produces exactly as production does: messages are published on
the signal bus and the stream recorder's consumer groups write them into the database.
Only the wiring differs: one process, the in-memory bus unless ``REDIS_URL`` is set, and
SQLite unless ``DATABASE_URL`` or ``DB_HOST`` is set.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_SETTINGS = "backend.settings.development"


def django_setup(settings_module: str = DEFAULT_SETTINGS) -> None:
    """Configure Django once for this process (an explicit ``DJANGO_SETTINGS_MODULE`` wins)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    django.setup()


def database_migrate() -> None:
    """Apply every migration, quietly."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def database_label() -> str:
    """Say which database the demo writes to, without its password."""
    from django.db import connection

    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"SQLite ({settings['NAME']})"
    return f"PostgreSQL ({settings.get('HOST') or 'local socket'}/{settings['NAME']})"


def demo_user_ensure(*, username: str, password: str) -> None:
    """Create (or reset) the demo login: an operator who can also see the admin."""
    from django.contrib.auth import get_user_model

    from backend.accounts.services import role_groups_ensure, user_role_grant
    from backend.common.roles import Role

    role_groups_ensure()
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username)
    user.set_password(password)
    user.is_staff = True
    user.save()
    user_role_grant(user=user, role=Role.OPERATOR)


@dataclass(frozen=True)
class RecordingResult:
    """What one recording pass stored."""

    processed: dict[str, int]
    dead_lettered: dict[str, int]
    handler_failures: dict[str, int]
    """Batches whose store raised and were retried (each channel's count)."""


def messages_record(
    messages: Sequence[object],
    *,
    bus: object,
    tick: Callable[[int], None] | None = None,
    group: str = "demo-recorder",
    timeout_s: float = 600.0,
) -> RecordingResult:
    """Publish ``messages`` on ``bus`` and let the stream recorder store them.

    Returns once every published message has been acknowledged by the recorder (or raises
    ``TimeoutError`` after ``timeout_s``).
    """
    from backend.recorder.handlers import DatabaseStore
    from engines.recorder.runner import Recorder, RecorderConfig
    from signal_bus.bus import Bus
    from signal_bus.messages import Message

    if not isinstance(bus, Bus):
        raise TypeError("bus must be a signal_bus Bus")
    channels = tuple(sorted({m.channel for m in messages if isinstance(m, Message)}))
    recorder = Recorder(
        bus=bus,
        store=DatabaseStore(),
        config=RecorderConfig(
            channels=channels, group=group, consumer=f"demo-{os.getpid()}", block_ms=100
        ),
    )
    for channel in channels:
        bus.ensure_group(channel, group)
    recorder.start()
    try:
        for message in messages:
            if isinstance(message, Message):
                bus.publish(message)
        expected = len(messages)
        deadline = time.monotonic() + timeout_s
        done = 0
        while done < expected:
            stats = recorder.stats()
            now_done = sum(s.processed + s.dead_lettered for s in stats)
            if tick is not None and now_done > done:
                tick(now_done - done)
            done = now_done
            if done >= expected:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the recorder stored {done} of {expected} messages in time")
            time.sleep(0.05)
    finally:
        recorder.stop()
    stats = recorder.stats()
    return RecordingResult(
        processed={c: s.processed for c, s in zip(channels, stats, strict=True)},
        dead_lettered={c: s.dead_lettered for c, s in zip(channels, stats, strict=True)},
        handler_failures={c: s.handler_failures for c, s in zip(channels, stats, strict=True)},
    )


def backtest_file_import(*, path: str, name: str | None, imported_by: str) -> str:
    """Import a LEAN result file as ``manage.py import_backtest`` does; return its summary line.

    Raises
    ------
    ValueError
        The file cannot be read or is not a LEAN result (the message says why).
    """
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    arguments = [path, "--by", imported_by]
    if name:
        arguments += ["--name", name]
    try:
        call_command("import_backtest", *arguments, stdout=out)
    except CommandError as error:
        raise ValueError(str(error)) from error
    return out.getvalue().strip()


def bars_import(
    *, data_folder: str, security_type: str, market: str, resolution: str, symbols: Sequence[str]
) -> int:
    """Store trade bars of ``symbols`` from a LEAN data folder; return the bars written.

    Idempotent (running it again writes the same rows), as ``manage.py import_bars``.

    Raises
    ------
    ValueError
        A missing folder or series, a malformed file, or an unknown resolution.
    """
    from backend.market.lean_import import lean_bars_import

    written = lean_bars_import(
        data_folder=data_folder,
        security_type=security_type,
        market=market,
        resolution=resolution,
        symbols=symbols,
    )
    return sum(written.values())


def risk_engine_state_load() -> dict[str, Any] | None:
    """The risk engine's state as the database knows it (see ``risk_engine_state``), or None.

    Call :func:`django_setup` first. The connection is closed afterwards (unless a
    transaction is open), since the engine does not use the database after its start.
    """
    from django.db import connection

    from backend.risk.selectors import risk_engine_state

    try:
        return risk_engine_state()
    finally:
        if not connection.in_atomic_block:
            connection.close()


def model_decisions_apply(
    *, model: str, asset_group: str, horizon: str, decisions: Sequence[Any], time_zone: str
) -> dict[str, int]:
    """Record a walk-forward's lifecycle decisions in the model registry; count the statuses.

    ``decisions``: ``risk_models.promotion.PeriodDecision`` in time order. Each version
    is registered in ``asset_group`` and gets its decision as the forecast engine's
    would (``apply_decision``, audited, dated when its period began), so the dashboard's
    Models page shows every version's gates and history. ``time_zone``: the zone of the
    decisions' naive ``valid_from`` (the data time zone).
    """
    from backend.forecasts.lifecycle import apply_decision, register_version

    counts: dict[str, int] = {}
    for item in decisions:
        moment = item.valid_from.tz_localize(time_zone).tz_convert("UTC").to_pydatetime()
        row = register_version(
            model, item.version, asset_group=asset_group, horizon=horizon, now=moment
        )
        status = apply_decision(row, item.decision, now=moment)
        counts[str(status)] = counts.get(str(status), 0) + 1
    return counts
