"""The package imports and works in memory when redis is not installed (LEAN cloud)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

_SCRIPT = textwrap.dedent(
    """
    import sys

    class BlockRedis:
        def find_spec(self, name, path=None, target=None):
            if name == "redis" or name.startswith("redis."):
                raise ImportError("redis is blocked for this test")
            return None

    sys.meta_path.insert(0, BlockRedis())
    import signal_bus
    import signal_bus.redis_bus
    import signal_bus.subscriber
    import signal_bus.group_consumer
    from datetime import datetime, timezone
    from signal_bus.memory_bus import InMemoryBus

    bus = InMemoryBus()
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    message = signal_bus.RiskUpdate.create(risk_factor=0.5, now=now)
    bus.publish(message)
    assert bus.last(signal_bus.RISK_UPDATES) == message
    try:
        signal_bus.redis_bus.RedisBus(url="redis://127.0.0.1:1/0").last(signal_bus.RISK_UPDATES)
    except ImportError:
        pass
    else:
        raise AssertionError("RedisBus worked without redis")
    assert "redis" not in sys.modules
    print("ok")
    """
)


def test_signal_bus_imports_without_redis() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
