"""Retention of events and status changes: as long as the raw outputs (HISTORY_RAW_DAYS)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from events.models import SyslogEvent, TunnelStatusChange


def prune_events(now: datetime | None = None) -> dict[str, int]:
    """Delete events and status changes older than HISTORY_RAW_DAYS; each tunnel keeps its latest change
    (its "down since" stays true). Returns how many of each were deleted."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.HISTORY_RAW_DAYS)
    latest = (
        TunnelStatusChange.objects.values("tunnel_id").annotate(last=Max("id")).values_list("last", flat=True)
    )
    changes = TunnelStatusChange.objects.filter(at__lt=before).exclude(pk__in=list(latest)).delete()[0]
    events = SyslogEvent.objects.filter(received_at__lt=before).delete()[0]
    return {"events": events, "status_changes": changes}
