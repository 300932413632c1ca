"""Errors raised by the signal bus."""

from __future__ import annotations


class MessageValidationError(ValueError):
    """A message failed validation: which field, and why.

    This is the only exception :func:`signal_bus.codec.decode` raises.

    Parameters
    ----------
    field
        Name of the offending field (``"payload"`` when the message as a whole is bad).
    reason
        Human-readable explanation.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def __reduce__(self) -> tuple[type[MessageValidationError], tuple[str, str]]:
        return (type(self), (self.field, self.reason))


class TransportConnectionError(ConnectionError):
    """The connection to the bus transport was lost or could not be made."""
