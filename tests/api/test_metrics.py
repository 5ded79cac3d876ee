"""/metrics speaks the Prometheus text format: tunnels, SA counters, PKI seconds left, polls."""

from __future__ import annotations

import gzip
import re
import zlib
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from devices.choices import TunnelStatus
from devices.models import IpsecSa, Tunnel
from pki.choices import CertificateRole, CertificateStatus
from pki.models import Certificate, Crl, Trustpoint
from tests.pages.seed import SECRET_PASSWORD, Seed
from vpnportal import metrics
from vpnportal.models import Heartbeat

pytestmark = pytest.mark.django_db

UNREACHABLE_CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}
LINE = re.compile(r'^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+]+$')


@override_settings(METRICS_TOKEN="scrape-me")
def test_it_exposes_the_state_in_text_format(seed: Seed) -> None:
    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").content.decode()
    for line in text.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or LINE.match(line), line
    assert 'vpnportal_tunnel_status{tunnel="hq-branch",status="up"} 1' in text
    assert 'vpnportal_tunnel_up{tunnel="hq-branch"} 1' in text
    assert re.search(r'vpnportal_ipsec_sa_packets_encaps_total\{device="1720-1",.*\} 3000', text)
    seconds = re.search(
        r'vpnportal_certificate_seconds_left\{device="1720-1",[^}]*serial="3B2FD652"\} (\d+)', text
    )
    assert seconds and 20 * 86400 < int(seconds.group(1)) < 21 * 86400
    assert re.search(
        r'vpnportal_crl_seconds_left\{device="1720-1",issuer="CN=CRL1, OU=sjvpn, O=cisco, C=us"\} \d+', text
    )
    assert 'vpnportal_poll_duration_seconds{device="1720-1"} 3.1' in text
    assert 'vpnportal_poll_failures_total{device="1720-1"} 1' in text
    assert 'vpnportal_alerts_open{kind="cert_expiring",severity="warning"} 1' in text
    assert "# TYPE vpnportal_ipsec_sa_packets_encaps_total counter" in text
    assert SECRET_PASSWORD not in text


@override_settings(METRICS_TOKEN="scrape-me")
def test_it_escapes_label_values(seed: Seed) -> None:
    seed.crl.issuer = 'CN="quoted", O=back\\slash'
    seed.crl.save()
    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").content.decode()
    assert 'issuer="CN=\\"quoted\\", O=back\\\\slash"' in text


def _busy_fleet(seed: Seed) -> None:
    """More than the seed pair: a second tunnel, SAs of one proxy pair on several interfaces and peers,
    the same serial in two trustpoints, a request waiting for its CA next to the granted certificate."""
    now = timezone.now()
    router, pix = seed.router, seed.pix
    second = Tunnel.objects.create(name="hq-dr", end_a=router, end_b=pix, status=TunnelStatus.DOWN)
    base = {f.name: getattr(seed.router_sa, f.name) for f in IpsecSa._meta.fields if f.name not in ("id",)}
    # The same ACL entry reaches the DR site's peer out of the backup interface: only interface and
    # peer tell these SAs apart.
    for interface, peer in (
        ("Serial0", "172.16.172.34"),
        ("Serial0", "10.9.9.9"),
        ("FastEthernet0", "10.9.9.9"),
    ):
        IpsecSa.objects.create(**{**base, "tunnel": second, "interface": interface, "current_peer": peer})
    IpsecSa.objects.create(**{**base, "tunnel": None, "interface": "Dialer1", "current_peer": None})
    backup = Trustpoint.objects.create(device=router, name="vpn-backup")
    cert = {f.name: getattr(seed.router_cert, f.name) for f in Certificate._meta.fields if f.name != "id"}
    Certificate.objects.create(
        **{**cert, "trustpoint": backup, "role": CertificateRole.CA, "key": "3B2FD652"}
    )
    Certificate.objects.create(
        **{
            **cert,
            "key": "pending:AB12",
            "status": CertificateStatus.PENDING,
            "valid_to": now + timedelta(days=1),
        }
    )
    Certificate.objects.create(**{**cert, "trustpoint": None, "role": CertificateRole.RA_ENCRYPTION})
    Certificate.objects.create(
        **{
            **cert,
            "trustpoint": None,
            "role": CertificateRole.RA_ENCRYPTION,
            "key": "pending:CD34",
            "serial": "",
        }
    )
    Crl.objects.create(device=router, issuer="CN=CRL2, OU=sjvpn, O=cisco, C=us", next_update=now)
    Heartbeat.objects.create(name="worker@b", last_seen=now)


@override_settings(METRICS_TOKEN="scrape-me")
def test_every_series_is_unique_and_the_exposition_parses(seed: Seed) -> None:
    _busy_fleet(seed)
    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").content.decode()
    families = list(text_string_to_metric_families(text))
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    duplicates = []
    for family in families:
        for sample in family.samples:
            series = (sample.name, tuple(sorted(sample.labels.items())))
            if series in seen:
                duplicates.append(series)
            seen[series] = sample.value
    assert duplicates == []
    names = {family.name for family in families}
    assert {"vpnportal_ipsec_sa_packets_encaps", "vpnportal_certificate_seconds_left"} <= names
    encaps = [s for f in families for s in f.samples if s.name == "vpnportal_ipsec_sa_packets_encaps_total"]
    assert len(encaps) == 2 + 4  # the seed pair's two SAs and the router's four more
    assert {(s.labels["interface"], s.labels["peer"]) for s in encaps if s.labels["device"] == "1720-1"} == {
        ("FastEthernet0", "172.16.172.34"),
        ("Serial0", "172.16.172.34"),
        ("Serial0", "10.9.9.9"),
        ("FastEthernet0", "10.9.9.9"),
        ("Dialer1", ""),
    }
    certificates = [s for f in families for s in f.samples if s.name == "vpnportal_certificate_seconds_left"]
    assert len(certificates) == 6 + 4
    assert {s.labels["key"] for s in certificates if s.labels["device"] == "1720-1"} >= {
        "3B2FD652",
        "pending:AB12",
        "pending:CD34",
    }


def _scrape(accept_encoding: str | None = None) -> Any:
    headers = {"Authorization": "Bearer scrape-me"}
    if accept_encoding is not None:
        headers["Accept-Encoding"] = accept_encoding
    return Client().get("/metrics", headers=headers)


@override_settings(METRICS_TOKEN="scrape-me")
def test_a_scraper_that_accepts_gzip_gets_one_gzip_member_of_the_same_exposition(seed: Seed) -> None:
    plain = _scrape()
    assert plain["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert not plain.has_header("Content-Encoding")
    assert "Accept-Encoding" in plain["Vary"]
    # What Prometheus sends; a second scrape is served from the parts the first one kept.
    for _ in range(2):
        packed = _scrape("gzip")
        assert packed["Content-Encoding"] == "gzip"
        assert packed["Content-Type"] == plain["Content-Type"]
        assert "Accept-Encoding" in packed["Vary"]
        # One member (a client that reads one member only gets it all), its CRC and length checked.
        reader = zlib.decompressobj(16 + zlib.MAX_WBITS)
        text = reader.decompress(packed.content).decode()
        assert reader.eof and reader.unused_data == b""
        assert gzip.decompress(packed.content).decode() == text
        assert _families(text) == _families(plain.content.decode())
    assert len(packed.content) < len(plain.content)


@pytest.mark.parametrize("header", ["gzip;q=0", "identity", "br, deflate", "", "gzipx"])
@override_settings(METRICS_TOKEN="scrape-me")
def test_a_scraper_that_does_not_accept_gzip_gets_plain_text(seed: Seed, header: str) -> None:
    response = _scrape(header)
    assert not response.has_header("Content-Encoding")
    assert response.content.decode().startswith("# HELP vpnportal_tunnel_status ")


@pytest.mark.parametrize("header", ["gzip", "deflate, gzip", "br;q=1.0, GZIP;q=0.5", "x-gzip"])
def test_it_reads_the_codings_that_accept_gzip(header: str) -> None:
    assert metrics.accepts_gzip(header)


def _families(text: str) -> list[tuple[str, list[tuple[str, dict[str, str]]]]]:
    # The series of each family (values move with the clock and the readiness latencies).
    return [(f.name, [(s.name, s.labels) for s in f.samples]) for f in text_string_to_metric_families(text)]


@override_settings(METRICS_TOKEN="scrape-me")
def test_the_kept_parts_give_the_bytes_a_render_without_the_cache_gives(seed: Seed) -> None:
    _busy_fleet(seed)
    now = timezone.now()
    metrics.render_body(now)  # fills the cache and this process's copy
    kept = metrics.render_body(now)  # the families of the devices as the first scrape built them
    with override_settings(CACHES=UNREACHABLE_CACHES):
        fresh = metrics.render_body(now)
    assert [p.data for p in kept.parts[:4]] == [p.data for p in fresh.parts[:4]]
    tail = [p.data.split(b"# HELP vpnportal_part_up")[0] for p in (kept.parts[4], fresh.parts[4])]
    assert tail[0] == tail[1]
    assert gzip.decompress(kept.gzip()) == kept.identity()
