"""Certificate rules: staged expiry notices, expired, pending requests, successors on the same trustpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pki.choices import CertificateRole, CertificateStatus, EnrollmentState
from pki.models import Enrollment
from tests.alerts.factories import make_cert, make_device
from tests.alerts.helpers import ctx
from vpnportal.alerting import certificate_rules, core
from vpnportal.choices import AlertKind, Severity

pytestmark = pytest.mark.django_db


def test_it_stages_expiry_by_the_smallest_threshold_reached() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now + timedelta(days=20), serial="A20")
    make_cert(device, now + timedelta(days=5), serial="A5", trustpoint="second")
    make_cert(device, now + timedelta(hours=10), serial="A0", trustpoint="other")
    make_cert(device, now + timedelta(days=45), serial="A45", trustpoint="third")
    found = {c.subject: c for c in certificate_rules.cert_expiring(ctx(now))}
    assert sorted(found) == ["A0", "A20", "A5"]
    assert (found["A20"].stage, found["A5"].stage, found["A0"].stage) == (30, 7, 1)
    assert found["A20"].severity == Severity.WARNING
    assert found["A0"].severity == Severity.CRITICAL
    assert "expires in 5 days" in found["A5"].summary
    assert "expires in 10 hours" in found["A0"].summary
    # The date is UTC like every other time in a summary, and says so (emails render in TIME_ZONE).
    assert f"(on {(now + timedelta(days=5)):%Y-%m-%d} UTC)" in found["A5"].summary
    assert found["A5"].details["days_left"] == pytest.approx(5, abs=0.01)
    assert found["A5"].key == "cert_expiring:1720-1:A5"


def test_it_uses_the_devices_own_warning_days() -> None:
    now = timezone.now()
    device = make_device(cert_warn_days="60, 14")
    make_cert(device, now + timedelta(days=50), serial="B50")
    (cand,) = certificate_rules.cert_expiring(ctx(now))
    assert cand.stage == 60
    assert core.cert_warn_days(device) == [60, 14]


def test_it_stops_expiry_notices_when_a_valid_successor_is_on_the_same_trustpoint() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now + timedelta(days=3), serial="OLD")
    make_cert(device, now + timedelta(days=365), valid_from=now - timedelta(hours=1), serial="NEW")
    assert certificate_rules.cert_expiring(ctx(now)) == []


def test_it_keeps_notices_when_the_successor_is_on_another_trustpoint_or_not_yet_valid() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now + timedelta(days=3), serial="OLD")
    make_cert(device, now + timedelta(days=365), serial="ELSEWHERE", trustpoint="other")
    make_cert(device, now + timedelta(days=365), valid_from=now + timedelta(days=1), serial="FUTURE")
    assert [c.subject for c in certificate_rules.cert_expiring(ctx(now))] == ["OLD"]


def test_it_reports_expired_certificates_the_device_still_holds() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now - timedelta(days=1), serial="GONE", present=False)
    make_cert(device, now - timedelta(hours=2), serial="EXP", role=CertificateRole.CA)
    make_cert(device, now + timedelta(days=100), serial="OK")
    (cand,) = certificate_rules.cert_expired(ctx(now))
    assert (cand.subject, cand.severity, cand.kind) == ("EXP", Severity.CRITICAL, AlertKind.CERT_EXPIRED)
    assert "ca certificate EXP" in cand.summary
    assert certificate_rules.cert_expiring(ctx(now)) == []


def test_it_reports_a_request_pending_longer_than_the_threshold() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(
        device,
        now + timedelta(days=365),
        serial="",
        status=CertificateStatus.PENDING,
        first_seen=now - timedelta(hours=25),
    )
    other = make_device("pix520-1")
    make_cert(other, now + timedelta(days=365), serial="", status=CertificateStatus.PENDING, first_seen=now)
    (cand,) = certificate_rules.cert_pending(ctx(now))
    assert (cand.device, cand.subject, cand.kind) == (device, "vpn", AlertKind.CERT_PENDING)


def test_it_reports_an_enrollment_that_never_completes() -> None:
    now = timezone.now()
    device = make_device()
    Enrollment.objects.create(
        device=device, trustpoint="vpn", state=EnrollmentState.PENDING, started_at=now - timedelta(hours=30)
    )
    (cand,) = certificate_rules.cert_pending(ctx(now))
    assert cand.subject == "vpn"
    assert "enrollment on vpn pending" in cand.summary


def test_it_ignores_devices_that_are_disabled() -> None:
    now = timezone.now()
    device = make_device(enabled=False)
    make_cert(device, now + timedelta(days=2))
    assert certificate_rules.cert_expiring(ctx(now)) == []


def test_it_words_the_time_left_for_people() -> None:
    assert core.time_left(timedelta(days=3) - timedelta(seconds=1)) == "3 days"
    assert core.time_left(timedelta(days=1, hours=2)) == "1 day"
    assert core.time_left(timedelta(hours=5, minutes=59)) == "5 hours"
    assert core.time_left(timedelta(minutes=1)) == "1 minute"
