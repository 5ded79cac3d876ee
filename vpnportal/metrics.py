"""`/metrics` in Prometheus text format for those who graph in Grafana, behind a bearer token."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from devices.choices import PollStatus, TunnelStatus
from devices.models import Device, IpsecSa, Tunnel
from devices.summary import device_state
from pki.models import Certificate, Crl
from vpnportal.choices import OPEN_ALERT_STATES
from vpnportal.models import Alert, Heartbeat
from vpnportal.readiness import FIGURES, PARTS, run_checks

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: object) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


class Exposition:
    """Lines of the text format, each metric family announced once with HELP and TYPE."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str, samples: Iterable[tuple[str, Any]]) -> None:
        """One metric family: its header, then `name{labels} value` lines."""
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            self.lines.append(f"{name}{labels} {_number(value)}")

    def text(self) -> str:
        """The whole exposition."""
        return "\n".join(self.lines) + "\n"


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _seconds_left(when: datetime | None, now: datetime) -> float | None:
    return None if when is None else (when - now).total_seconds()


def render_metrics() -> str:
    """Every metric, from the state tables (a handful of queries, whatever the inventory's size)."""
    now = timezone.now()
    out = Exposition()
    tunnels = list(Tunnel.objects.order_by("name"))
    out.family(
        "vpnportal_tunnel_status",
        "gauge",
        "1 for the tunnel's current status (up, down, degraded, unknown), 0 for the others.",
        (
            (_labels(tunnel=t.name, status=s), 1 if t.status == s else 0)
            for t in tunnels
            for s in TunnelStatus.values
        ),
    )
    out.family(
        "vpnportal_tunnel_up",
        "gauge",
        "1 when both ends report the tunnel's SAs.",
        ((_labels(tunnel=t.name), t.status == TunnelStatus.UP) for t in tunnels),
    )
    out.family(
        "vpnportal_tunnel_spi_mirror_ok",
        "gauge",
        "1 when each end's inbound SPI is the other end's outbound SPI.",
        ((_labels(tunnel=t.name), t.spi_mirror_ok) for t in tunnels if t.spi_mirror_ok is not None),
    )
    # Plain rows, not model instances: the scrape reads every SA and certificate of the fleet.
    # An SA is one per device, interface, proxy pair and peer (the row's unique key): one crypto ACL
    # entry can reach two peers, or leave by a backup interface, so all four are labels.
    sas: list[dict[str, Any]] = [
        {
            **row,
            "labels": _labels(
                device=row["device__name"],
                tunnel=row["tunnel__name"] or "",
                interface=row["interface"],
                peer=row["current_peer"] or "",
                local_ident=row["local_ident"],
                remote_ident=row["remote_ident"],
            ),
        }
        for row in IpsecSa.objects.filter(active=True)
        .order_by("device__name", "local_ident", "remote_ident", "interface", "current_peer", "id")
        .values(
            "device__name",
            "tunnel__name",
            "interface",
            "current_peer",
            "local_ident",
            "remote_ident",
            "pkts_encaps",
            "pkts_decaps",
            "send_errors",
            "recv_errors",
        )
    ]
    sa_counters = (
        ("vpnportal_ipsec_sa_packets_encaps_total", "pkts_encaps", "Packets encapsulated (sent) by the SA."),
        ("vpnportal_ipsec_sa_packets_decaps_total", "pkts_decaps", "Packets decapsulated (received)."),
        ("vpnportal_ipsec_sa_send_errors_total", "send_errors", "Send errors the device counts."),
        ("vpnportal_ipsec_sa_recv_errors_total", "recv_errors", "Receive errors the device counts."),
    )
    for name, column, help_text in sa_counters:
        out.family(
            name,
            "counter",
            help_text,
            ((sa["labels"], sa[column]) for sa in sas),
        )
    # A certificate is one per device, role and key (its serial, or `pending:<fingerprint>` while the
    # CA has not granted it): a request waiting next to the certificate it renews shares its serial.
    certs = (
        Certificate.objects.filter(present=True, valid_to__isnull=False)
        .order_by("device__name", "role", "key", "id")
        .values_list("device__name", "trustpoint__name", "role", "serial", "key", "valid_to")
    )
    out.family(
        "vpnportal_certificate_seconds_left",
        "gauge",
        "Seconds until the certificate's notAfter (negative once expired).",
        (
            (
                _labels(device=device, trustpoint=trustpoint or "", role=role, key=key, serial=serial),
                round(_seconds_left(valid_to, now) or 0.0),
            )
            for device, trustpoint, role, serial, key, valid_to in certs
        ),
    )
    crls = (
        Crl.objects.filter(present=True, next_update__isnull=False)
        .order_by("device__name", "id")
        .values_list("device__name", "issuer", "next_update")
    )
    out.family(
        "vpnportal_crl_seconds_left",
        "gauge",
        "Seconds until the CRL's NextUpdate (negative once past).",
        (
            (_labels(device=device, issuer=issuer), round(_seconds_left(next_update, now) or 0.0))
            for device, issuer, next_update in crls
        ),
    )
    devices = list(Device.objects.without_secrets().select_related("state__last_poll").order_by("name"))
    states = [(d, device_state(d)) for d in devices]
    last_polls = [(d, state.last_poll) for d, state in states if state is not None]
    out.family(
        "vpnportal_poll_duration_seconds",
        "gauge",
        "How long the device's last poll took.",
        (
            (_labels(device=d.name), p.duration_ms / 1000)
            for d, p in last_polls
            if p and p.duration_ms is not None
        ),
    )
    out.family(
        "vpnportal_poll_last_success",
        "gauge",
        "1 when the device's last poll ended ok.",
        ((_labels(device=d.name), p.status == PollStatus.OK) for d, p in last_polls if p),
    )
    out.family(
        "vpnportal_polls_total",
        "counter",
        "Polls of the device finished since it was added (pruning history does not lower it).",
        ((_labels(device=d.name), state.polls_total if state else 0) for d, state in states),
    )
    out.family(
        "vpnportal_poll_failures_total",
        "counter",
        "Failed polls of the device since it was added.",
        ((_labels(device=d.name), state.poll_failures_total if state else 0) for d, state in states),
    )
    out.family(
        "vpnportal_device_clock_skew_seconds",
        "gauge",
        "Device clock minus the portal's clock at the last poll.",
        (
            (_labels(device=d.name), state.clock_skew_seconds)
            for d, state in states
            if state is not None and state.clock_skew_seconds is not None
        ),
    )
    open_alerts = (
        Alert.objects.filter(state__in=OPEN_ALERT_STATES)
        .values("kind", "severity")
        .annotate(n=Count("id"))
        .order_by("kind", "severity")
    )
    out.family(
        "vpnportal_alerts_open",
        "gauge",
        "Open alerts by kind and severity.",
        ((_labels(kind=row["kind"], severity=row["severity"]), row["n"]) for row in open_alerts),
    )
    out.family(
        "vpnportal_heartbeat_age_seconds",
        "gauge",
        "Seconds since the background process last proved it runs.",
        (
            (_labels(name=h.name), round((now - h.last_seen).total_seconds(), 1))
            for h in Heartbeat.objects.order_by("name")
        ),
    )
    _readiness(out)
    return out.text()


def _readiness(out: Exposition) -> None:
    """The figures of /readyz (vpnportal/readiness.py): one `up` per part, then each part's numbers."""
    checks = run_checks()["checks"]
    out.family(
        "vpnportal_part_up",
        "gauge",
        "1 when the part's readiness check passes (database, redis, beat, workers, notifications, polls).",
        (
            (_labels(part=part, required=str(checks[part]["required"]).lower()), checks[part]["ok"] is True)
            for part in PARTS
        ),
    )
    for part, figure, help_text in FIGURES:
        value = checks[part].get(figure)
        samples = [("", value)] if isinstance(value, int | float) and not isinstance(value, bool) else []
        out.family(f"vpnportal_{part}_{figure}", "gauge", help_text, samples)


def _authorised(request: HttpRequest) -> bool:
    """A valid bearer token, or (without METRICS_TOKEN set) a logged-in user who may view tunnels."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token:
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    user = request.user
    return bool(user.is_authenticated and user.has_perm("devices.view_tunnel"))


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus scrape endpoint: 401 without a valid bearer token (or a permitted session)."""
    if not _authorised(request):
        response = HttpResponse("authentication required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="vpnportal metrics"'
        return response
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE)
