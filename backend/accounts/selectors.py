"""Reads: a user's token version."""

from __future__ import annotations

from typing import Any

from .models import UserTokenVersion


def user_token_version(*, user_id: Any) -> int:
    """The version a token of ``user_id`` must carry (0 until first revoked)."""
    version = UserTokenVersion.objects.filter(user_id=user_id).values_list("version", flat=True)
    return next(iter(version), 0)
