"""Enrollment stuck, or failing because the CA's HTTP port cannot be reached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from devices.diagnosis.enrollment import EnrollmentRecord, PendingCertificate, diagnose_enrollment
from devices.diagnosis.model import Code, Severity

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
URLS = {"SIMCA": "http://198.51.100.10:80/cgi-bin/pkiclient.exe"}
# What the simulator's ios15 persona prints when the CA is unreachable (the guide's blocked TCP 80).
IOS_UNREACHABLE = """csr-1(config)#crypto pki enroll SIMCA
Mar  1 12:00:01.000: CRYPTO_PKI: can not resolve server name/IP address
Mar  1 12:00:01.000: CRYPTO_PKI: socket connect failed.
Mar  1 12:00:01.000: CRYPTO_PKI: status = 65535: failed to send out the pki message"""


def test_it_finds_the_ca_unreachable_on_tcp_80() -> None:
    record = EnrollmentRecord("SIMCA", "failed", NOW - timedelta(minutes=5), IOS_UNREACHABLE)
    (finding,) = diagnose_enrollment("cisco_ios", [record], [], URLS, NOW, timedelta(hours=1), "pki")
    assert finding.code == Code.CA_UNREACHABLE
    assert finding.severity == Severity.CRITICAL
    assert "198.51.100.10 on TCP 80" in finding.title
    assert "enrollment (failed): Mar  1 12:00:01.000: CRYPTO_PKI: socket connect failed." in finding.evidence
    assert "ping 198.51.100.10" in finding.fix
    assert "crypto pki enroll SIMCA" in finding.fix  # the form the device speaks


def test_it_finds_a_certificate_pending_for_too_long() -> None:
    pending = PendingCertificate("SIMCA", NOW - timedelta(hours=3), "0A1B2C3D")
    (finding,) = diagnose_enrollment("cisco_asa", [], [pending], URLS, NOW, timedelta(hours=1))
    assert finding.code == Code.ENROLLMENT_STUCK
    assert "0A1B2C3D" in finding.evidence[0]
    assert "crypto ca enroll SIMCA" in finding.fix


def test_it_waits_before_calling_a_request_stuck() -> None:
    pending = PendingCertificate("SIMCA", NOW - timedelta(minutes=10))
    assert diagnose_enrollment("cisco_asa", [], [pending], URLS, NOW, timedelta(hours=1)) == []


def test_it_forgets_an_unreachable_ca_once_an_enrollment_is_granted() -> None:
    failed = EnrollmentRecord("SIMCA", "failed", NOW - timedelta(hours=2), IOS_UNREACHABLE)
    granted = EnrollmentRecord(
        "SIMCA", "granted", NOW - timedelta(hours=1), "granted: new certificate 3B400009"
    )
    assert diagnose_enrollment("cisco_ios", [failed, granted], [], URLS, NOW, timedelta(hours=1)) == []
