"""What the pages show: both tunnel ends, SPIs matched, raw outputs, days left, alerts by tab, no secrets."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from devices.models import IpsecSa
from tests.pages.seed import SECRET_ENABLE, SECRET_PASSWORD, Seed
from vpnportal.alerting import actions
from vpnportal.models import Alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


def test_it_shows_every_tunnel_with_both_ends_on_the_overview(browser: Client, seed: Seed) -> None:
    html = browser.get("/").content.decode()
    assert 'data-tunnel="hq-branch"' in html
    assert "1720-1" in html and "pix520-1" in html
    assert 'class="badge status-up">up<' in html
    assert "QM_IDLE" in html and "matched" in html
    assert "↑ 10.0 pkt/s" in html  # the latest sample's encaps rate of the router's end
    # Open alerts come first, then tunnels, then what runs out, then devices.
    assert (
        html.index('id="open-alerts"') < html.index('id="tunnels"') < html.index('id="expiring-certificates"')
    )
    assert "Identity certificate 1720-1.cisco.com expires in 20 days" in html
    assert "since worker heartbeat" in html
    assert 'data-refresh-url="/overview/fragment/"' in html


def test_it_refreshes_the_overview_as_a_fragment(browser: Client, seed: Seed) -> None:
    html = browser.get("/overview/fragment/").content.decode()
    assert 'data-tunnel="hq-branch"' in html
    assert "<html" not in html and "<script" not in html


def test_it_shows_a_broken_tunnel_first_with_the_missing_spi(browser: Client, seed: Seed) -> None:
    seed.tunnel.status, seed.tunnel.spi_mirror_ok = "down", False
    seed.tunnel.save()
    IpsecSa.objects.filter(pk=seed.pix_sa.pk).update(inbound_spi=0x1234)
    html = browser.get(f"/tunnels/{seed.tunnel.pk}/").content.decode()
    assert "do not mirror" in html and "✗ not on peer" in html
    assert "0x00001234" in html


def test_it_shows_both_ends_and_every_counter_on_the_tunnel_page(browser: Client, seed: Seed) -> None:
    html = browser.get(f"/tunnels/{seed.tunnel.pk}/").content.decode()
    assert html.count('class="end card"') == 2
    assert "0xD740971C" in html and "0x3803A0C1" in html and "✓ matched" in html
    assert "pkts_decompress_failed" in html  # every counter the device printed
    assert f'data-history-url="/api/tunnels/{seed.tunnel.pk}/history/"' in html
    assert "chart-4.5.1.umd.min.js" in html and "js/tunnel.js" in html
    assert "<script>" not in html  # CSP: script-src 'self', nothing inline


def test_it_shows_the_raw_outputs_and_poll_history_on_the_device_page(browser: Client, seed: Seed) -> None:
    html = browser.get(f"/devices/{seed.router.pk}/").content.decode()
    assert "show crypto isakmp sa" in html
    assert "172.16.172.39   172.16.172.34   QM_IDLE" in html  # decompressed, as received
    assert "connect: timed out after 15 s" in html  # a failed poll's reason in the history
    assert "3B2FD652" in html and "CN=CRL1, OU=sjvpn, O=cisco, C=us" in html
    # Config facts as a structured view (tables), not a raw JSON dump.
    assert "<th>isakmp identity</th><td>hostname</td>" in html and '"isakmp_identity":' not in html


def test_the_device_page_says_who_else_gets_its_alerts(browser: Client, seed: Seed) -> None:
    seed.router.alert_emails = "branch-noc@example.net"
    seed.router.save()
    html = browser.get(f"/devices/{seed.router.pk}/").content.decode()
    assert "Alerts also to</th><td>branch-noc@example.net</td>" in html


def test_it_never_renders_a_secret(browser: Client, seed: Seed) -> None:
    for url in ["/", "/devices/", f"/devices/{seed.router.pk}/", f"/tunnels/{seed.tunnel.pk}/", "/audit/"]:
        html = browser.get(url).content.decode()
        assert SECRET_PASSWORD not in html and SECRET_ENABLE not in html, url


def test_it_colours_days_left_on_the_certificates_page(browser: Client, seed: Seed) -> None:
    html = browser.get("/certificates/").content.decode()
    assert 'class="days warn"' in html  # 20 days
    assert 'class="days expired"' in html  # the RA certificates
    assert 'class="days ok"' in html
    # Sorting is server-side (the whole list, not one page): headers are links.
    assert 'aria-sort="none"><a href="?ordering=valid_to"' in html


def test_it_shows_x509_details(browser: Client, seed: Seed) -> None:
    html = browser.get(f"/certificates/{seed.router_cert.pk}/").content.decode()
    assert "signature_valid" in html and "sha1WithRSAEncryption" in html


def test_it_shows_crls_with_time_left(browser: Client, seed: Seed) -> None:
    html = browser.get("/crls/").content.decode()
    assert 'class="days warn"' in html and "ldap://171.69.89.16" in html


def test_it_sorts_alerts_into_tabs(browser: Client, seed: Seed, operator: User) -> None:
    assert seed.alert.summary in browser.get("/alerts/").content.decode()
    resolved_row = f'data-alert-id="{seed.resolved_alert.pk}"'
    assert resolved_row not in browser.get("/alerts/?state=open").content.decode()
    assert resolved_row in browser.get("/alerts/?state=resolved").content.decode()
    actions.acknowledge_alert(Alert.objects.get(pk=seed.alert.pk), operator)
    assert seed.alert.summary not in browser.get("/alerts/?state=open").content.decode()
    assert seed.alert.summary in browser.get("/alerts/?state=acknowledged").content.decode()
    assert "acknowledge" in browser.get("/audit/").content.decode()


def test_it_shows_action_buttons_to_operators_only(seed: Seed, viewer: User, operator: User) -> None:
    client = Client()
    client.force_login(viewer)
    assert "Acknowledge</button>" not in client.get("/alerts/").content.decode()
    client.force_login(operator)
    html = client.get("/alerts/").content.decode()
    assert "Acknowledge</button>" in html and "Silence</button>" in html


def test_it_links_operators_to_re_enroll(seed: Seed, operator: User, viewer: User) -> None:
    client = Client()
    client.force_login(operator)
    html = client.get("/certificates/").content.decode()
    assert f"/enroll/?device={seed.router.pk}&amp;trustpoint=vpn" in html
    assert "Re-enroll" in client.get(f"/devices/{seed.router.pk}/").content.decode()
    assert "Re-enroll" in client.get(f"/certificates/{seed.router_cert.pk}/").content.decode()
    client.force_login(viewer)
    assert "Re-enroll" not in client.get("/certificates/").content.decode()
    assert "Re-enroll" not in client.get(f"/devices/{seed.router.pk}/").content.decode()


def test_it_counts_a_tunnel_alert_without_a_device_and_its_silence(seed: Seed, operator: User) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from vpnportal.dashboard import alert_counts, alerts_in

    tunnel_alert = Alert.objects.create(
        kind="tunnel_down", key="tunnel_down::hq-branch", tunnel=seed.tunnel, state="firing", summary="down"
    )
    assert alert_counts() == {"open": 2, "acknowledged": 0, "silenced": 0}
    assert tunnel_alert in alerts_in("open")
    actions.silence(seed.tunnel, timezone.now() + timedelta(hours=1), operator, "change 7")
    assert alert_counts() == {"open": 1, "acknowledged": 0, "silenced": 1}
    assert list(alerts_in("silenced")) == [tunnel_alert]


def test_it_shows_x509_lists_plainly(browser: Client, seed: Seed) -> None:
    seed.router_cert.x509 = {"subject_alt_names": ["1720-1.cisco.com", "1720-1"], "signature_valid": False}
    seed.router_cert.save()
    html = browser.get(f"/certificates/{seed.router_cert.pk}/").content.decode()
    assert "1720-1.cisco.com, 1720-1" in html and '<span class="bad">no</span>' in html
