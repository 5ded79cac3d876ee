"""Pages cost a bounded number of SQL queries, however many devices and tunnels there are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.choices import Platform, PollStatus, TunnelStatus
from devices.history import rollups_changed
from devices.models import CounterSample, Device, DeviceState, IkeSa, IpsecSa, Poll, Tunnel
from pki.choices import CertificateRole, CertificateStatus
from pki.models import Certificate, Crl
from tests.pages.seed import Seed
from vpnportal import page_cache
from vpnportal.choices import AlertKind, AlertState
from vpnportal.models import Alert

pytestmark = pytest.mark.django_db


def add_pairs(count: int) -> None:
    """`count` more tunnels, each between two new devices with state, SAs, samples, certificates and alerts."""
    now = timezone.now()
    for i in range(count):
        ends = []
        for side in ("a", "b"):
            d = Device.objects.create(
                name=f"r{i}{side}", host=f"10.0.{i}.1", platform=Platform.CISCO_IOS, username="u"
            )
            poll = Poll.objects.create(device=d, slot=now, status=PollStatus.OK, duration_ms=900)
            DeviceState.objects.create(device=d, last_poll=poll, clock_skew_seconds=1.0)
            IkeSa.objects.create(device=d, dst="10.9.9.9", src="10.9.9.8", peer="10.9.9.9", state="QM_IDLE")
            Certificate.objects.create(
                device=d,
                key=f"K{i}{side}",
                role=CertificateRole.IDENTITY,
                status=CertificateStatus.AVAILABLE,
                serial=f"K{i}{side}",
                valid_to=now + timedelta(days=i),
            )
            Crl.objects.create(device=d, issuer="CN=CRL1", next_update=now + timedelta(hours=i))
            Alert.objects.create(
                kind=AlertKind.POLL_FAILED, key=f"pf:{d.name}", device=d, state=AlertState.FIRING
            )
            ends.append(d)
        t = Tunnel.objects.create(name=f"t{i}", end_a=ends[0], end_b=ends[1], status=TunnelStatus.UP)
        for d, spis in zip(ends, ((1000 + i, 2000 + i), (2000 + i, 1000 + i)), strict=True):
            sa = IpsecSa.objects.create(
                device=d,
                tunnel=t,
                local_ident="a",
                remote_ident="b",
                current_peer="10.9.9.9",
                inbound_spi=spis[0],
                outbound_spi=spis[1],
            )
            CounterSample.objects.create(
                ipsec_sa=sa, at=now, d_encaps=300, d_decaps=300, interval_seconds=300
            )


PAGES: dict[str, Callable[[Seed], str]] = {
    "overview": lambda s: "/",
    "fragment": lambda s: "/overview/fragment/",
    "tunnel": lambda s: f"/tunnels/{s.tunnel.pk}/",
    "device": lambda s: f"/devices/{s.router.pk}/",
    "devices": lambda s: "/devices/",
    "tunnels": lambda s: "/tunnels/",
    "certificates": lambda s: "/certificates/",
    "crls": lambda s: "/crls/",
    "alerts": lambda s: "/alerts/",
    "audit": lambda s: "/audit/",
    "api-tunnels": lambda s: "/api/tunnels/",
    "api-devices": lambda s: "/api/devices/",
    "api-certificates": lambda s: "/api/certificates/",
    "api-alerts": lambda s: "/api/alerts/",
    "api-history": lambda s: f"/api/tunnels/{s.tunnel.pk}/history/?range=week",
    "metrics": lambda s: "/metrics",
    # Searched, filtered and sorted pages, and the CSV exports (every row, not one page).
    "devices-searched": lambda s: "/devices/?q=1&ordering=-clock_skew",
    "tunnels-filtered": lambda s: "/tunnels/?q=a&status=up&ordering=name",
    "certificates-filtered": lambda s: "/certificates/?role=identity&ordering=-valid_to",
    "alerts-searched": lambda s: "/alerts/?q=1&ordering=kind",
    "csv-devices": lambda s: "/api/devices/?format=csv",
    "csv-tunnels": lambda s: "/api/tunnels/?format=csv",
    "csv-certificates": lambda s: "/api/certificates/?format=csv",
    "csv-crls": lambda s: "/api/crls/?format=csv",
    "csv-alerts": lambda s: "/api/alerts/?format=csv&category=open",
}
# The overview's bound grew by one when the tunnels' availability (events/) met the triage of issue 18,
# and by one when its tunnel table was cached under the tunnels it shows (vpnportal/dashboard.py): a cold
# overview reads their ids first; a warm one reads none of the table's rows (see the test below).
# A cold render (every page-cache scope bumped); the overview's fragment keys add four small queries
# (present certificates and CRLs, the devices needing attention and the fleet's figures).
MAX_QUERIES = 26


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_it_keeps_queries_bounded_as_the_inventory_grows(page: str, seed: Seed, viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    url = PAGES[page](seed)
    small = _count(client, url)
    add_pairs(6)
    page_cache.data_changed([seed.router.pk, seed.pix.pk])  # cold again: the bound is on a render
    rollups_changed()  # and a week's history, cached under the rollups' version (devices/history.py)
    large = _count(client, url)
    assert large == small, f"{page}: {small} queries with 1 tunnel, {large} with 7"
    assert large <= MAX_QUERIES


def test_a_warm_overview_reads_fewer_rows_than_a_cold_one(seed: Seed, viewer: User) -> None:
    add_pairs(10)
    client = Client()
    client.force_login(viewer)
    cold = _count(client, "/")
    assert _count(client, "/") <= cold - 8


def test_it_renders_the_overview_within_the_asserted_bound(
    seed: Seed, viewer: User, django_assert_max_num_queries
) -> None:
    add_pairs(10)
    client = Client()
    client.force_login(viewer)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(f"/tunnels/{seed.tunnel.pk}/").status_code == 200
