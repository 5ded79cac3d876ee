"""Clock rules: skew against the poller, and a device clock outside certificate/CRL validity (1993)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from devices.choices import PollStatus
from tests.alerts.factories import make_cert, make_crl, make_device, poll
from tests.alerts.helpers import ctx
from vpnportal.alerting import certificate_rules, device_rules
from vpnportal.choices import AlertKind, Severity

pytestmark = pytest.mark.django_db


def test_it_reports_skew_beyond_the_threshold_either_way() -> None:
    now = timezone.now()
    poll(make_device("ahead"), at=now, clock_skew=90)
    poll(make_device("behind"), at=now, clock_skew=-3600)
    poll(make_device("fine"), at=now, clock_skew=30)
    found = {c.device.name: c for c in device_rules.clock_skew(ctx(now)) if c.device}
    assert sorted(found) == ["ahead", "behind"]
    assert "1 minute ahead of" in found["ahead"].summary
    assert "1 hour behind" in found["behind"].summary


def test_it_uses_the_devices_own_skew_threshold() -> None:
    now = timezone.now()
    poll(make_device(clock_skew_warn_seconds=120), at=now, clock_skew=90)
    assert device_rules.clock_skew(ctx(now)) == []


def test_it_ignores_the_clock_of_a_device_whose_last_poll_failed() -> None:
    now = timezone.now()
    device = make_device()
    poll(device, at=now - timedelta(minutes=5), clock_skew=900)
    poll(device, status=PollStatus.FAILED, at=now, reason="connection refused")
    assert device_rules.clock_skew(ctx(now)) == []


def test_it_reports_a_1993_clock_outside_certificate_and_crl_validity() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now + timedelta(days=300), valid_from=now - timedelta(days=60), serial="3B2FD652")
    make_cert(
        device, now + timedelta(days=3000), valid_from=now - timedelta(days=600), serial="CA", role="ca"
    )
    make_crl(device, now + timedelta(hours=20), last_update=now - timedelta(hours=4))
    poll(device, at=now, device_clock=datetime(1993, 3, 1, 12, 0, tzinfo=UTC))
    (cand,) = certificate_rules.clock_outside_validity(ctx(now))
    assert cand.kind == AlertKind.CLOCK_OUTSIDE_VALIDITY
    assert cand.severity == Severity.CRITICAL
    assert "1993-03-01" in cand.summary
    assert len(cand.details["objects"]) == 3
    assert cand.needs == 2


def test_it_leaves_expired_objects_to_their_own_rules() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now - timedelta(days=1), valid_from=now - timedelta(days=366))
    poll(device, at=now, device_clock=now - timedelta(days=400))
    assert certificate_rules.clock_outside_validity(ctx(now)) == []


def test_it_is_quiet_when_the_device_clock_is_inside_every_validity() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now + timedelta(days=300))
    poll(device, at=now, clock_skew=5)
    assert certificate_rules.clock_outside_validity(ctx(now)) == []
