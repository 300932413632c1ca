"""A Binance spot REST stand-in (``exchangeInfo`` and ``klines``) for the local test server.

It answers as Binance documents it: klines with ``startTime <= open time <= endTime``,
oldest first, at most ``limit``, including the kline still forming; unknown symbols get
error -1121. Tests change ``klines`` between runs to play late bars, gaps and bad values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from tests.unit.market_data.recorded_server import Reply, Request

FIXTURES = Path(__file__).parent / "fixtures"
HOUR_MS = 3_600_000
EXCHANGE_INFO: dict[str, Any] = json.loads(
    (FIXTURES / "binance_exchange_info.json").read_text(encoding="utf-8")
)


def milliseconds(moment: str | pd.Timestamp) -> int:
    """Epoch milliseconds of a naive UTC time."""
    return int(pd.Timestamp(moment).tz_localize("UTC").value // 1_000_000)


def kline(open_ms: int, number: int, *, interval_ms: int = HOUR_MS) -> list[Any]:
    """A 12-field Binance kline with prices derived from ``number`` (strings, as Binance sends)."""
    base = 9000.0 + 10.0 * number
    values = (base, base + 8.25, base - 4.0, base + 5.25, 100.0 + number)
    return [
        open_ms,
        *(f"{value:.8f}" for value in values),
        open_ms + interval_ms - 1,
        f"{values[3] * values[4]:.8f}",
        1000 + number,
        f"{values[4] / 2:.8f}",
        "0.00000000",
        "0",
    ]


def hourly_klines(first: str, count: int) -> dict[int, list[Any]]:
    """``count`` consecutive hourly klines from ``first`` (naive UTC), keyed by open time."""
    start = milliseconds(first)
    return {start + i * HOUR_MS: kline(start + i * HOUR_MS, i) for i in range(count)}


class FakeBinance:
    """Serves ``klines`` (by open time) for the symbols in ``symbols``."""

    def __init__(
        self, klines: dict[int, list[Any]], *, symbols: Iterable[str] = ("BTCUSDT",)
    ) -> None:
        self.klines = klines
        self.symbols = frozenset(symbols)
        self.kline_requests: list[Request] = []

    def __call__(self, request: Request) -> Reply:
        if request.path == "/api/v3/exchangeInfo":
            return Reply(200, EXCHANGE_INFO)
        if request.path != "/api/v3/klines":
            return Reply(404, {"code": -1, "msg": f"no route {request.path}"})
        self.kline_requests.append(request)
        if request.query.get("symbol") not in self.symbols:
            return Reply(400, {"code": -1121, "msg": "Invalid symbol."})
        start = int(request.query.get("startTime", 0))
        end = int(request.query.get("endTime", 2**62))
        limit = int(request.query.get("limit", 500))
        rows = [self.klines[t] for t in sorted(self.klines) if start <= t <= end][:limit]
        return Reply(200, rows)
