"""Mixins shared by the API views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from .permissions import HasAnyRole

if TYPE_CHECKING:
    from backend.recorder.receipts import IngestOutcome

# At most this many conflicting ids are listed in a 409.
CONFLICTS_LISTED = 100


class ReadAnyRoleWriteRestricted:
    """Mixin: any role may read; unsafe methods need ``write_permission_classes``."""

    write_permission_classes: Sequence[type[BasePermission]] = ()
    request: Any

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [HasAnyRole()]
        return [permission() for permission in self.write_permission_classes]


def ingest_response(outcome: IngestOutcome) -> Response:
    """201 with the counts; 409 naming the ids when a message conflicts with a stored one.

    A batch with a conflict is refused whole (``stored`` is 0), like a batch with an
    invalid message.
    """
    body: dict[str, Any] = outcome.summary()
    if not outcome.conflicts:
        return Response(body, status=status.HTTP_201_CREATED)
    listed = list(outcome.conflicting_ids[:CONFLICTS_LISTED])
    body["detail"] = (
        f"{outcome.conflicts} message(s) reuse the id of a stored message with other content "
        f"or another time; nothing was stored: {', '.join(listed)}"
    )
    body["conflicting_ids"] = listed
    return Response(body, status=status.HTTP_409_CONFLICT)
