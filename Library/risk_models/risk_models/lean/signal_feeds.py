"""What the risk adapters read from the bus side (a ``SignalInbox`` provides both)."""

from __future__ import annotations

from typing import Protocol

from signal_bus.messages import RiskUpdate, StrategyConfigUpdate


class RiskFeed(Protocol):
    """Gives the newest risk update."""

    def risk(self) -> RiskUpdate | None:
        """Return the newest risk update, if any."""


class ConfigFeed(Protocol):
    """Gives config changes received since the last call."""

    def take_config_changes(self) -> list[StrategyConfigUpdate]:
        """Return and forget pending config changes, oldest first."""
