"""Each simulator fault that models one of the guide's problems gives its finding; the healthy pair none."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from devices.diagnosis.model import Code, Severity
from devices.diagnosis.refresh import refresh_findings
from devices.fleet import run_poll_cycle
from devices.models import Device, Finding, Tunnel
from pki.choices import EnrollmentState
from pki.enrollment_requests import request_enrollment
from pki.enrollment_runs import run_enrollment
from simulator import SimulatorHandle

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def codes(name: str) -> dict[str, Finding]:
    return {f.code: f for f in Finding.objects.filter(active=True, device__name=name, tunnel=None)}


def test_it_finds_each_fault_of_the_guide(
    fault_network: SimulatorHandle, operator: User, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    run_poll_cycle()

    # The healthy IOS-XE pair: AES-256, SHA-256, DH 14, RSA-2048, mirrored ACLs, one lifetime.
    assert codes("csr-1") == {} and codes("csr-2") == {}
    assert not Finding.objects.filter(tunnel=Tunnel.objects.get(name="csr1-csr2")).exists()

    clock = codes("clock-1")
    assert {Code.CLOCK_OUTSIDE_CERT, Code.CLOCK_OUTSIDE_CRL} <= set(clock)
    assert "1993" in clock[Code.CLOCK_OUTSIDE_CRL].evidence[0]

    nocrl = codes("nocrl-1")
    assert nocrl[Code.CRL_MISSING].severity == Severity.CRITICAL

    ident = codes("ident-1")
    assert ident[Code.ISAKMP_IDENTITY_ADDRESS].severity == Severity.CRITICAL
    assert (
        "show running-config: crypto isakmp identity address" in ident[Code.ISAKMP_IDENTITY_ADDRESS].evidence
    )

    # The CA unreachable on TCP 80: the enrollment fails and says why.
    monkeypatch.setattr("pki.enrollment_requests.enqueue_enrollment", lambda _id: None)
    stuck = Device.objects.get(name="stuck-1")
    enrollment = request_enrollment(stuck, "SIMCA", "Ch4llenge-2026!x", operator)
    done = run_enrollment(enrollment.pk)
    assert done is not None
    done.refresh_from_db()
    assert done.state == EnrollmentState.FAILED, done.transcript
    refresh_findings()
    unreachable = codes("stuck-1")[Code.CA_UNREACHABLE]
    assert "TCP 80" in unreachable.title
    assert any("socket connect failed" in line for line in unreachable.evidence)

    # Undoing a fault closes its finding at the next poll.
    fault_network.clear_fault("ident-1", "identity_address")
    run_poll_cycle(["ident-1"])
    assert Code.ISAKMP_IDENTITY_ADDRESS not in codes("ident-1")
