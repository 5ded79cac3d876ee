"""Read-side queries of the pages: the overview's sections and the alert lists by category."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from devices.choices import PollStatus
from devices.models import Device, Tunnel
from devices.summary import secret_paths, status_rank, tunnel_ends, tunnel_queryset
from events.availability import availability_for
from pki.models import Certificate, Crl
from vpnportal import page_cache
from vpnportal.alert_triage import LONG_STANDING, triage
from vpnportal.choices import OPEN_ALERT_STATES, AlertState, severity_rank
from vpnportal.models import Alert, Heartbeat, MaintenanceWindow
from vpnportal.templatetags.page_fragments import cached_each

T = TypeVar("T")
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


OVERVIEW_SHOWN_KEY = "overview:shown-tunnels:{}"


def _once(compute: Callable[[], T]) -> Callable[[], T]:
    """`compute`, run at most once however many fragments ask for its data."""
    return functools.cache(compute)


def overview_context(request: HttpRequest) -> dict[str, Any]:
    """Everything the overview shows, in a fixed number of queries whatever the inventory's size.

    The page answers "is anything wrong": tunnels worst first (capped, the rest are a click away),
    every device with a problem, and the fleet's poll freshness in one line. Each section is a page
    fragment (vpnportal/templatetags/page_fragments.py) cached under what it shows: the alerts under the
    `alerts` scope, the tunnel counts under the `tunnels` scope and the versions of the shown tunnels'
    ends, each row of the tunnel table under its tunnel's ends' versions (a poll re-renders the rows of
    its device's tunnels only, the others are read in one round trip), the expiries under the `pki`
    scope and the count of present rows, the devices under a fingerprint read at each request (one
    small query). The data behind a fragment is a callable, run only when the fragment is not in the
    cache; heartbeats and the time stamp are read every time.
    """
    now = timezone.now()
    scopes = page_cache.versions(("alerts", "tunnels", "pki"))
    shown = (
        _shown_tunnels()
        if scopes is None
        else page_cache.cached(OVERVIEW_SHOWN_KEY.format(scopes["tunnels"]), _shown_tunnels)
    )
    ends = sorted({end for _, a, b in shown for end in (a, b)})
    end_versions = page_cache.device_versions(ends) if scopes is not None else None
    versions: dict[str, Any] = {"alerts": None, "tunnels": None, "pki": None, "fleet": None}
    rows: dict[Any, Any] = {t: None for t, _, _ in shown}
    if scopes is not None and end_versions is not None:
        versions = {
            "alerts": scopes["alerts"],
            "tunnels": (scopes["tunnels"], [(t, end_versions[a], end_versions[b]) for t, a, b in shown]),
            "pki": (scopes["pki"], present_pki_counts()),
            "fleet": fleet_fingerprint(now),
        }
        rows = {t: (a, end_versions[a], b, end_versions[b]) for t, a, b in shown}
    return {
        "now": now,
        "page_versions": versions,
        "alerts_data": _once(lambda: _overview_alerts(scopes, now)),
        "tunnels_data": _once(overview_tunnel_counts),
        # A row has no button: viewers and operators read one copy, so a poll costs one render per language.
        "tunnel_rows_html": cached_each("overview-tunnel-row", rows, tunnel_rows_html, request, shared=True),
        "expiries_data": _once(lambda: overview_expiries(now)),
        "devices_data": _once(lambda: overview_devices(now)),
        "heartbeats": list(Heartbeat.objects.order_by("name")),
    }


def tunnel_rows_html(tunnel_ids: list[Any]) -> dict[Any, str]:
    """The tunnel table's rows of these tunnels (includes/tunnel_row.html), by tunnel id, in a fixed
    number of queries (a tunnel deleted since it was listed is left out)."""
    tunnels = {t.pk: t for t in tunnel_queryset().filter(pk__in=tunnel_ids)}
    availability = availability_for(list(tunnels), timezone.now())
    return {
        pk: render_to_string(
            "includes/tunnel_row.html",
            {"row": {"tunnel": t, "ends": tunnel_ends(t)}, "availability": availability},
        )
        for pk, t in tunnels.items()
    }


OVERVIEW_ALERTS_KEY = "overview:alerts:{}"


def _overview_alerts(scopes: dict[str, int] | None, now: datetime) -> dict[str, Any]:
    """overview_alerts, triaged once per `alerts` version for every reader (the fragments are per
    language and permission set, the rows they show are the same)."""
    if scopes is None:
        return overview_alerts(now)
    return page_cache.cached(OVERVIEW_ALERTS_KEY.format(scopes["alerts"]), lambda: overview_alerts(now))


def prepare_overview_alerts(now: datetime | None = None) -> bool:
    """Triage the overview's alerts for the current `alerts` version unless a reader already did (True
    when this call did it): the alert cycle calls it once it has saved its changes, so the first overview
    after an alert change reads the triage instead of paying for it (the triage of up to TRIAGED_ALERTS
    alerts is most of a cold overview's CPU)."""
    scopes = page_cache.versions(("alerts",))
    if scopes is None:
        return False
    key = OVERVIEW_ALERTS_KEY.format(scopes["alerts"])
    if page_cache.fetch([key]):
        return False
    page_cache.store({key: overview_alerts(now or timezone.now())})
    return True


def _shown_tunnels() -> list[tuple[int, int, int]]:
    """The overview's tunnels (worst first) and their ends: what its table's key is made of."""
    return list(
        Tunnel.objects.annotate(status_rank=status_rank())
        .order_by("status_rank", "name")
        .values_list("pk", "end_a_id", "end_b_id")[:OVERVIEW_TUNNELS]
    )


def present_pki_counts() -> tuple[int, int]:
    """Certificates and CRLs present: a poll marks the ones gone by UPDATE, which sends no signal."""
    return (
        Certificate.objects.filter(present=True).count(),
        Crl.objects.filter(present=True).count(),
    )


def fleet_fingerprint(now: datetime) -> tuple[Any, ...]:
    """What the overview's devices section shows, in two small queries: which devices have a problem with
    their last poll and state, how many, and the poll freshness to the minute (its ages are minutes)."""
    problems = problem_devices_q(now)
    listed = list(
        Device.objects.filter(problems)
        .order_by("state__last_poll__started_at", "name")
        .values_list("pk", "state__last_poll_id", "state__stale", "state__clock_skew_seconds")[
            :OVERVIEW_DEVICES
        ]
    )
    fleet = _fleet(problems)
    minute = [int(t.timestamp() // 60) if t else None for t in (fleet["oldest_poll"], fleet["newest_poll"])]
    return (listed, fleet["total"], fleet["failing"], minute)


def _fleet(problems: Q) -> dict[str, Any]:
    return Device.objects.aggregate(
        total=Count("id"),
        failing=Count("id", filter=problems),
        oldest_poll=Min("state__last_poll__started_at"),
        newest_poll=Max("state__last_poll__started_at"),
    )


def overview_alerts(now: datetime) -> dict[str, Any]:
    """The overview's alert tile and tables: acknowledged and long-standing conditions apart
    (vpnportal/alert_triage.py), not mixed in."""
    unsilenced = (
        Alert.objects.filter(state__in=OPEN_ALERT_STATES)
        .exclude(silenced_q(now))
        .select_related("device", "tunnel", "acknowledged_by")
        .defer(*secret_paths("device"))
        .order_by(severity_rank().desc(), "-opened_at", "-id")[:TRIAGED_ALERTS]
    )
    triaged = triage(unsilenced, now)
    return {
        "open_alerts": triaged.act[:OVERVIEW_ALERTS],
        "open_alerts_not_shown": max(0, len(triaged.act) - OVERVIEW_ALERTS),
        "long_standing_alerts": triaged.long_standing[:OVERVIEW_ALERTS],
        "long_standing_count": len(triaged.long_standing),
        "acknowledged_alerts": triaged.acknowledged[:OVERVIEW_ALERTS],
        "acknowledged_count": len(triaged.acknowledged),
        "alert_counts": alert_counts(now),
    }


def overview_tunnel_counts() -> dict[str, Any]:
    """The tunnel counts by status (the tile, the table's heading and what it leaves out)."""
    counts = dict(Tunnel.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    tunnel_count = sum(counts.values())
    return {
        "tunnel_counts": counts,
        "tunnel_count": tunnel_count,
        "tunnels_not_shown": max(0, tunnel_count - min(tunnel_count, OVERVIEW_TUNNELS)),
    }


def overview_devices(now: datetime) -> dict[str, Any]:
    """Devices needing attention (the oldest polls first) and the fleet's poll freshness."""
    problems = problem_devices_q(now)
    devices = list(
        Device.objects.without_secrets()
        .filter(problems)
        .select_related("state__last_poll")
        .order_by("state__last_poll__started_at", "name")[:OVERVIEW_DEVICES]
    )
    fleet = _fleet(problems)
    return {
        "devices": devices,
        "device_count": fleet["total"],
        "failing_devices": fleet["failing"],
        "devices_not_shown": max(0, fleet["failing"] - len(devices)),
        "oldest_poll": fleet["oldest_poll"],
        "newest_poll": fleet["newest_poll"],
    }


def overview_expiries(now: datetime) -> dict[str, Any]:
    """The certificates and CRLs that run out soonest, and how many expired long ago."""
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
        "certificates": certificates,
        "crls": crls,
        "certificates_expired_long_ago": Certificate.objects.filter(
            present=True, valid_to__lt=long_ago
        ).count(),
        "crls_expired_long_ago": Crl.objects.filter(present=True, next_update__lt=long_ago).count(),
    }
