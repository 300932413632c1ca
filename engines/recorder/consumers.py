"""Delete dead recorder consumers from their consumer group once nothing is pending for them.

Every recorder process joins the group under its own name (host and pid), so each restart
leaves a consumer behind. Their pending entries are claimed by the live recorders after
``claim_idle_ms``; a consumer that has been idle for ``min_idle_ms`` and holds no pending
entry is then deleted. The pending check and the deletion run in one Lua script, so an
entry delivered in between is never dropped with its consumer.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

# Delete the consumer only if its pending-entries list is empty (atomically).
_DELETE_IF_NOTHING_PENDING = """
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #pending == 0 then
    return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def idle_consumers_delete(
    *, bus: Any, channel: str, group: str, min_idle_ms: int, keep: Collection[str]
) -> list[str]:
    """Delete the consumers of ``group`` on ``channel`` idle ``min_idle_ms`` with nothing pending.

    ``keep`` names consumers never deleted (this process's own). Returns the deleted names.
    A bus without Redis consumer groups (the in-memory bus) has nothing to delete.
    """
    import redis

    client, names = getattr(bus, "client", None), getattr(bus, "names", None)
    if client is None or names is None:
        return []
    stream = names.stream(channel)
    try:
        consumers = client.xinfo_consumers(stream, group)
    except redis.ResponseError:
        return []  # no stream or no group yet
    deleted: list[str] = []
    for info in consumers:
        name = _text(info["name"])
        if name in keep or int(info["pending"]) > 0 or int(info["idle"]) < min_idle_ms:
            continue
        if client.eval(_DELETE_IF_NOTHING_PENDING, 1, stream, group, name) != -1:
            deleted.append(name)
    return deleted
