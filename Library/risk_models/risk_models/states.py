"""The risk engine's states."""

from __future__ import annotations

from enum import StrEnum


class RiskState(StrEnum):
    """How much the strategy may trade.

    ``active``: normal sizing. ``reducing``: positions may shrink or close, never grow.
    ``halted``: flat.
    """

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"

    @property
    def severity(self) -> int:
        """Order of strictness: active 0, reducing 1, halted 2."""
        return _SEVERITY[self]


_SEVERITY = {RiskState.ACTIVE: 0, RiskState.REDUCING: 1, RiskState.HALTED: 2}
