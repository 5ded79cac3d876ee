"""Admin for alerts, notifications, maintenance windows, the audit log and the users' preferences."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vpnportal import admin_channels  # noqa: F401 - registers the alert channels' admin
from vpnportal.admin_audit import AuditedAdmin
from vpnportal.models import Alert, AuditEntry, MaintenanceWindow, Notification, UserPreference


@admin.register(Alert)
class AlertAdmin(AuditedAdmin):
    list_display = ("kind", "device", "tunnel", "subject", "severity", "state", "opened_at", "resolved_at")
    list_filter = ("kind", "state", "severity")
    search_fields = ("subject", "key")


@admin.register(Notification)
class NotificationAdmin(AuditedAdmin):
    list_display = ("recipient", "channel_name", "subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "channel_kind", "purpose")
    exclude = ("payload",)


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(AuditedAdmin):
    list_display = ("device", "tunnel", "starts_at", "ends_at", "reason", "created_by")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "verb", "object_repr", "message")
    list_filter = ("verb",)
    search_fields = ("username", "object_repr", "message")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UserPreference)
class UserPreferenceAdmin(AuditedAdmin):
    """Each user's language (the menu's switch writes it; an admin may set it for someone)."""

    list_display = ("user", "language", "updated_at")
    list_filter = ("language",)
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)
