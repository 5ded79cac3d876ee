"""Operator actions on alerts: acknowledge, silence for maintenance; each one audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from devices.models import Device, Tunnel
from vpnportal.audit import audit
from vpnportal.choices import OPEN_ALERT_STATES, AlertEventKind, AuditAction
from vpnportal.models import Alert, AlertEvent, MaintenanceWindow


class ActionError(ValueError):
    """The action does not apply (alert already resolved, silence in the past...)."""


def acknowledge_alert(alert: Alert, user: Any, note: str = "", request_id: str = "") -> Alert:
    """Acknowledge an open alert: no more mail about it until it clears or gets worse. Audited."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.state not in OPEN_ALERT_STATES:
            raise ActionError("only an open alert can be acknowledged")
        if alert.acknowledged_at is not None:
            return alert
        now = timezone.now()
        alert.acknowledged_at = now
        alert.acknowledged_by = user if getattr(user, "is_authenticated", False) else None
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        who = user.get_username() if getattr(user, "is_authenticated", False) else "system"
        AlertEvent.objects.create(
            alert=alert,
            kind=AlertEventKind.ACKNOWLEDGED,
            at=now,
            old_state=alert.state,
            new_state=alert.state,
            note=f"acknowledged by {who}" + (f": {note}" if note else ""),
            notify=False,
            processed=True,
        )
        audit(
            "acknowledge",
            user=user,
            obj=alert,
            action=AuditAction.ACTION,
            before={"acknowledged_at": None},
            after={"acknowledged_at": now.isoformat(), "state": alert.state},
            message=note,
            request_id=request_id,
        )
    return alert


def silence(
    target: Device | Tunnel,
    until: datetime,
    user: Any,
    reason: str = "",
    starts_at: datetime | None = None,
    request_id: str = "",
) -> MaintenanceWindow:
    """Silence a device or tunnel until `until` (a maintenance window): alerts keep their state, mail waits. Audited."""
    starts_at = starts_at or timezone.now()
    if until <= starts_at:
        raise ActionError("a silence must end after it starts")
    with transaction.atomic():
        window = MaintenanceWindow.objects.create(
            device=target if isinstance(target, Device) else None,
            tunnel=target if isinstance(target, Tunnel) else None,
            starts_at=starts_at,
            ends_at=until,
            reason=reason[:255],
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        before = target.silenced_until
        if starts_at <= timezone.now() and (before is None or before < until):
            target.silenced_until = until
            target.save(update_fields=["silenced_until"])
        audit(
            "silence",
            user=user,
            obj=target,
            action=AuditAction.ACTION,
            before={"silenced_until": before.isoformat() if before else None},
            after={
                "silenced_until": until.isoformat(),
                "starts_at": starts_at.isoformat(),
                "maintenance_window": window.pk,
            },
            message=reason,
            request_id=request_id,
        )
    return window


def end_silence(target: Device | Tunnel, user: Any, request_id: str = "") -> int:
    """End the target's running silences now; returns how many windows were cut short. Audited."""
    now = timezone.now()
    with transaction.atomic():
        field = "device" if isinstance(target, Device) else "tunnel"
        cut = MaintenanceWindow.objects.filter(**{field: target}, starts_at__lte=now, ends_at__gt=now).update(
            ends_at=now
        )
        before = target.silenced_until
        target.silenced_until = None
        target.save(update_fields=["silenced_until"])
        audit(
            "end_silence",
            user=user,
            obj=target,
            action=AuditAction.ACTION,
            before={"silenced_until": before.isoformat() if before else None},
            after={"silenced_until": None, "windows_ended": cut},
            request_id=request_id,
        )
    return cut


def silence_alert(alert: Alert, until: datetime, user: Any, reason: str = "", request_id: str = "") -> Alert:
    """Silence one open alert until `until`: it keeps its state, mail about it waits; its device's other alerts do not. Audited."""
    now = timezone.now()
    if until <= now:
        raise ActionError("a silence must end after it starts")
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.state not in OPEN_ALERT_STATES:
            raise ActionError("only an open alert can be silenced")
        before = alert.silenced_until
        alert.silenced_until = until
        alert.save(update_fields=["silenced_until"])
        audit(
            "silence",
            user=user,
            obj=alert,
            action=AuditAction.ACTION,
            before={"silenced_until": before.isoformat() if before else None},
            after={"silenced_until": until.isoformat(), "scope": "alert"},
            message=reason,
            request_id=request_id,
        )
    return alert
