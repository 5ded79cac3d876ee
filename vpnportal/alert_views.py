"""The alert page: one alert, its events, and the delivery state of each channel that carried it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from vpnportal.alerting.event_notes import note_text
from vpnportal.models import Alert, AlertEvent, Notification


def deliveries_of(alert: Alert) -> list[dict[str, Any]]:
    """Per channel (or email recipient) its latest notification about this alert and how many there were."""
    rows = (
        Notification.objects.filter(events__alert=alert)
        .distinct()
        .select_related("channel")
        .order_by("-created_at", "-pk")
    )
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row.channel_kind, row.channel_name, row.recipient)
        if key in latest:
            latest[key]["count"] += 1
            continue
        news = sorted({event.kind for event in row.events.all() if event.alert_id == alert.pk})
        latest[key] = {"notification": row, "news": news, "count": 1}
    return sorted(
        latest.values(), key=lambda d: (d["notification"].channel_name, d["notification"].recipient)
    )


@require_GET
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An alert with its events and, per channel, whether its news went out (sent, queued, failed)."""
    if not request.user.has_perm("vpnportal.view_alert"):
        raise PermissionDenied
    alert = get_object_or_404(Alert.objects.select_related("device", "tunnel", "acknowledged_by"), pk=pk)
    return render(
        request,
        "vpnportal/alert_detail.html",
        {"alert": alert, "events": events_of(alert), "deliveries": deliveries_of(alert)},
    )


def events_of(alert: Alert) -> list[AlertEvent]:
    """The alert's events in order, each with `note_shown`: its note in the reader's language."""
    events = list(alert.events.order_by("at", "pk"))
    for event in events:
        event.note_shown = note_text(event.note)  # type: ignore[attr-defined]
    return events
