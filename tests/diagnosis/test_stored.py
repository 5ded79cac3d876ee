"""The seed pair polled over SSH/telnet: findings stored, refreshed only on new polls, shown, alerted."""

from __future__ import annotations

import zlib
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from devices.diagnosis.model import Code
from devices.diagnosis.refresh import refresh_findings
from devices.fleet import run_poll_cycle
from devices.models import Device, Finding, PollOutput, Tunnel
from tests.conftest import PASSWORD
from vpnportal.alerting.cycle import run_alert_cycle
from vpnportal.choices import AlertKind
from vpnportal.models import Alert

from .test_seed import PAIR_EXPECTED, PIX_EXPECTED, ROUTER_EXPECTED

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

# An idle refresh (every alert cycle, every minute) must not cost queries per device.
IDLE_REFRESH_QUERIES = 8


def stored(**where: Any) -> set[tuple[str, str]]:
    return {(f.code, f.subject) for f in Finding.objects.filter(active=True, **where)}


def test_it_stores_the_seeds_findings_from_a_poll_cycle(
    seed_network: dict[str, Device], viewer: User, settings: Any
) -> None:
    run_poll_cycle()  # the alert cycle at its end refreshes the findings
    router, pix = seed_network["1720-1"], seed_network["pix520-1"]
    assert PollOutput.objects.filter(poll__device=router, command="show crypto key mypubkey rsa").exists()
    assert PollOutput.objects.filter(poll__device=pix, command="show ca mypubkey rsa").exists()
    assert stored(device=router, tunnel=None) == ROUTER_EXPECTED
    assert stored(device=pix, tunnel=None) == PIX_EXPECTED
    tunnel = Tunnel.objects.get()
    assert stored(tunnel=tunnel) == PAIR_EXPECTED

    # Nothing new was polled: nothing is parsed again, nothing opens or closes, a few queries in all.
    with CaptureQueriesContext(connection) as queries:
        again = refresh_findings()
    assert len(queries.captured_queries) <= IDLE_REFRESH_QUERIES
    assert (again.devices_diagnosed, again.opened, again.closed) == (0, 0, 0)

    client = Client()
    client.login(username=viewer.username, password=PASSWORD)
    body = client.get("/api/findings/", {"device": "1720-1", "code": Code.WEAK_CIPHER}).json()
    rows = body["results"] if isinstance(body, dict) else body
    assert {r["subject"] for r in rows} == {"ike policy 10 encryption", "transform-set myset esp-des"}
    assert all(r["evidence"] and r["fix"] for r in rows)
    body = client.get("/api/findings/", {"tunnel": tunnel.name}).json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["code"] for r in rows] == [Code.LIFETIME_MISMATCH]
    assert client.get("/api/findings/", {"severity": "bogus"}).status_code == 400
    assert Client().get("/api/findings/").status_code in (401, 403)

    page = client.get(f"/devices/{pix.pk}/").content.decode()
    assert "ISAKMP identity is the address but the certificate carries only the FQDN" in page
    assert "isakmp identity hostname" in page
    page = client.get(f"/tunnels/{tunnel.pk}/").content.decode()
    assert "IPsec SA lifetimes differ: 1720-1 3600 s, pix520-1 28800 s" in page

    # weak_crypto stays quiet by default (the seed is weak by design) and fires where turned on.
    assert not Alert.objects.filter(kind=AlertKind.WEAK_CRYPTO).exists()
    settings.ALERT_WEAK_CRYPTO = True
    run_alert_cycle()
    weak = Finding.objects.filter(active=True, code__in=Code.HYGIENE).count()
    assert Alert.objects.filter(kind=AlertKind.WEAK_CRYPTO).count() == weak


def test_it_closes_a_finding_that_no_longer_holds(seed_network: dict[str, Device]) -> None:
    run_poll_cycle()
    pix = seed_network["pix520-1"]
    finding = Finding.objects.get(device=pix, code=Code.ISAKMP_IDENTITY_ADDRESS)
    assert finding.active
    # As if the next poll's configuration carried `isakmp identity hostname`: edit the stored output.
    raw = PollOutput.objects.filter(poll__device=pix, command="write terminal").latest("id").raw
    assert raw is not None
    text = zlib.decompress(bytes(raw.content)).decode()
    raw.content = zlib.compress(
        text.replace("isakmp enable outside", "isakmp enable outside\nisakmp identity hostname").encode()
    )
    raw.save()
    result = refresh_findings(force=True)
    assert result.closed >= 1
    finding.refresh_from_db()
    assert not finding.active
