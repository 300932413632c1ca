"""Audit user and role changes wherever they are made (API, admin, shell)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from backend.audit.services import audit_event_append

User = get_user_model()


@receiver(post_save, sender=User)
def audit_user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Record a created or changed user (never the password)."""
    if kwargs.get("raw"):
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    audit_event_append(
        actor="system",
        action="user_created" if created else "user_changed",
        target=f"user:{instance.get_username()}",
        payload={
            "is_active": instance.is_active,
            "is_staff": instance.is_staff,
            "is_superuser": instance.is_superuser,
        },
    )


@receiver(post_delete, sender=User)
def audit_user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Record a deleted user."""
    audit_event_append(
        actor="system", action="user_deleted", target=f"user:{instance.get_username()}"
    )


@receiver(m2m_changed, sender=User.groups.through)
def audit_roles_changed(
    sender: Any, instance: Any, action: str, pk_set: Any, **kwargs: Any
) -> None:
    """Record roles granted or revoked."""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    from django.contrib.auth.models import Group

    if isinstance(instance, Group):
        targets = [
            f"user:{user.get_username()}" for user in User.objects.filter(pk__in=pk_set or [])
        ]
        groups = [instance.name]
    else:
        targets = [f"user:{instance.get_username()}"]
        groups = sorted(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    for target in targets:
        audit_event_append(
            actor="system",
            action=f"roles_{action.removeprefix('post_')}",
            target=target,
            payload={"groups": groups},
        )
