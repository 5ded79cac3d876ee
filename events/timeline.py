"""Tunnel status changes as rows: written by correlation whenever a tunnel's status changes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from devices.models import Tunnel
from events.choices import TUNNEL_KINDS, EventKind, StatusSource
from events.models import SyslogEvent, TunnelStatusChange

# An event older than this did not lead to the poll that saw the change (the debounced poll follows it
# within seconds; a scheduled poll within POLL_INTERVAL_SECONDS).
EVENT_LEADS_WITHIN = timedelta(minutes=15)


def leading_event(tunnel: Tunnel, since: datetime | None, now: datetime) -> SyslogEvent | None:
    """The latest event about the tunnel (or a restart of one of its ends) since its previous change."""
    start = max(since, now - EVENT_LEADS_WITHIN) if since else now - EVENT_LEADS_WITHIN
    about = Q(tunnel=tunnel, kind__in=sorted(TUNNEL_KINDS)) | Q(
        device_id__in=(tunnel.end_a_id, tunnel.end_b_id), kind=EventKind.RESTART
    )
    return (
        SyslogEvent.objects.filter(about, received_at__gte=start, received_at__lte=now)
        .order_by("-received_at")
        .first()
    )


def record_status_change(
    tunnel: Tunnel, previous: str, since: datetime | None, now: datetime
) -> TunnelStatusChange:
    """Store the tunnel's new status (already set on `tunnel`) with its reason and what led to it."""
    event = leading_event(tunnel, since, now)
    reason = tunnel.status_reason
    if event is not None:
        reason = f"after {event.mnemonic or event.kind} from {event.device.name}" + (
            f": {reason}" if reason else ""
        )
    return TunnelStatusChange.objects.create(
        tunnel=tunnel,
        at=now,
        status=tunnel.status,
        previous=previous,
        reason=reason[:500],
        source=StatusSource.EVENT if event is not None else StatusSource.POLL,
        event=event,
    )
