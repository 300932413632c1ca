"""Pure hash-chain arithmetic: canonical JSON and ``sha256(previous_hash + canonical JSON)``."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any


def canonical_json(value: Any) -> str:
    """Serialise with sorted keys and no whitespace, so equal content gives equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def normalise_payload(payload: Any) -> Any:
    """Round-trip through JSON so what is hashed is exactly what the database stores."""
    return json.loads(canonical_json(payload))


def event_body(
    *, created_at: datetime, actor: str, action: str, target: str, payload: Any
) -> dict[str, Any]:
    """The hashed content of an event."""
    return {
        "created_at": created_at.isoformat(),
        "actor": actor,
        "action": action,
        "target": target,
        "payload": payload,
    }


def chain_hash(*, previous_hash: str, body: dict[str, Any]) -> str:
    """Return ``sha256(previous_hash + canonical_json(body))`` as hex."""
    return hashlib.sha256((previous_hash + canonical_json(body)).encode("utf-8")).hexdigest()
