"""Register bus message ids before storing them: each id once, conflicting resends named."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from django.db import connection

from signal_bus.codec import encode
from signal_bus.messages import Message

from .models import MessageReceipt

MessageT = TypeVar("MessageT", bound=Message)


@dataclass(frozen=True)
class Receipts(Generic[MessageT]):
    """A batch split by the registry: messages to store, identical resends, conflicts."""

    new: list[MessageT]
    duplicates: int
    conflicts: list[MessageT]


@dataclass(frozen=True)
class IngestOutcome:
    """What became of a batch: received, stored, identical resends, conflicting resends."""

    received: int
    stored: int
    duplicates: int
    conflicting_ids: tuple[str, ...] = ()

    @property
    def conflicts(self) -> int:
        return len(self.conflicting_ids)

    def __add__(self, other: IngestOutcome) -> IngestOutcome:
        return IngestOutcome(
            received=self.received + other.received,
            stored=self.stored + other.stored,
            duplicates=self.duplicates + other.duplicates,
            conflicting_ids=self.conflicting_ids + other.conflicting_ids,
        )

    def summary(self) -> dict[str, int]:
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
        }


class MessageConflict(Exception):
    """Raised to refuse a whole batch holding a conflicting message; nothing of it is stored."""

    def __init__(self, outcome: IngestOutcome) -> None:
        super().__init__(f"{outcome.conflicts} conflicting message(s)")
        self.outcome = outcome


def receipts_outcome(
    *, received: int, receipts: Receipts[MessageT], refuse_conflicts: bool
) -> IngestOutcome:
    """The batch's outcome; raise :class:`MessageConflict` (rolling the batch back) if asked."""
    conflicting = tuple(message.id for message in receipts.conflicts)
    if conflicting and refuse_conflicts:
        raise MessageConflict(
            IngestOutcome(
                received=received,
                stored=0,
                duplicates=receipts.duplicates,
                conflicting_ids=conflicting,
            )
        )
    return IngestOutcome(
        received=received,
        stored=len(receipts.new),
        duplicates=receipts.duplicates,
        conflicting_ids=conflicting,
    )


def message_digest(message: Message) -> str:
    """sha256 of the message's encoding, ``ts_init`` (when it was built) left out."""
    content = dataclasses.replace(message, ts_init=message.ts_event)  # type: ignore[type-var]
    return hashlib.sha256(encode(content)).hexdigest()


_REGISTER_SQL = """
INSERT INTO recorder_messagereceipt (channel, message_id, "timestamp", digest, received_at)
SELECT %s, incoming.message_id, incoming.moment, incoming.digest, %s
FROM unnest(%s::varchar[], %s::timestamptz[], %s::varchar[])
    AS incoming(message_id, moment, digest)
ON CONFLICT (channel, message_id) DO NOTHING
RETURNING message_id
"""


def _register_postgresql(
    *, channel: str, firsts: Sequence[tuple[Message, str]], now: datetime
) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            _REGISTER_SQL,
            [
                channel,
                now,
                [message.id for message, _ in firsts],
                [message.ts_event for message, _ in firsts],
                [digest for _, digest in firsts],
            ],
        )
        return {row[0] for row in cursor.fetchall()}


def _register_orm(
    *, channel: str, firsts: Sequence[tuple[Message, str]], now: datetime
) -> set[str]:
    # SQLite (the embedded demo) runs one write transaction at a time: read, then insert.
    ids = [message.id for message, _ in firsts]
    known = set(
        MessageReceipt.objects.filter(channel=channel, message_id__in=ids).values_list(
            "message_id", flat=True
        )
    )
    MessageReceipt.objects.bulk_create(
        [
            MessageReceipt(
                channel=channel,
                message_id=message.id,
                timestamp=message.ts_event,
                digest=digest,
                received_at=now,
            )
            for message, digest in firsts
            if message.id not in known
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return set(ids) - known


def message_receipts_register(
    *, channel: str, messages: Sequence[MessageT], now: datetime | None = None
) -> Receipts[MessageT]:
    """Register ``messages``' ids on ``channel``; call inside the storing transaction.

    On PostgreSQL one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` registers the batch:
    a concurrent transaction registering the same id waits for this one, then finds the
    id taken. Ids are inserted in sorted order so two such transactions cannot deadlock.
    The first occurrence of an id in the batch is the one stored.
    """
    moment = now or datetime.now(UTC)
    firsts: dict[str, tuple[MessageT, str]] = {}
    repeats: list[tuple[MessageT, str]] = []
    for message in messages:
        entry = (message, message_digest(message))
        if message.id in firsts:
            repeats.append(entry)
        else:
            firsts[message.id] = entry
    if not firsts:
        return Receipts(new=[], duplicates=0, conflicts=[])
    ordered = [firsts[key] for key in sorted(firsts)]
    if connection.vendor == "postgresql":
        registered = _register_postgresql(channel=channel, firsts=ordered, now=moment)
    else:
        registered = _register_orm(channel=channel, firsts=ordered, now=moment)
    stored_digests = dict(
        MessageReceipt.objects.filter(
            channel=channel, message_id__in=[key for key in firsts if key not in registered]
        ).values_list("message_id", "digest")
    )
    new: list[MessageT] = []
    duplicates = 0
    conflicts: list[MessageT] = []
    for key, (message, digest) in firsts.items():
        if key in registered:
            new.append(message)
        elif stored_digests.get(key, "") in ("", digest):
            duplicates += 1
        else:
            conflicts.append(message)
    for message, digest in repeats:
        if digest == firsts[message.id][1]:
            duplicates += 1
        else:
            conflicts.append(message)
    return Receipts(new=new, duplicates=duplicates, conflicts=conflicts)


__all__ = [
    "IngestOutcome",
    "MessageConflict",
    "Receipts",
    "receipts_outcome",
    "message_digest",
    "message_receipts_register",
]
