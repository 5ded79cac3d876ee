"""/metrics speaks the Prometheus text format: tunnels, SA counters, PKI seconds left, polls."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from tests.pages.seed import SECRET_PASSWORD, Seed

pytestmark = pytest.mark.django_db

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
