"""`/metrics` in Prometheus text format for those who graph in Grafana, behind a bearer token."""

from __future__ import annotations

import hmac
import struct
import zlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from devices.choices import PollStatus, TunnelStatus
from devices.models import Device, IpsecSa, Tunnel
from pki.models import Certificate, Crl
from vpnportal import page_cache
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

    def rendered(self, name: str, kind: str, help_text: str, lines: Iterable[str]) -> None:
        """One metric family whose sample lines are already rendered (cached per device)."""
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        self.lines.extend(lines)

    def text(self) -> str:
        """The whole exposition."""
        return "\n".join(self.lines) + "\n"

    def part(self) -> Part:
        """These lines as one part of the body (each part ends with its newline, so parts concatenate)."""
        return Part(self.text().encode())


# gzip (Accept-Encoding: gzip, which Prometheus sends) of a body made of parts: each part is deflated on
# its own and ended by a sync flush (byte-aligned, not final), so parts deflated at different scrapes
# concatenate into one valid deflate stream (a part's back-references stay within its own bytes). Level 1:
# the changing parts are deflated at each scrape, and 1 gives 104 KB for the 1.4 MB of 1,000 devices.
GZIP_LEVEL = 1
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no mtime, OS unknown
_DEFLATE_END = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # an empty final block


class Part:
    """Bytes of the exposition, with their deflated piece computed once (on the first gzip scrape)."""

    __slots__ = ("_deflated", "data")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._deflated: bytes | None = None

    def deflated(self) -> bytes:
        if self._deflated is None:
            compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
            self._deflated = compressor.compress(self.data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        return self._deflated


class Body:
    """The exposition as parts, served whole (identity) or as one gzip member built from the parts."""

    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts

    def identity(self) -> bytes:
        return b"".join(p.data for p in self.parts)

    def gzip(self) -> bytes:
        crc, size = 0, 0
        for p in self.parts:
            # crc32_combine is not in Python's zlib: the CRC of the whole runs over the bytes (~1 ms/MB).
            crc = zlib.crc32(p.data, crc)
            size += len(p.data)
        trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
        return b"".join([_GZIP_HEADER, *(p.deflated() for p in self.parts), _DEFLATE_END, trailer])


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


SA_COUNTERS = (
    ("vpnportal_ipsec_sa_packets_encaps_total", "pkts_encaps", "Packets encapsulated (sent) by the SA."),
    ("vpnportal_ipsec_sa_packets_decaps_total", "pkts_decaps", "Packets decapsulated (received)."),
    ("vpnportal_ipsec_sa_send_errors_total", "send_errors", "Send errors the device counts."),
    ("vpnportal_ipsec_sa_recv_errors_total", "recv_errors", "Receive errors the device counts."),
)
DEVICE_FAMILIES = (
    ("vpnportal_poll_duration_seconds", "gauge", "How long the device's last poll took."),
    ("vpnportal_poll_last_success", "gauge", "1 when the device's last poll ended ok."),
    (
        "vpnportal_polls_total",
        "counter",
        "Polls of the device finished since it was added (pruning history does not lower it).",
    ),
    ("vpnportal_poll_failures_total", "counter", "Failed polls of the device since it was added."),
    (
        "vpnportal_device_clock_skew_seconds",
        "gauge",
        "Device clock minus the portal's clock at the last poll.",
    ),
)
# A device's lines are cached under its version (vpnportal/page_cache.py) and what its state row says
# (polls counted, last poll, stale): a sweep that fails an abandoned poll by UPDATE changes the key too.
FRAGMENT_KEY = "metrics:device:{}:{}:{}"
# The fragments of this process's last scrape, by key. A key names one content for good (a device's
# version and state, bumped again at the commit that changed them), so a copy here is as fresh as the
# shared cache's: a scrape reads from Redis only the devices polled since this process's previous one.
_LAST_SCRAPE: dict[str, dict[str, Any]] = {}


def _keep_last_scrape(found: dict[str, dict[str, Any]]) -> None:
    """This scrape's fragments become the process's copy, swapped whole (never emptied while read)."""
    global _LAST_SCRAPE
    _LAST_SCRAPE = found


# The device families of this process's last scrape as parts, under the fragment keys they were built
# from (the same keys name the same lines): a scrape after no poll serves them, and their gzip, as built.
_LAST_BLOCKS: tuple[tuple[str, ...], Part, Part] | None = None


def render_metrics(now: datetime | None = None) -> str:
    """Every metric as text (the body a scrape without gzip gets)."""
    return render_body(now).identity().decode()


def render_body(now: datetime | None = None) -> Body:
    """Every metric, from the state tables (a handful of queries, whatever the inventory's size).

    Each device's lines (its SAs, certificates, CRLs and poll figures) are reused from the page cache
    until a poll or an edit of that device changes them, and the families made of them are kept as bytes
    until one of their devices' keys changes; tunnels, alerts, heartbeats and readiness are read at every
    scrape, and the seconds left of certificates and CRLs are counted from now.
    """
    global _LAST_BLOCKS
    now = now or timezone.now()
    head = Exposition()
    _tunnel_families(head)
    keys, fragments = keyed_device_fragments()
    blocks = _LAST_BLOCKS  # read once: another thread's scrape (gthread workers) may replace it
    if keys is None or blocks is None or blocks[0] != keys:
        counters, devices = Exposition(), Exposition()
        for name, _column, help_text in SA_COUNTERS:
            counters.rendered(name, "counter", help_text, (f[name] for f in fragments if f[name]))
        for name, kind, help_text in DEVICE_FAMILIES:
            devices.rendered(name, kind, help_text, (f[name] for f in fragments if f[name]))
        blocks = (keys or (), counters.part(), devices.part())
        if keys is not None:
            _LAST_BLOCKS = blocks
    pki = Exposition()
    now_ts = now.timestamp()
    pki.rendered(
        "vpnportal_certificate_seconds_left",
        "gauge",
        "Seconds until the certificate's notAfter (negative once expired).",
        (
            f"vpnportal_certificate_seconds_left{labels} {round(ends - now_ts)}"
            for f in fragments
            for labels, ends in f["certificates"]
        ),
    )
    pki.rendered(
        "vpnportal_crl_seconds_left",
        "gauge",
        "Seconds until the CRL's NextUpdate (negative once past).",
        (
            f"vpnportal_crl_seconds_left{labels} {round(ends - now_ts)}"
            for f in fragments
            for labels, ends in f["crls"]
        ),
    )
    tail = Exposition()
    open_alerts = (
        Alert.objects.filter(state__in=OPEN_ALERT_STATES)
        .values("kind", "severity")
        .annotate(n=Count("id"))
        .order_by("kind", "severity")
    )
    tail.family(
        "vpnportal_alerts_open",
        "gauge",
        "Open alerts by kind and severity.",
        ((_labels(kind=row["kind"], severity=row["severity"]), row["n"]) for row in open_alerts),
    )
    tail.family(
        "vpnportal_heartbeat_age_seconds",
        "gauge",
        "Seconds since the background process last proved it runs.",
        (
            (_labels(name=h.name), round((now - h.last_seen).total_seconds(), 1))
            for h in Heartbeat.objects.order_by("name")
        ),
    )
    _readiness(tail)
    return Body([head.part(), blocks[1], pki.part(), blocks[2], tail.part()])


def _tunnel_families(out: Exposition) -> None:
    """The tunnels' lines, read at every scrape: one small query (a poll of either end re-judges a tunnel)."""
    tunnels = [
        (_escape(name), status, ok)
        for name, status, ok in Tunnel.objects.order_by("name").values_list("name", "status", "spi_mirror_ok")
    ]
    statuses = [(s, _escape(s)) for s in TunnelStatus.values]
    out.rendered(
        "vpnportal_tunnel_status",
        "gauge",
        "1 for the tunnel's current status (up, down, degraded, unknown), 0 for the others.",
        (
            f'vpnportal_tunnel_status{{tunnel="{name}",status="{label}"}} {1 if status == s else 0}'
            for name, status, _ in tunnels
            for s, label in statuses
        ),
    )
    out.rendered(
        "vpnportal_tunnel_up",
        "gauge",
        "1 when both ends report the tunnel's SAs.",
        (
            f'vpnportal_tunnel_up{{tunnel="{name}"}} {1 if status == TunnelStatus.UP else 0}'
            for name, status, _ in tunnels
        ),
    )
    out.rendered(
        "vpnportal_tunnel_spi_mirror_ok",
        "gauge",
        "1 when each end's inbound SPI is the other end's outbound SPI.",
        (
            f'vpnportal_tunnel_spi_mirror_ok{{tunnel="{name}"}} {1 if ok else 0}'
            for name, _, ok in tunnels
            if ok is not None
        ),
    )


def device_fragments() -> list[dict[str, Any]]:
    """Each device's lines, in device-name order: from the page cache, the missing ones computed and stored."""
    return keyed_device_fragments()[1]


def keyed_device_fragments() -> tuple[tuple[str, ...] | None, list[dict[str, Any]]]:
    """device_fragments() with their keys in the same order (None when the cache does not answer)."""
    devices = list(
        Device.objects.order_by("name").values_list(
            "pk", "state__polls_total", "state__poll_failures_total", "state__last_poll_id", "state__stale"
        )
    )
    versions = page_cache.device_versions([pk for pk, *_ in devices])
    if versions is None:
        computed = _compute_fragments([pk for pk, *_ in devices])
        return None, [computed[pk] for pk, *_ in devices]
    keys = {pk: FRAGMENT_KEY.format(pk, versions[pk], ":".join(map(str, state))) for pk, *state in devices}
    # Read once: another thread's scrape (gthread workers) may replace the copy meanwhile.
    last = _LAST_SCRAPE
    found = {key: last[key] for key in keys.values() if key in last}
    found.update(page_cache.fetch([key for key in keys.values() if key not in found]))
    missing = [pk for pk, key in keys.items() if key not in found]
    if missing:
        computed = _compute_fragments(missing)
        page_cache.store({keys[pk]: computed[pk] for pk in missing}, seconds=settings.PAGE_CACHE_SECONDS * 10)
        found.update({keys[pk]: computed[pk] for pk in missing})
    _keep_last_scrape(found)
    ordered = tuple(keys[pk] for pk, *_ in devices)
    return ordered, [found[key] for key in ordered]


def _epoch(when: datetime | None) -> float:
    return when.timestamp() if when else 0.0  # the queries exclude None


def _compute_fragments(device_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The lines of these devices by device and family, each family's lines one string (certificates and
    CRLs as labels and end time: the seconds left are counted at each scrape)."""
    names = [name for name, _, _ in SA_COUNTERS] + [name for name, _, _ in DEVICE_FAMILIES]
    fragments: dict[int, dict[str, list[Any]]] = {
        pk: {"certificates": [], "crls": [], **{name: [] for name in names}} for pk in device_ids
    }
    # An SA is one per device, interface, proxy pair and peer (the row's unique key): one crypto ACL
    # entry can reach two peers, or leave by a backup interface, so all four are labels.
    sas = (
        IpsecSa.objects.filter(active=True, device_id__in=device_ids)
        .order_by("device__name", "local_ident", "remote_ident", "interface", "current_peer", "id")
        .values(
            "device_id",
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
    )
    rows: list[dict[str, Any]] = [dict(row) for row in sas]
    for row in rows:
        labels = _labels(
            device=row["device__name"],
            tunnel=row["tunnel__name"] or "",
            interface=row["interface"],
            peer=row["current_peer"] or "",
            local_ident=row["local_ident"],
            remote_ident=row["remote_ident"],
        )
        fragment = fragments[row["device_id"]]
        for name, column, _ in SA_COUNTERS:
            fragment[name].append(f"{name}{labels} {_number(row[column])}")
    # A certificate is one per device, role and key (its serial, or `pending:<fingerprint>` while the
    # CA has not granted it): a request waiting next to the certificate it renews shares its serial.
    certs = (
        Certificate.objects.filter(present=True, valid_to__isnull=False, device_id__in=device_ids)
        .order_by("device__name", "role", "key", "id")
        .values_list("device_id", "device__name", "trustpoint__name", "role", "serial", "key", "valid_to")
    )
    for device_id, device, trustpoint, role, serial, key, valid_to in certs:
        labels = _labels(device=device, trustpoint=trustpoint or "", role=role, key=key, serial=serial)
        fragments[device_id]["certificates"].append((labels, _epoch(valid_to)))
    crls = (
        Crl.objects.filter(present=True, next_update__isnull=False, device_id__in=device_ids)
        .order_by("device__name", "id")
        .values_list("device_id", "device__name", "issuer", "next_update")
    )
    for device_id, device, issuer, next_update in crls:
        fragments[device_id]["crls"].append((_labels(device=device, issuer=issuer), _epoch(next_update)))
    devices = Device.objects.filter(pk__in=device_ids).values_list(
        "pk",
        "name",
        "state__id",
        "state__polls_total",
        "state__poll_failures_total",
        "state__clock_skew_seconds",
        "state__last_poll__id",
        "state__last_poll__status",
        "state__last_poll__duration_ms",
    )
    for pk, name, state_id, total, failures, skew, poll_id, status, duration_ms in devices:
        fragment, labels = fragments[pk], _labels(device=name)
        if state_id is not None and poll_id is not None:
            if duration_ms is not None:
                fragment["vpnportal_poll_duration_seconds"].append(
                    f"vpnportal_poll_duration_seconds{labels} {_number(duration_ms / 1000)}"
                )
            fragment["vpnportal_poll_last_success"].append(
                f"vpnportal_poll_last_success{labels} {_number(status == PollStatus.OK)}"
            )
        fragment["vpnportal_polls_total"].append(f"vpnportal_polls_total{labels} {_number(total or 0)}")
        fragment["vpnportal_poll_failures_total"].append(
            f"vpnportal_poll_failures_total{labels} {_number(failures or 0)}"
        )
        if state_id is not None and skew is not None:
            fragment["vpnportal_device_clock_skew_seconds"].append(
                f"vpnportal_device_clock_skew_seconds{labels} {_number(skew)}"
            )
    # Each family's lines of a device as one string: a smaller entry, unpickled and joined faster.
    return {
        pk: {k: v if k in ("certificates", "crls") else "\n".join(v) for k, v in fragment.items()}
        for pk, fragment in fragments.items()
    }


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
    body = render_body()
    if accepts_gzip(request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(body.gzip(), content_type=CONTENT_TYPE)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(body.identity(), content_type=CONTENT_TYPE)
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header asks for gzip (`gzip` or `x-gzip`, not with q=0); identity else."""
    for item in header.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        if coding.lower() not in ("gzip", "x-gzip"):
            continue
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False
