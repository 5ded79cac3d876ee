"""Rows of the events app: device syslog events, the debounce of the polls they trigger, tunnel status changes."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from devices.choices import TunnelStatus
from devices.models import Device, Tunnel
from events.choices import EventKind, StatusSource


class SyslogEvent(models.Model):
    """One syslog message of a known device, classified (docs/syslog.md)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    tunnel = models.ForeignKey(
        Tunnel, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    device_time = models.DateTimeField(null=True, blank=True, help_text=_("The device's own timestamp."))
    source = models.GenericIPAddressField(help_text=_("The address the message came from."))
    hostname = models.CharField(
        max_length=128, blank=True, default="", help_text=_("As the message carries it.")
    )
    facility = models.CharField(max_length=32, blank=True, default="")
    severity = models.PositiveSmallIntegerField(null=True, blank=True)
    mnemonic = models.CharField(max_length=96, blank=True, default="", help_text=_("As the device wrote it."))
    message = models.TextField(blank=True, default="")
    kind = models.CharField(max_length=32, choices=EventKind.choices, default=EventKind.UNCLASSIFIED)
    peer = models.GenericIPAddressField(null=True, blank=True, help_text=_("The peer address it names."))

    class Meta:
        indexes = [
            models.Index(fields=["device", "-received_at"]),
            models.Index(fields=["tunnel", "-received_at"]),
            models.Index(fields=["kind", "-received_at"]),
        ]
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.device_id} {self.mnemonic or self.kind} at {self.received_at:%Y-%m-%d %H:%M:%S}"


class EventPoll(models.Model):
    """When an event last triggered a poll of a device (the debounce, claimed by a conditional UPDATE)."""

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="+")
    triggered_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.device_id} at {self.triggered_at:%H:%M:%S}"


class TunnelStatusChange(models.Model):
    """A change of a tunnel's status, when, why, and whether an event led to the poll that saw it."""

    tunnel = models.ForeignKey(Tunnel, on_delete=models.CASCADE, related_name="status_changes")
    at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=TunnelStatus.choices)
    previous = models.CharField(max_length=16, choices=TunnelStatus.choices, blank=True, default="")
    reason = models.CharField(max_length=500, blank=True, default="")
    source = models.CharField(max_length=8, choices=StatusSource.choices, default=StatusSource.POLL)
    event = models.ForeignKey(SyslogEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["tunnel", "at"])]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.tunnel_id} {self.previous or '-'} -> {self.status} at {self.at:%Y-%m-%d %H:%M:%S}"
