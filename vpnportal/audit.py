"""Writing audit entries: one call per user action, never with secrets in it."""

from __future__ import annotations

from typing import Any

from django.db import models

from vpnportal.choices import AuditAction
from vpnportal.models import AuditEntry


def audit(
    verb: str,
    *,
    user: Any = None,
    obj: models.Model | None = None,
    action: str = AuditAction.ACTION,
    before: Any = None,
    after: Any = None,
    message: str = "",
    request_id: str = "",
) -> AuditEntry:
    """Record that `user` did `verb` to `obj` (with before/after values when they changed)."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEntry.objects.create(
        user=user if authenticated else None,
        username=(user.get_username() if authenticated else "system"),
        action=action,
        verb=verb,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        request_id=request_id,
        before=before,
        after=after,
        message=message,
    )
