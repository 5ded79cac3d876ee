"""Every value the state holds is shown where the page has its label (issue 18)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from devices.models import IkeSa
from pki.choices import CertificateRole, CertificateStatus, EnrollmentState
from pki.models import Certificate, Enrollment
from tests.pages.seed import Seed
from vpnportal.choices import AlertKind, AlertState, Severity
from vpnportal.models import Alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(operator: User) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def test_an_asa_like_end_shows_its_ike_source_from_its_ipsec_sa(browser: Client, seed: Seed) -> None:
    # ASA and PIX 7 list an IKE SA by its peer alone: no source, no conn id, no slot.
    IkeSa.objects.filter(device=seed.pix).update(src=None, conn_id=None, slot=None)
    html = browser.get(f"/tunnels/{seed.tunnel.pk}/").content.decode()
    assert "172.16.172.34 <span" in html and "(local addr)" in html
    assert "? →" not in html
    assert "— / —" not in html  # no conn id row where the device prints none
    assert "110 / 0" in html  # the router's end still has its own


def test_the_certificate_page_falls_back_to_the_decoded_subject_and_fingerprint(
    browser: Client, seed: Seed
) -> None:
    cert = seed.router_cert
    cert.subject, cert.issuer, cert.fingerprint = "", "", ""
    cert.x509 = {
        **cert.x509,
        "subject": "hostname=1720-1.cisco.com, OU=sjvpn",
        "issuer": "OU=sjvpn, O=cisco",
        "fingerprint_sha1": "F124DB71985206ABDF2323FCE6BC2758E157C5B0",
    }
    cert.save()
    html = browser.get(f"/certificates/{cert.pk}/").content.decode()
    assert "hostname=1720-1.cisco.com, OU=sjvpn <span" in html
    assert "<code>F124DB71985206ABDF2323FCE6BC2758E157C5B0</code> <span" in html
    assert '<th>Subject</th><td class="dn">—' not in html


def test_a_granted_enrollment_names_the_certificate_it_replaced(
    browser: Client, seed: Seed, operator: User
) -> None:
    old = Certificate.objects.create(
        device=seed.router,
        trustpoint=seed.router_cert.trustpoint,
        key="11AA",
        role=CertificateRole.IDENTITY,
        status=CertificateStatus.AVAILABLE,
        serial="11AA",
        valid_to=timezone.now() - timedelta(days=3),
        first_seen=timezone.now() - timedelta(days=30),
    )
    job = Enrollment.objects.create(
        device=seed.router,
        trustpoint="vpn",
        state=EnrollmentState.GRANTED,
        requested_by=operator,
        new_serial="3B2FD652",
    )
    html = browser.get(f"/enrollments/{job.pk}/").content.decode()
    row = html[html.index("Certificate before") :][:600]
    assert f'href="/certificates/{old.pk}/"' in row and "11AA" in row
    assert "3B2FD652</code></a>" not in row  # the new one is not its own predecessor


def test_the_tunnel_page_lists_the_alerts_of_both_its_ends(browser: Client, seed: Seed) -> None:
    expired = Alert.objects.create(
        kind=AlertKind.CERT_EXPIRED,
        key="cert_expired:pix520-1:3B2FD653",
        device=seed.pix,
        subject="3B2FD653",
        severity=Severity.CRITICAL,
        state=AlertState.FIRING,
        summary="pix520-1: identity certificate expired",
    )
    html = browser.get(f"/tunnels/{seed.tunnel.pk}/").content.decode()
    section = html[html.index('id="tunnel-alerts"') :]
    assert f'data-alert-id="{expired.pk}"' in section and f'data-alert-id="{seed.alert.pk}"' in section
    assert f'data-alert-id="{seed.resolved_alert.pk}"' not in section  # a resolved device alert is history


def test_times_carry_their_zone_and_crl_time_left_one_wording(browser: Client, seed: Seed) -> None:
    for url in ("/", "/crls/", f"/devices/{seed.router.pk}/"):
        html = browser.get(url).content.decode()
        assert "in 10 h" in html, url  # the router's CRL, NextUpdate in 10 hours
        assert " UTC<" in html or " UTC\n" in html, url
    seed.crl.next_update = timezone.now() - timedelta(days=9090)
    seed.crl.save()
    html = browser.get("/crls/").content.decode()
    assert "9090 d ago" in html and "-218160 h" not in html and ">-218" not in html
    # The overview lists what is ahead; what ran out long ago is a count and a link.
    html = browser.get("/").content.decode()
    assert "1 past NextUpdate by more than 30 days" in html and "9090 d ago" not in html
