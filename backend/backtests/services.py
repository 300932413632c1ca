"""Writes: import a LEAN result file (idempotent by content, audited)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction

from backend.audit.chain import canonical_json
from backend.audit.services import audit_event_append
from backend.common.exceptions import InvalidInput

from .lean_result import lean_result_parse
from .models import BacktestEquityPoint, BacktestOrder, BacktestRun


def backtest_import(
    *, document: Any, name: str, imported_by: str, now: datetime | None = None
) -> tuple[BacktestRun, bool]:
    """Store a LEAN result; return the run and whether it was new (same content: same run)."""
    moment = now or datetime.now(UTC)
    if not name or not name.strip() or len(name) > 200:
        raise InvalidInput(
            field="name", rule="length", message="give a name of 1 to 200 characters"
        )
    # Every check (times in range once in UTC, lengths, numbers) happens while parsing, so a
    # refused file stores nothing; the writes below are one transaction, audit event included.
    parsed = lean_result_parse(document)
    digest = hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()
    with transaction.atomic():
        existing = BacktestRun.objects.filter(content_sha256=digest).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                run = BacktestRun.objects.create(
                    name=name.strip(),
                    content_sha256=digest,
                    source_format=parsed.source_format,
                    imported_at=moment,
                    imported_by=imported_by,
                    started_at=parsed.equity[0][0] if parsed.equity else None,
                    ended_at=parsed.equity[-1][0] if parsed.equity else None,
                    statistics=parsed.statistics,
                    runtime_statistics=parsed.runtime_statistics,
                    total_performance=parsed.total_performance,
                    algorithm_configuration=parsed.algorithm_configuration,
                )
        except IntegrityError:
            # The same file imported concurrently: the other request's run is this one.
            return BacktestRun.objects.get(content_sha256=digest), False
        BacktestEquityPoint.objects.bulk_create(
            [BacktestEquityPoint(run=run, timestamp=t, equity=v) for t, v in parsed.equity],
            batch_size=2000,
        )
        BacktestOrder.objects.bulk_create(
            [
                BacktestOrder(
                    run=run,
                    order_id=o.order_id,
                    symbol=o.symbol,
                    time=o.time,
                    quantity=o.quantity,
                    price=o.price,
                    value=o.value,
                    order_type=o.order_type,
                    status=o.status,
                    direction=o.direction,
                    tag=o.tag,
                )
                for o in parsed.orders
            ],
            batch_size=2000,
        )
        audit_event_append(
            actor=imported_by,
            action="backtest_imported",
            target=f"backtest:{run.pk}",
            payload={
                "name": run.name,
                "sha256": digest,
                "format": parsed.source_format,
                "equity_points": len(parsed.equity),
                "orders": len(parsed.orders),
            },
            now=moment,
        )
    return run, True
