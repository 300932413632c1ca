"""Audit user and role changes wherever they are made (API, admin, shell).

A password change or a role removal also revokes the user's outstanding tokens.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from backend.audit.services import audit_event_append

from .services import user_tokens_revoke

User = get_user_model()


@receiver(pre_save, sender=User)
def note_password_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Note whether this save changes a stored user's password (compared with the database).

    Django re-hashing the same password at login (``check_password`` upgrading the hasher:
    ``update_fields=["password"]`` without ``set_password``) is not a change.
    """
    instance._password_changed = False
    if kwargs.get("raw") or instance.pk is None:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "password" not in update_fields:
        return
    rehash = update_fields is not None and set(update_fields) == {"password"}
    if rehash and getattr(instance, "_password", None) is None:
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._password_changed = stored is not None and stored != instance.password


@receiver(post_save, sender=User)
def audit_user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Record a created or changed user (never the password); revoke tokens on a new password."""
    if kwargs.get("raw"):
        return
    if getattr(instance, "_password_changed", False):
        instance._password_changed = False
        user_tokens_revoke(user=instance, reason="password_changed")
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
    """Record roles granted or revoked; a removal revokes the affected users' tokens."""
    from django.contrib.auth.models import Group

    if action == "pre_clear":
        # clear() passes no pk_set: note who loses what before the rows go.
        if isinstance(instance, Group):
            instance._cleared_user_ids = list(instance.user_set.values_list("pk", flat=True))  # type: ignore[attr-defined]
        else:
            instance._cleared_group_names = sorted(instance.groups.values_list("name", flat=True))
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if action == "post_clear" and isinstance(instance, Group):
        pk_set = set(getattr(instance, "_cleared_user_ids", []))
    if isinstance(instance, Group):
        targets = [
            f"user:{user.get_username()}" for user in User.objects.filter(pk__in=pk_set or [])
        ]
        groups = [instance.name]
    else:
        targets = [f"user:{instance.get_username()}"]
        if action == "post_clear":
            groups = list(getattr(instance, "_cleared_group_names", []))
        else:
            groups = sorted(
                Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True)
            )
    for target in targets:
        audit_event_append(
            actor="system",
            action=f"roles_{action.removeprefix('post_')}",
            target=target,
            payload={"groups": groups},
        )
    if action in {"post_remove", "post_clear"}:
        if isinstance(instance, Group):
            for user in User.objects.filter(pk__in=pk_set or []):
                user_tokens_revoke(user=user, reason=f"role_removed:{instance.name}")
        elif pk_set or getattr(instance, "_cleared_group_names", None):
            user_tokens_revoke(user=instance, reason="roles_removed")
