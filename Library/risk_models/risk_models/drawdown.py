"""Drawdown of mark-to-market equity from its high-water mark."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class DrawdownTracker:
    """Track the equity high-water mark and the current drawdown.

    Equity comes from portfolio snapshots, which value open positions at market,
    so unrealized losses count.
    """

    high_water_mark: float | None = None
    equity: float | None = None
    updated_at: datetime | None = None

    @property
    def drawdown(self) -> float | None:
        """Current drawdown in [0, 1], or ``None`` before the first snapshot."""
        if self.high_water_mark is None or self.equity is None:
            return None
        return min(1.0, max(0.0, 1.0 - self.equity / self.high_water_mark))

    def update(self, equity: float, at: datetime) -> float:
        """Record an equity observation and return the drawdown.

        Raises
        ------
        ValueError
            If ``equity`` is not a finite positive number.
        """
        if isinstance(equity, bool) or not isinstance(equity, int | float):
            raise ValueError(f"equity must be a number; got {equity!r}")
        if not math.isfinite(equity) or equity <= 0.0:
            raise ValueError(f"equity must be finite and positive; got {equity!r}")
        self.equity = float(equity)
        self.updated_at = at
        if self.high_water_mark is None or equity > self.high_water_mark:
            self.high_water_mark = float(equity)
        drawdown = self.drawdown
        assert drawdown is not None
        return drawdown

    def reset(self) -> None:
        """Restart the high-water mark at the current equity (after a re-armed halt)."""
        self.high_water_mark = self.equity

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "high_water_mark": self.high_water_mark,
            "equity": self.equity,
            "updated_at": None if self.updated_at is None else self.updated_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DrawdownTracker:
        """Rebuild from :meth:`to_dict` output."""
        updated = data.get("updated_at")
        mark, equity = data.get("high_water_mark"), data.get("equity")
        return cls(
            high_water_mark=None if mark is None else float(mark),
            equity=None if equity is None else float(equity),
            updated_at=None if updated is None else datetime.fromisoformat(updated),
        )
