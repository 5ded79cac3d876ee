"""Read-side queries of the pages: the overview's sections and the alert lists by category."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from devices.choices import PollStatus
from devices.models import Device, Tunnel
from devices.summary import secret_paths, status_rank, tunnel_ends, tunnel_queryset
from pki.models import Certificate, Crl
from vpnportal import page_cache
from vpnportal.alert_triage import LONG_STANDING, triage
from vpnportal.choices import OPEN_ALERT_STATES, AlertState, severity_rank
from vpnportal.models import Alert, Heartbeat, MaintenanceWindow

ALERT_CATEGORIES = ("open", "acknowledged", "silenced", "resolved")
SOONEST = 10  # certificates and CRLs listed on the overview
OVERVIEW_ALERTS = 50
# Open alerts read to order them (vpnportal/alert_triage.py); more than this are one click away on /alerts/.
TRIAGED_ALERTS = 1000
# The overview stays fast and readable with thousands of devices: worst first, the rest one click away.
OVERVIEW_TUNNELS = 50
OVERVIEW_DEVICES = 30


def silenced_q(now: datetime) -> Q:
    """Alerts silenced now: the alert itself, or its device or tunnel (a silence or a maintenance window)."""
    windows = MaintenanceWindow.objects.filter(starts_at__lte=now, ends_at__gt=now)
    return (
        Q(silenced_until__gt=now)
        | Q(device__silenced_until__gt=now)
        | Q(tunnel__silenced_until__gt=now)
        | Q(Exists(windows.filter(device_id=OuterRef("device_id"))))
        | Q(Exists(windows.filter(tunnel_id=OuterRef("tunnel_id"))))
    )


def alerts_in(category: str, now: datetime | None = None) -> QuerySet[Alert]:
    """Alerts of one page tab: open (needs someone), acknowledged, silenced, or resolved."""
    now = now or timezone.now()
    qs = Alert.objects.select_related("device", "tunnel", "acknowledged_by").defer(*secret_paths("device"))
    if category == "resolved":
        return qs.filter(state=AlertState.RESOLVED).order_by("-resolved_at", "-id")
    qs = qs.filter(state__in=OPEN_ALERT_STATES)
    if category == "silenced":
        return qs.filter(silenced_q(now)).order_by("-opened_at", "-id")
    qs = qs.exclude(silenced_q(now))
    if category == "acknowledged":
        return qs.filter(acknowledged_at__isnull=False).order_by("-opened_at", "-id")
    return qs.filter(acknowledged_at__isnull=True).order_by(severity_rank().desc(), "-opened_at", "-id")


def alert_counts(now: datetime | None = None) -> dict[str, int]:
    """How many alerts each open tab holds, in one query (resolved is not counted: it only grows)."""
    now = now or timezone.now()
    silenced = silenced_q(now)
    return Alert.objects.filter(state__in=OPEN_ALERT_STATES).aggregate(
        open=Count("id", filter=~silenced & Q(acknowledged_at__isnull=True)),
        acknowledged=Count("id", filter=~silenced & Q(acknowledged_at__isnull=False)),
        silenced=Count("id", filter=silenced),
    )


def problem_devices_q(now: datetime) -> Q:
    """Devices worth a look: never polled, last poll not ok, state stale, or clock skew past the threshold."""
    skew = settings.CLOCK_SKEW_WARN_SECONDS
    return (
        Q(state__isnull=True)
        | Q(state__last_poll__isnull=True)
        | ~Q(state__last_poll__status=PollStatus.OK)
        | Q(state__stale=True)
        | Q(state__clock_skew_seconds__gte=skew)
        | Q(state__clock_skew_seconds__lte=-skew)
    )


OVERVIEW_STATE_KEY = "overview:state:{}"
OVERVIEW_TUNNELS_KEY = "overview:tunnels:{}"


def overview_context() -> dict[str, Any]:
    """Everything the overview shows, in a fixed number of queries whatever the inventory's size.

    The page answers "is anything wrong": tunnels worst first (capped, the rest are a click away),
    every device with a problem, and the fleet's poll freshness in one line. What only polls and edits
    change comes from the page cache (vpnportal/page_cache.py): the counts, devices and expiries under
    the generation they were read at, the tunnel table under the versions of the devices it shows;
    alerts and heartbeats are read at every request.
    """
    now = timezone.now()
    generation = page_cache.generation()
    state = (
        overview_state(now)
        if generation is None
        else page_cache.cached(OVERVIEW_STATE_KEY.format(generation), lambda: overview_state(now))
    )
    # Acknowledged and long-standing conditions are grouped apart (vpnportal/alert_triage.py), not mixed in.
    unsilenced = (
        Alert.objects.filter(state__in=OPEN_ALERT_STATES)
        .exclude(silenced_q(now))
        .select_related("device", "tunnel", "acknowledged_by")
        .defer(*secret_paths("device"))
        .order_by(severity_rank().desc(), "-opened_at", "-id")[:TRIAGED_ALERTS]
    )
    triaged = triage(unsilenced, now)
    return {
        **state,
        "tunnel_table": overview_tunnel_table(),
        "now": now,
        "open_alerts": triaged.act[:OVERVIEW_ALERTS],
        "open_alerts_not_shown": max(0, len(triaged.act) - OVERVIEW_ALERTS),
        "long_standing_alerts": triaged.long_standing[:OVERVIEW_ALERTS],
        "long_standing_count": len(triaged.long_standing),
        "acknowledged_alerts": triaged.acknowledged[:OVERVIEW_ALERTS],
        "acknowledged_count": len(triaged.acknowledged),
        "alert_counts": alert_counts(now),
        "heartbeats": list(Heartbeat.objects.order_by("name")),
    }


def overview_tunnel_table() -> str:
    """The overview's table of the worst tunnels, rendered: cached under which tunnels it shows and the
    versions of their ends (vpnportal/page_cache.py), so a poll of a device it does not show keeps it.

    The table is the same for every user of one language (no action, no form in it): the language is part
    of the key. Its availability shares move with the clock and are at most PAGE_CACHE_SECONDS old."""
    shown = list(
        Tunnel.objects.annotate(status_rank=status_rank())
        .order_by("status_rank", "name")
        .values_list("pk", "end_a_id", "end_b_id")[:OVERVIEW_TUNNELS]
    )
    versions = page_cache.device_versions(sorted({end for _, a, b in shown for end in (a, b)}))

    def render() -> str:
        tunnels = list(tunnel_queryset()[:OVERVIEW_TUNNELS])
        rows = [{"tunnel": t, "ends": tunnel_ends(t)} for t in tunnels]
        return render_to_string("includes/tunnel_table.html", {"rows": rows})

    if versions is None:
        return mark_safe(render())  # noqa: S308 - our own template's output
    fingerprint = hashlib.sha256(
        repr([translation.get_language(), *((t, versions[a], versions[b]) for t, a, b in shown)]).encode()
    ).hexdigest()
    return mark_safe(page_cache.cached(OVERVIEW_TUNNELS_KEY.format(fingerprint), render))  # noqa: S308


def overview_state(now: datetime) -> dict[str, Any]:
    """The overview's sections that polls and edits change: tunnel counts, devices needing attention, expiries.

    The same for every user (the page's permission-dependent parts are the alert actions, rendered from
    live rows), so one cached copy serves them all."""
    counts = dict(Tunnel.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    tunnel_count = sum(counts.values())
    problems = problem_devices_q(now)
    devices = list(
        Device.objects.without_secrets()
        .filter(problems)
        .select_related("state__last_poll")
        .order_by("state__last_poll__started_at", "name")[:OVERVIEW_DEVICES]
    )
    fleet = Device.objects.aggregate(
        total=Count("id"),
        failing=Count("id", filter=problems),
        oldest_poll=Min("state__last_poll__started_at"),
        newest_poll=Max("state__last_poll__started_at"),
    )
    # What expired long ago is known (and listed on the certificate and CRL pages): the soonest ahead here.
    long_ago = now - LONG_STANDING
    certificates = list(
        Certificate.objects.filter(present=True, valid_to__isnull=False, valid_to__gte=long_ago)
        .select_related("device", "trustpoint")
        .defer(*secret_paths("device"))
        .order_by("valid_to", "id")[:SOONEST]
    )
    crls = list(
        Crl.objects.filter(present=True, next_update__isnull=False, next_update__gte=long_ago)
        .select_related("device")
        .defer(*secret_paths("device"))
        .order_by("next_update", "id")[:SOONEST]
    )
    return {
        "tunnel_counts": counts,
        "tunnel_count": tunnel_count,
        "tunnels_not_shown": max(0, tunnel_count - min(tunnel_count, OVERVIEW_TUNNELS)),
        "devices": devices,
        "device_count": fleet["total"],
        "failing_devices": fleet["failing"],
        "devices_not_shown": max(0, fleet["failing"] - len(devices)),
        "oldest_poll": fleet["oldest_poll"],
        "newest_poll": fleet["newest_poll"],
        "certificates": certificates,
        "crls": crls,
        "certificates_expired_long_ago": Certificate.objects.filter(
            present=True, valid_to__lt=long_ago
        ).count(),
        "crls_expired_long_ago": Crl.objects.filter(present=True, next_update__lt=long_ago).count(),
    }
