"""Availability of tunnels from their status changes: time up over time known, over 24 h / 7 d / 30 d."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Max

from devices.choices import TunnelStatus
from events.models import TunnelStatusChange

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
KNOWN = frozenset({TunnelStatus.UP, TunnelStatus.DEGRADED, TunnelStatus.DOWN})


def availability(changes: list[tuple[datetime, str]], start: datetime, now: datetime) -> float | None:
    """Fraction of [start, now] the tunnel was up, of the time its status was known (None: never known).

    `changes` are (at, status) in time order; the first may lie before `start` (the status it had then)."""
    up = known = 0.0
    for i, (at, status) in enumerate(changes):
        begin = max(at, start)
        end = min(changes[i + 1][0], now) if i + 1 < len(changes) else now
        if end <= begin:
            continue
        seconds = (end - begin).total_seconds()
        if status in KNOWN:
            known += seconds
            if status == TunnelStatus.UP:
                up += seconds
    return round(up / known, 4) if known > 0 else None


def availability_for(tunnel_ids: Iterable[int], now: datetime) -> dict[int, dict[str, float | None]]:
    """Per tunnel, its availability over each window of WINDOWS (three queries for any number of tunnels)."""
    ids = list(tunnel_ids)
    if not ids:
        return {}
    start = now - max(WINDOWS.values())
    by_tunnel: dict[int, list[tuple[datetime, str]]] = {i: [] for i in ids}
    before = (
        TunnelStatusChange.objects.filter(tunnel_id__in=ids, at__lt=start)
        .values("tunnel_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    rows = TunnelStatusChange.objects.filter(tunnel_id__in=ids, at__lte=now).filter(
        at__gte=start
    ) | TunnelStatusChange.objects.filter(pk__in=list(before))
    for tunnel_id, at, status in rows.order_by("at", "id").values_list("tunnel_id", "at", "status"):
        by_tunnel[tunnel_id].append((at, status))
    return {
        tunnel_id: {name: availability(changes, now - span, now) for name, span in WINDOWS.items()}
        for tunnel_id, changes in by_tunnel.items()
    }
