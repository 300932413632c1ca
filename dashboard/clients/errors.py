"""Errors raised by the backend client; pages turn them into clear messages."""

from __future__ import annotations

from dataclasses import dataclass


class BackendError(Exception):
    """Base class of every error the backend client raises."""


class BackendUnavailable(BackendError):
    """The backend cannot be reached or answered with a server error."""


class AuthenticationFailed(BackendError):
    """The username or the password is wrong."""


class SessionExpired(BackendError):
    """The access token expired and could not be refreshed: log in again."""


class PermissionDenied(BackendError):
    """The user's role does not allow this action."""


class NotFound(BackendError):
    """The backend has no such resource (or no such endpoint)."""


@dataclass(frozen=True)
class FieldError:
    """One rule a submitted field broke, as the backend reports it."""

    field: str
    rule: str
    message: str


class ValidationFailed(BackendError):
    """The backend rejected the input; ``errors`` names each field and rule."""

    def __init__(self, errors: list[FieldError], detail: str = "") -> None:
        super().__init__(detail or "; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors

    def for_field(self, field: str) -> list[FieldError]:
        """Return the errors of ``field`` (exact name)."""
        return [error for error in self.errors if error.field == field]
