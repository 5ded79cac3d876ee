"""CRL rules: NextUpdate soon, NextUpdate passed, a CRL gone from a device that needs one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pki.models import Trustpoint
from tests.alerts.factories import make_crl, make_device, poll
from tests.alerts.helpers import ctx
from vpnportal.alerting import certificate_rules
from vpnportal.choices import Severity

pytestmark = pytest.mark.django_db


def test_it_warns_within_crl_warn_hours_of_next_update() -> None:
    now = timezone.now()
    device = make_device()
    make_crl(device, now + timedelta(hours=5))
    make_crl(make_device("pix520-1"), now + timedelta(hours=30))
    (cand,) = certificate_rules.crl_next_update_soon(ctx(now))
    assert cand.device == device
    assert cand.subject == "CN=CRL1, OU=sjvpn, O=cisco, C=us"
    assert "in 5 hours" in cand.summary or "in 4 hours" in cand.summary
    assert certificate_rules.crl_expired(ctx(now)) == []


def test_it_uses_the_devices_own_crl_warn_hours() -> None:
    now = timezone.now()
    make_crl(make_device(crl_warn_hours=48), now + timedelta(hours=30))
    assert len(certificate_rules.crl_next_update_soon(ctx(now))) == 1


def test_it_reports_a_crl_past_next_update_as_critical() -> None:
    now = timezone.now()
    device = make_device()
    make_crl(device, now - timedelta(minutes=1))
    (cand,) = certificate_rules.crl_expired(ctx(now))
    assert cand.severity == Severity.CRITICAL
    assert "past NextUpdate" in cand.summary
    assert certificate_rules.crl_next_update_soon(ctx(now)) == []


def test_it_reports_a_missing_crl_only_without_crl_optional() -> None:
    now = timezone.now()
    device = make_device()
    Trustpoint.objects.create(device=device, name="vpn", crl_optional=False)
    make_crl(device, now + timedelta(days=3), present=False)
    relaxed = make_device("pix520-1")
    Trustpoint.objects.create(device=relaxed, name="cisco", crl_optional=True)
    make_crl(relaxed, now + timedelta(days=3), present=False)
    poll(device, at=now)
    poll(relaxed, at=now)
    (cand,) = certificate_rules.crl_expired(ctx(now))
    assert cand.device == device
    assert cand.details["missing"] is True
    assert cand.needs == 2  # a CRL being refreshed between two polls is not an alert
