"""Admin for the inventory: devices (secrets write-only) and tunnels."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from devices.models import CredentialSet, Device, Finding, Poll, Tunnel
from vpnportal.admin_audit import AuditedAdmin


class DeviceForm(forms.ModelForm):
    """Secrets are write-only: the form never renders the stored value; blank keeps it."""

    password = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), help_text=_("Leave blank to keep.")
    )
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        label=_("Enable secret"),
        help_text=_("Leave blank to keep."),
    )

    class Meta:
        model = Device
        fields = [
            "name",
            "host",
            "port",
            "platform",
            "transport",
            "credential_set",
            "username",
            "password",
            "password_ref",
            "secret",
            "secret_ref",
            "host_key",
            "enabled",
            "cert_warn_days",
            "crl_warn_hours",
            "clock_skew_warn_seconds",
            "weak_crypto_alerts",
            "alert_emails",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Never hand the stored secret to the widget, even as an initial value.
        self.initial.pop("password", None)
        self.initial.pop("secret", None)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field in ("password", "secret"):
            value = cleaned.get(field) or ""
            if any(ord(c) < 32 for c in value):
                self.add_error(field, gettext("Control characters are not allowed."))
            if value == "" and self.instance.pk:
                cleaned[field] = getattr(self.instance, field)
        if self._meta.model is Device and not cleaned.get("username"):
            shared = cleaned.get("credential_set")
            if shared is None or not shared.username:
                self.add_error("username", gettext("Required, unless the credential set gives one."))
        return cleaned


class CredentialSetForm(DeviceForm):
    """A shared login: the same write-only secrets as a device's; references are shown (not secrets)."""

    class Meta:
        model = CredentialSet
        fields = ["name", "username", "password", "password_ref", "secret", "secret_ref"]


@admin.register(CredentialSet)
class CredentialSetAdmin(AuditedAdmin):
    """Credential sets the inventory's `credentials:` declares (docs/inventory.md)."""

    form = CredentialSetForm
    list_display = ("name", "username", "updated_at")
    search_fields = ("name", "username")


@admin.register(Device)
class DeviceAdmin(AuditedAdmin):
    """Inventory of routers and firewalls."""

    form = DeviceForm
    list_display = ("name", "host", "port", "platform", "transport", "enabled", "next_poll_at")
    list_filter = ("platform", "transport", "enabled")
    search_fields = ("name", "host")
    readonly_fields = ("host_key_pinned_at", "pki_form")


@admin.register(Tunnel)
class TunnelAdmin(AuditedAdmin):
    """Named tunnels; discovered ones appear here too."""

    list_display = ("name", "end_a", "end_b", "status", "discovered")
    list_filter = ("status", "discovered")
    search_fields = ("name",)
    readonly_fields = ("status", "status_reason", "status_changed_at", "spi_mirror_ok", "one_way_polls")


class RecordAdmin(AuditedAdmin):
    """Rows the poller and the diagnosis write: shown, never added or edited by hand (the next poll
    would overwrite an edit; deleting stays possible for admins)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Poll)
class PollAdmin(RecordAdmin):
    """Poll records, read-only."""

    list_display = ("device", "started_at", "status", "duration_ms", "reason")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Poll._meta.fields]


@admin.register(Finding)
class FindingAdmin(RecordAdmin):
    """Diagnosis findings (devices/diagnosis), read-only: they hold while the condition holds."""

    list_display = ("code", "severity", "device", "tunnel", "subject", "active", "last_seen")
    list_filter = ("active", "severity", "code")
    search_fields = ("code", "subject", "title", "device__name", "tunnel__name")
    readonly_fields = [f.name for f in Finding._meta.fields]
    list_select_related = ("device", "tunnel")
