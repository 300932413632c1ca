"""Token revocation state: a per-user version every token carries in its ``tv`` claim."""

from __future__ import annotations

from django.conf import settings
from django.db import models

# The claim holding the user's token version when the token was issued.
TOKEN_VERSION_CLAIM = "tv"


class UserTokenVersion(models.Model):
    """The version a user's tokens must carry; raising it revokes every outstanding token.

    Raised by a password change, a role removal and ``logout`` with ``everywhere``. A user
    without a row is at version 0 (as are tokens without the claim).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="token_version"
    )
    version = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"tokens of user {self.user_id} at version {self.version}"
