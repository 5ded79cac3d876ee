"""Enrollment findings from the rows: a certificate Pending for hours, then granted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.choices import Platform
from devices.diagnosis.model import Code
from devices.diagnosis.refresh import refresh_findings
from devices.models import Device, Finding
from pki.choices import CertificateRole, CertificateStatus
from pki.models import Certificate, Trustpoint

pytestmark = pytest.mark.django_db


def test_it_opens_and_closes_a_stuck_enrollment_from_certificate_rows() -> None:
    device = Device.objects.create(
        name="stuck-1", host="127.0.0.1", platform=Platform.CISCO_IOS, username="u"
    )
    trustpoint = Trustpoint.objects.create(
        device=device, name="SIMCA", enrollment_url="http://198.51.100.10:80"
    )
    cert = Certificate.objects.create(
        device=device,
        trustpoint=trustpoint,
        key="pending:0A1B2C3D",
        role=CertificateRole.IDENTITY,
        status=CertificateStatus.PENDING,
        fingerprint="0A1B2C3D",
        first_seen=timezone.now() - timedelta(hours=3),
    )
    refresh_findings()
    finding = Finding.objects.get(device=device, code=Code.ENROLLMENT_STUCK)
    assert finding.active and finding.subject == "trustpoint SIMCA"
    assert "0A1B2C3D" in finding.evidence[0]
    cert.present = False  # the CA granted it: the device no longer lists a Pending request
    cert.save()
    refresh_findings()
    finding.refresh_from_db()
    assert not finding.active
