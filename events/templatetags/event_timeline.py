"""Template tags of the event timeline (templates/includes/event_timeline.html)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from events.availability import availability_for
from events.models import SyslogEvent, TunnelStatusChange

register = template.Library()

TIMELINE_ROWS = 50

# The availability windows as a table cell names them.
WINDOW_LABELS = {
    "24h": pgettext_lazy("availability window", "24h"),
    "7d": pgettext_lazy("availability window", "7d"),
    "30d": pgettext_lazy("availability window", "30d"),
}


@register.simple_tag
def timeline_for(device: Any = None, tunnel: Any = None) -> dict[str, Any]:
    """The latest events of a device or a tunnel, merged with the tunnel's status changes (newest first),
    and the tunnel's availability over 24 h / 7 d / 30 d."""
    if tunnel is not None:
        events = SyslogEvent.objects.filter(
            Q(tunnel=tunnel)
            | Q(tunnel__isnull=True, device_id__in=(tunnel.end_a_id, tunnel.end_b_id), kind="restart")
        )
    elif device is not None:
        events = SyslogEvent.objects.filter(device=device)
    else:
        return {"rows": [], "availability": None}
    rows: list[dict[str, Any]] = [
        {"at": e.received_at, "event": e}
        for e in events.select_related("device").order_by("-received_at", "-id")[:TIMELINE_ROWS]
    ]
    availability = None
    if tunnel is not None:
        changes = TunnelStatusChange.objects.filter(tunnel=tunnel).order_by("-at", "-id")[:TIMELINE_ROWS]
        rows += [{"at": c.at, "change": c} for c in changes]
        shares = availability_for([tunnel.pk], timezone.now()).get(tunnel.pk) or {}
        availability = {"day": shares.get("24h"), "week": shares.get("7d"), "month": shares.get("30d")}
    rows.sort(key=lambda r: r["at"], reverse=True)
    return {"rows": rows[:TIMELINE_ROWS], "availability": availability}


@register.filter
def percent(value: float | None) -> str:
    """0.9975 -> "99.75 %"; None -> "—"."""
    return "—" if value is None else f"{value * 100:.2f} %"


@register.simple_tag
def availability_of(rows: list[dict[str, Any]]) -> dict[int, dict[str, float | None]]:
    """Availability of every tunnel of a tunnel table's rows ([{tunnel, ...}]), in one batch."""
    return availability_for([row["tunnel"].pk for row in rows], timezone.now())


@register.filter
def share_of(shares: dict[int, dict[str, float | None]], tunnel_id: int) -> str:
    """A tunnel's availability over 24 h / 7 d / 30 d, formatted for a table cell."""
    own = shares.get(tunnel_id) or {}
    return " · ".join(f"{WINDOW_LABELS[window]} {percent(own.get(window))}" for window in WINDOW_LABELS)
