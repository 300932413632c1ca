"""Pure hash-chain arithmetic: canonical JSON, the keyed event hash and checkpoint signatures.

An event's hash is ``HMAC-SHA256(key[key_id], previous_hash + canonical JSON of the row)``,
the key id being part of the hashed row. Events written before the chain was keyed carry
the key id ``legacy`` and the public ``sha256(previous_hash + canonical JSON)``: anyone
who can write the table can recompute those, so they are only as strong as before.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

LEGACY_KEY_ID = "legacy"


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
    """Return the public (legacy) ``sha256(previous_hash + canonical_json(body))`` as hex."""
    return hashlib.sha256((previous_hash + canonical_json(body)).encode("utf-8")).hexdigest()


def keyed_chain_hash(*, key: str, key_id: str, previous_hash: str, body: dict[str, Any]) -> str:
    """Return ``HMAC-SHA256(key, previous_hash + canonical_json(body + key_id))`` as hex."""
    message = previous_hash + canonical_json({**body, "key_id": key_id})
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def event_hash(
    *, key_id: str, keys: Mapping[str, str], previous_hash: str, body: dict[str, Any]
) -> str | None:
    """The hash an event with ``key_id`` must carry (None: its key is not configured)."""
    if key_id == LEGACY_KEY_ID:
        return chain_hash(previous_hash=previous_hash, body=body)
    key = keys.get(key_id)
    if key is None:
        return None
    return keyed_chain_hash(key=key, key_id=key_id, previous_hash=previous_hash, body=body)


def checkpoint_signature(*, key: str, document: Mapping[str, Any]) -> str:
    """HMAC-SHA256 over a checkpoint's canonical JSON (without its ``signature``)."""
    content = canonical_json(
        {name: value for name, value in document.items() if name != "signature"}
    )
    return hmac.new(key.encode("utf-8"), content.encode("utf-8"), hashlib.sha256).hexdigest()


def checkpoint_signature_valid(*, keys: Mapping[str, str], document: Mapping[str, Any]) -> bool:
    """Whether a checkpoint's signature matches under its key id's key."""
    key = keys.get(str(document.get("key_id", "")))
    signature = document.get("signature")
    if key is None or not isinstance(signature, str):
        return False
    return hmac.compare_digest(checkpoint_signature(key=key, document=document), signature)
