"""Alerts, their state changes, notifications, maintenance silences, the audit log and user preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vpnportal.alerting.texts import SUMMARY_KEY, render_text
from vpnportal.choices import (
    OPEN_ALERT_STATES,
    AlertEventKind,
    AlertKind,
    AlertState,
    AuditAction,
    ChannelKind,
    NotificationPurpose,
    NotificationStatus,
    Severity,
)
from vpnportal.fields import EncryptedTextField


class Alert(models.Model):
    """One alert per key (kind + device + subject) while open; a new row after it resolves."""

    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    key = models.CharField(max_length=255, help_text=_("kind:device:subject"))
    device = models.ForeignKey(
        "devices.Device", on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    tunnel = models.ForeignKey(
        "devices.Tunnel", on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    subject = models.CharField(max_length=255, blank=True, default="")
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.WARNING)
    state = models.CharField(max_length=16, choices=AlertState.choices, default=AlertState.PENDING)
    summary = models.CharField(max_length=500, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    stage = models.IntegerField(null=True, blank=True, help_text=_("Expiry stage (days) last notified."))
    consecutive = models.PositiveIntegerField(default=1, help_text=_("Evaluations the condition has held."))
    # Which observation (poll ids) was last counted: a condition holds for N polls, not N evaluations.
    observed = models.CharField(max_length=64, blank=True, default="")
    opened_at = models.DateTimeField(default=timezone.now)
    fired_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_evaluated_at = models.DateTimeField(default=timezone.now)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    silenced_until = models.DateTimeField(
        null=True, blank=True, help_text=_("This alert alone is silenced (no mail) until then.")
    )

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(state__in=OPEN_ALERT_STATES), name="one_open_alert_per_key"
            )
        ]
        indexes = [models.Index(fields=["state", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} ({self.state})"

    @property
    def display_summary(self) -> str:
        """The summary in the active language; the English column for an alert stored without its text."""
        details = self.details if isinstance(self.details, dict) else {}
        return render_text(details.get(SUMMARY_KEY), self.summary)


class AlertEvent(models.Model):
    """A state change of an alert, or an acknowledgement; notifications are built from unprocessed events."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=AlertEventKind.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    old_state = models.CharField(max_length=16, choices=AlertState.choices, blank=True, default="")
    new_state = models.CharField(max_length=16, choices=AlertState.choices)
    # Human text for the page and the digest ("worse: within 7 days"); `kind` says what happened.
    note = models.CharField(max_length=500, blank=True, default="")
    notify = models.BooleanField(default=True, help_text=_("Whether this change is worth an email."))
    processed = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.alert_id}: {self.kind} ({self.old_state or '-'} -> {self.new_state})"


class AlertChannel(models.Model):
    """Where alerts go besides ALERT_EMAIL_TO: email, a signed webhook, Slack, Teams or Alertmanager.

    `default` channels get every alert; the others get the alerts of their `devices` and of the tunnels
    those end. A URL or secret is a literal (encrypted at rest) or a reference (`env:NAME`,
    `file:PATH`) resolved at each send."""

    name = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    to = models.TextField(blank=True, default="", help_text=_("Email channels: addresses, comma-separated."))
    url = EncryptedTextField(blank=True, default="", help_text=_("Literal URL (stored encrypted)."))
    url_ref = models.CharField(
        max_length=300, blank=True, default="", help_text=_("Or a reference: env:NAME or file:/path.")
    )
    secret = EncryptedTextField(
        blank=True, default="", help_text=_("Webhook signing secret (stored encrypted).")
    )
    secret_ref = models.CharField(
        max_length=300, blank=True, default="", help_text=_("Or a reference: env:NAME or file:/path.")
    )
    default = models.BooleanField(default=False, help_text=_("Gets every alert."))
    enabled = models.BooleanField(default=True)
    devices = models.ManyToManyField("devices.Device", related_name="alert_channels", blank=True)
    from_inventory = models.BooleanField(default=False)
    # Alertmanager: when the firing alerts were last re-posted (they expire there unless re-posted).
    refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("alert channel")
        verbose_name_plural = _("alert channels")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Notification(models.Model):
    """One delivery to one recipient or channel: written before it is sent, its outcome after."""

    recipient = models.EmailField(blank=True, default="")
    channel = models.ForeignKey(
        AlertChannel, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    # The transport, kept when the channel row is deleted (email for ALERT_EMAIL_TO and alert_emails).
    channel_kind = models.CharField(max_length=16, choices=ChannelKind.choices, default=ChannelKind.EMAIL)
    channel_name = models.CharField(max_length=64, blank=True, default="")
    purpose = models.CharField(
        max_length=16, choices=NotificationPurpose.choices, default=NotificationPurpose.EVENTS
    )
    # Non-email channels: what to send (alert ids and what each says), fixed when the row is written.
    payload = models.JSONField(default=dict, blank=True)
    # Stable across retries: receivers drop a repeated delivery by it.
    idempotency_key = models.CharField(max_length=64, blank=True, default="", db_index=True)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True, default="")
    events = models.ManyToManyField(AlertEvent, related_name="notifications", blank=True)
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.recipient or self.channel_name}: {self.subject} ({self.status})"


class MaintenanceWindow(models.Model):
    """A silence for a device or tunnel: its alerts stay quiet between starts_at and ends_at."""

    device = models.ForeignKey(
        "devices.Device", on_delete=models.CASCADE, null=True, blank=True, related_name="maintenance_windows"
    )
    tunnel = models.ForeignKey(
        "devices.Tunnel", on_delete=models.CASCADE, null=True, blank=True, related_name="maintenance_windows"
    )
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(device__isnull=False) | models.Q(tunnel__isnull=False),
                name="window_has_a_target",
            )
        ]

    def __str__(self) -> str:
        return f"silence {self.device or self.tunnel} until {self.ends_at:%Y-%m-%d %H:%M}"


class AuditEntry(models.Model):
    """Who did what to which object, when, with the values before and after (never secrets)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    verb = models.CharField(max_length=64, help_text=_("e.g. enroll, acknowledge, silence, import_inventory"))
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    object_repr = models.CharField(max_length=255, blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    message = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("audit entry")
        ordering = ["-at"]
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.verb} {self.object_repr}"


class Heartbeat(models.Model):
    """Last time a background process (worker, beat) proved it runs; the dashboard shows its age."""

    name = models.CharField(max_length=64, unique=True)
    last_seen = models.DateTimeField()
    detail = models.CharField(max_length=255, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.name} {self.last_seen:%Y-%m-%d %H:%M:%S}"


def language_choices() -> list[tuple[str, str]]:
    """The languages a user may choose: settings.LANGUAGES (a callable, so adding one needs no migration)."""
    return list(settings.LANGUAGES)


class UserPreference(models.Model):
    """What one user chose for themselves, kept with the account: the language of their pages."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    # Empty: none chosen, the browser's Accept-Language decides (vpnportal/language.py).
    language = models.CharField(
        _("language"), max_length=16, choices=language_choices, blank=True, default=""
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user} {self.language or '-'}"
