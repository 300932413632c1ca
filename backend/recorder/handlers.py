"""Which service stores which channel; each batch is one transaction, retried on failure.

:class:`DatabaseStore` is the storage the recorder's engine (:mod:`engines.recorder`) is
given: ``manage.py record_streams``, the demo and the benchmark build the
:class:`~engines.recorder.runner.Recorder` with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import psycopg2
import structlog
from django.db import DatabaseError, connection

from backend.common.exceptions import InvalidInput
from backend.common.limits import message_limits_check
from backend.execution.services import execution_messages_ingest
from backend.forecasts.services import forecast_messages_ingest
from backend.recorder.receipts import IngestOutcome
from backend.risk.services import risk_messages_ingest
from backend.strategy.services import strategy_config_messages_store
from engines.observability.metrics import PUBLISH_TO_CONSUME_LATENCY, dead_letters_add
from engines.recorder.runner import METRICS_COMPONENT
from signal_bus.bus import Bus
from signal_bus.channels import EXECUTION_EVENTS, FORECAST_UPDATES, RISK_UPDATES, STRATEGY_CONFIG
from signal_bus.codec import encode
from signal_bus.messages import ForecastUpdate, Message, RiskUpdate, StrategyConfigUpdate

logger = structlog.get_logger(__name__)


def _forecasts(messages: Sequence[Message]) -> IngestOutcome:
    return forecast_messages_ingest(messages=[m for m in messages if isinstance(m, ForecastUpdate)])


def _risk(messages: Sequence[Message]) -> IngestOutcome:
    return risk_messages_ingest(messages=[m for m in messages if isinstance(m, RiskUpdate)])


def _strategy(messages: Sequence[Message]) -> IngestOutcome:
    # Deduplicated by (key, version) in the history table; no message-id registry needed.
    updates = [m for m in messages if isinstance(m, StrategyConfigUpdate)]
    stored = strategy_config_messages_store(messages=updates)
    return IngestOutcome(received=len(updates), stored=stored, duplicates=len(updates) - stored)


def _execution(messages: Sequence[Message]) -> IngestOutcome:
    return execution_messages_ingest(messages=messages)


STORES: dict[str, Callable[[Sequence[Message]], IngestOutcome]] = {
    FORECAST_UPDATES: _forecasts,
    RISK_UPDATES: _risk,
    STRATEGY_CONFIG: _strategy,
    EXECUTION_EVENTS: _execution,
}


def batch_handler_for(
    channel: str, *, bus: Bus, group: str, consumer: str
) -> Callable[[Sequence[Message]], None]:
    """A batch handler storing ``channel``'s messages; raising leaves the batch unacknowledged.

    Messages the columns cannot hold go to the channel's dead-letter stream with the reason.
    """
    store = STORES[channel]

    def dead_letter(message: Message, error: InvalidInput) -> None:
        bus.add_dead_letter(
            channel,
            {
                "reason": f"cannot be stored: {error.message}".encode(),
                "field": error.field.encode(),
                "payload": encode(message),
                "source_id": message.id.encode(),
                "group": group.encode(),
                "consumer": consumer.encode(),
            },
        )
        dead_letters_add(component=METRICS_COMPONENT, channel=channel)
        logger.warning(
            "recorder_message_dead_lettered",
            channel=channel,
            field=error.field,
            reason=error.message,
        )

    def handle(messages: Sequence[Message]) -> None:
        storable: list[Message] = []
        for message in messages:
            try:
                message_limits_check(message=message)
            except InvalidInput as error:
                dead_letter(message, error)
                continue
            storable.append(message)
        try:
            outcome = store(storable)
        except (DatabaseError, psycopg2.Error) as error:
            # Drop the broken connection so the retry opens a fresh one.
            logger.warning(
                "recorder_batch_failed", channel=channel, size=len(messages), error=str(error)
            )
            _close_quietly()
            raise
        conflicting = set(outcome.conflicting_ids)
        for message in storable:
            if message.id in conflicting:
                conflicting.discard(message.id)
                dead_letter(
                    message,
                    InvalidInput(
                        field="id",
                        rule="conflict",
                        message="another message is stored under this id (other time or content)",
                    ),
                )
        latencies_observe(channel=channel, messages=storable, consumed_at=datetime.now(UTC))
        logger.debug(
            "recorder_batch_stored", channel=channel, size=len(messages), **outcome.summary()
        )

    return handle


def latencies_observe(*, channel: str, messages: Sequence[Message], consumed_at: datetime) -> None:
    """Observe each message's publish-to-consume latency, one histogram sample per message.

    The same samples as ``publish_to_consume_latency_observe`` per message (negative clock
    skew counts as 0), with the labelled histogram looked up once per batch. Messages carry
    timezone-aware ``ts_init`` by construction.
    """
    if not messages:
        return
    if consumed_at.tzinfo is None:
        raise ValueError("consumed_at must be timezone-aware")
    observe = PUBLISH_TO_CONSUME_LATENCY.labels(METRICS_COMPONENT, channel).observe
    for message in messages:
        seconds = (consumed_at - message.ts_init).total_seconds()
        observe(seconds if seconds > 0.0 else 0.0)


class DatabaseStore:
    """The recorder's store: the backend's services per channel, one connection per thread."""

    def batch_handler_for(
        self, channel: str, *, bus: Bus, group: str, consumer: str
    ) -> Callable[[Sequence[Message]], None]:
        """The handler storing ``channel``'s batches (see :func:`batch_handler_for`)."""
        return batch_handler_for(channel, bus=bus, group=group, consumer=consumer)

    def thread_finished(self) -> None:
        """Close the finishing consumer thread's database connection."""
        connection.close()


def _close_quietly() -> None:
    try:
        connection.close()
    except Exception as error:  # noqa: BLE001 - closing a dead connection may fail too
        logger.debug("recorder_close_failed", error=str(error))


__all__ = ["METRICS_COMPONENT", "STORES", "DatabaseStore", "batch_handler_for", "latencies_observe"]
