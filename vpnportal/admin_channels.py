"""Admin for alert channels: URLs and secrets write-only, references shown, a "Send test" action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from devices.contacts import email_list, validate_email_list
from devices.secret_refs import parse_reference
from vpnportal.admin_audit import AuditedAdmin
from vpnportal.alerting.channel_test import send_test
from vpnportal.choices import ChannelKind, NotificationStatus
from vpnportal.models import AlertChannel

WRITE_ONLY = ("url", "secret")


class AlertChannelForm(forms.ModelForm):
    """The URL and the secret are write-only (a chat webhook URL is a secret too): blank keeps them."""

    url = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Literal URL, stored encrypted, never shown. Leave blank to keep; or use the reference below."
        ),
    )
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Webhook signing secret, stored encrypted, never shown. Leave blank to keep."),
    )
    clear_url = forms.BooleanField(required=False, help_text=_("Remove the stored literal URL."))
    clear_secret = forms.BooleanField(required=False, help_text=_("Remove the stored literal secret."))

    class Meta:
        model = AlertChannel
        fields = [
            "name",
            "kind",
            "default",
            "enabled",
            "to",
            "url",
            "clear_url",
            "url_ref",
            "secret",
            "clear_secret",
            "secret_ref",
            "devices",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in WRITE_ONLY:
            self.initial.pop(name, None)

    def _stored(self, name: str) -> str:
        value = getattr(self.instance, name, "") if self.instance.pk else ""
        return value.reveal() if hasattr(value, "reveal") else str(value or "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in WRITE_ONLY:
            value = cleaned.get(name) or ""
            if any(ord(c) < 32 for c in value):
                self.add_error(name, gettext("Control characters are not allowed."))
            if cleaned.get(f"clear_{name}"):
                cleaned[name] = ""
            elif value == "":
                cleaned[name] = self._stored(name)
        for name in ("url_ref", "secret_ref"):
            if cleaned.get(name):
                try:
                    parse_reference(cleaned[name], gettext)
                except ValueError as exc:
                    self.add_error(name, str(exc))
        kind = cleaned.get("kind")
        has_url = bool(cleaned.get("url") or cleaned.get("url_ref"))
        has_secret = bool(cleaned.get("secret") or cleaned.get("secret_ref"))
        if kind == ChannelKind.EMAIL:
            if not email_list(cleaned.get("to") or ""):
                self.add_error("to", gettext("Email channels need at least one address."))
            else:
                try:
                    validate_email_list(cleaned["to"])
                except ValidationError as exc:
                    self.add_error("to", exc)
                cleaned["to"] = ", ".join(email_list(cleaned["to"]))
        elif kind:
            if not has_url:
                self.add_error("url", gettext("This kind of channel needs a URL (or a reference)."))
            url = cleaned.get("url") or ""
            if url and not url.startswith(("http://", "https://")):
                self.add_error("url", gettext("The URL must start with http:// or https://."))
            if kind == ChannelKind.WEBHOOK and not has_secret:
                self.add_error("secret", gettext("Webhook channels sign every post and need a secret."))
        return cleaned


@admin.register(AlertChannel)
class AlertChannelAdmin(AuditedAdmin):
    """Alert channels from the inventory or added here; "Send test" posts a test through each."""

    form = AlertChannelForm
    list_display = ("name", "kind", "default", "enabled", "destination", "from_inventory", "last_delivery")
    list_filter = ("kind", "default", "enabled", "from_inventory")
    search_fields = ("name",)
    filter_horizontal = ("devices",)
    actions = ["send_test_action"]

    @admin.display(description=_("destination"))
    def destination(self, obj: AlertChannel) -> str:
        """Addresses, or where the URL comes from; never the URL itself."""
        if obj.kind == ChannelKind.EMAIL:
            return obj.to
        if obj.url_ref:
            return gettext("URL from %(ref)s") % {"ref": obj.url_ref}
        return gettext("URL set (hidden)") if obj.url else gettext("no URL")

    @admin.display(description=_("last delivery"))
    def last_delivery(self, obj: AlertChannel) -> str:
        """The newest notification's status and error."""
        last = obj.notifications.order_by("-created_at", "-pk").first()
        if last is None:
            return "-"
        return f"{last.status} {last.last_error[:80]}".strip()

    @admin.action(description=_("Send test"), permissions=["change"])
    def send_test_action(self, request: HttpRequest, queryset: QuerySet[AlertChannel]) -> None:
        """Send a test notification through each selected channel and say how each went."""
        for channel in queryset:
            for row in send_test(channel, user=request.user):
                params = {"channel": channel.name, "to": row.recipient, "error": row.last_error}
                if row.status == NotificationStatus.SENT:
                    sent = (
                        gettext("%(channel)s: test sent to %(to)s.")
                        if row.recipient
                        else gettext("%(channel)s: test sent.")
                    )
                    self.message_user(request, sent % params, messages.SUCCESS)
                else:
                    failed = (
                        gettext("%(channel)s: test to %(to)s failed: %(error)s")
                        if row.recipient
                        else gettext("%(channel)s: test failed: %(error)s")
                    )
                    self.message_user(request, failed % params, messages.ERROR)
