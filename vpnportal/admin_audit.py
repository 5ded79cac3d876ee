"""Admin edits leave audit entries like the portal's own actions: who, what, before and after, no secrets."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from vpnportal.audit import audit
from vpnportal.audit_values import mark_changed_secrets, snapshot
from vpnportal.choices import AuditAction


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose adds, changes and deletions are written to the audit log."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool) -> None:
        names = [n for n in form.changed_data if n in {f.name for f in obj._meta.concrete_fields}]
        before = None
        if change:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = snapshot(stored, names) if stored is not None else None
        super().save_model(request, obj, form, change)
        after = mark_changed_secrets(snapshot(obj, names if change else None), names)
        audit(
            "admin change" if change else "admin add",
            user=request.user,
            obj=obj,
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            before=before,
            after=after,
            message=f"changed: {', '.join(names)}" if change else "",
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._audit_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self._audit_deletion(request, obj)
        super().delete_queryset(request, queryset)

    def _audit_deletion(self, request: HttpRequest, obj: models.Model) -> None:
        audit("admin delete", user=request.user, obj=obj, action=AuditAction.DELETE, before=snapshot(obj))
