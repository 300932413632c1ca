"""Mixins shared by the API views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework.permissions import BasePermission

from .permissions import HasAnyRole


class ReadAnyRoleWriteRestricted:
    """Mixin: any role may read; unsafe methods need ``write_permission_classes``."""

    write_permission_classes: Sequence[type[BasePermission]] = ()
    request: Any

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [HasAnyRole()]
        return [permission() for permission in self.write_permission_classes]
