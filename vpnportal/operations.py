"""The operator actions the pages and the API call: `vpnportal.actions` once it lands, else a stand-in.

The stand-in does the same audited writes so the pages work meanwhile; delete it when actions.py is in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from devices.models import Device, Tunnel
from vpnportal.audit import audit
from vpnportal.models import Alert, MaintenanceWindow

try:  # pragma: no cover - which branch runs depends on what has landed
    from vpnportal.actions import acknowledge_alert, silence  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover

    @transaction.atomic
    def acknowledge_alert(alert: Alert, user: Any) -> Alert:  # type: ignore[misc,unused-ignore]
        """Mark an open alert as seen by `user` (audited); it stays open until its condition clears."""
        if alert.acknowledged_at is None:
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by = user
            alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
            audit(
                "acknowledge",
                user=user,
                obj=alert,
                after={"acknowledged_at": alert.acknowledged_at.isoformat()},
            )
        return alert

    @transaction.atomic
    def silence(  # type: ignore[misc,unused-ignore]
        target: Device | Tunnel, until: datetime, user: Any, reason: str = ""
    ) -> MaintenanceWindow:
        """Keep the alerts of a device or tunnel quiet until `until` (audited maintenance window)."""
        window = MaintenanceWindow.objects.create(
            device=target if isinstance(target, Device) else None,
            tunnel=target if isinstance(target, Tunnel) else None,
            ends_at=until,
            reason=reason[:255],
            created_by=user,
        )
        before = target.silenced_until.isoformat() if target.silenced_until else None
        target.silenced_until = until
        target.save(update_fields=["silenced_until"])
        audit(
            "silence",
            user=user,
            obj=target,
            before={"silenced_until": before},
            after={"silenced_until": until.isoformat()},
            message=reason,
        )
        return window


__all__ = ["acknowledge_alert", "silence"]
