"""End to end: a certificate request the CA never answers becomes a cert_pending alert, and resolves on the grant.

An operator re-enrolls through the API while TCP 80 to the CA is blocked (the simulator's `enroll_stuck`):
the job fails with the guide's reason, and the request stays `Pending` in the device's certificate list.
`manage.py poll` stores it; once it has waited longer than CERT_PENDING_WARN_HOURS the alert fires
(a time-based kind: on the first evaluation past the threshold, not after ALERT_PENDING_POLLS polls,
docs/alerts.md); when the CA is reachable again it grants the request and the next poll resolves it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from devices.inventory import import_inventory
from pki.choices import CertificateRole, CertificateStatus, EnrollmentState
from pki.enrollment_runs import run_enrollment
from pki.models import Certificate, Enrollment
from simulator import SimulatorHandle, run_in_thread
from tests.alerts.helpers import open_alerts
from tests.services import simulator_state_dir
from vpnportal.choices import AlertKind, AlertState
from vpnportal.models import Alert, AlertEvent

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CHALLENGE = "Ch4llenge-2002!x"
# The CA answers two simulated (= real: speed 1) seconds after it is reachable again.
ENROLL_DELAY = 2
SCENARIO: dict[str, Any] = {
    "clock": {"start": "now", "speed": 1.0},
    "defaults": {"enroll_delay": ENROLL_DELAY},
    "validity": {"cert_age_days": 30, "cert_days_left": 335, "crl_age_hours": 1, "crl_hours_left": 200},
    "devices": [
        {"name": "1720-1", "persona": "seed-router"},  # IOS 12.2 `show crypto ca certificates`
        {"name": "asa-1", "persona": "asa9"},  # ASA `show crypto ca certificates`
        {"name": "csr-1", "persona": "ios15"},  # IOS-XE `show crypto pki certificates`
    ],
}
TRUSTPOINTS = {"1720-1": "vpn", "asa-1": "SIMCA", "csr-1": "SIMCA"}


@pytest.fixture
def network(settings: Any, tmp_path: Path, key_cache: Path) -> Iterator[SimulatorHandle]:
    """The devices served on free ports, imported into the inventory."""
    settings.VPNPORTAL_KNOWN_HOSTS = tmp_path / "known_hosts"
    settings.SSH_CONNECT_TIMEOUT = 3
    settings.SSH_COMMAND_TIMEOUT = 5
    settings.ENROLLMENT_CHECK_SECONDS = 1
    settings.ENROLLMENT_DEADLINE_SECONDS = 30
    handle = run_in_thread(SCENARIO, base_port=0, state_dir=simulator_state_dir(key_cache, tmp_path))
    try:
        import_inventory(yaml.safe_dump(handle.inventory()))
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Enrollment ids that would have gone to the broker (the test runs the job itself)."""
    ids: list[int] = []
    monkeypatch.setattr("pki.enrollment_requests.enqueue_enrollment", ids.append)
    return ids


def poll(name: str) -> None:
    """One whole cycle through the command for one device: poll, store, evaluate, notify."""
    call_command("poll", device=[name], stdout=open("/dev/null", "w"))  # noqa: SIM115


def pending_rows(name: str) -> list[Certificate]:
    """The device's identity requests waiting for the CA, as the poll stored them."""
    return list(
        Certificate.objects.filter(
            device__name=name, role=CertificateRole.IDENTITY, status=CertificateStatus.PENDING, present=True
        )
    )


def cert_pending(name: str) -> list[Alert]:
    return [a for a in open_alerts(AlertKind.CERT_PENDING) if a.device and a.device.name == name]


@pytest.mark.parametrize("name", list(TRUSTPOINTS))
def test_it_fires_cert_pending_for_a_request_the_ca_never_answered_and_resolves_it_on_the_grant(
    network: SimulatorHandle, settings: Any, operator: User, enqueued: list[int], name: str
) -> None:
    trustpoint = TRUSTPOINTS[name]
    poll(name)
    assert cert_pending(name) == []
    before = network.device(name).identity()
    assert before is not None and before.status == "Available"

    # 1. Re-enrollment while the CA cannot be reached: the job fails, the device keeps the request.
    network.set_fault(name, "enroll_stuck")
    client = Client()
    client.force_login(operator)
    answer = client.post(
        "/api/enrollments/",
        {"device": name, "trustpoint": trustpoint, "challenge_password": CHALLENGE},
        content_type="application/json",
    )
    assert answer.status_code == 202, answer.content
    run_enrollment(enqueued[-1])
    job = Enrollment.objects.get(pk=enqueued[-1])
    assert job.state == EnrollmentState.FAILED and "TCP port 80" in job.error, (job.error, job.transcript)
    assert [c.status for c in network.device(name).certificates if c.role == "identity"] == [
        "Available",
        "Pending",
    ]

    # 2. The polls store the request as the device prints it; a fresh request is no alert.
    for _ in range(settings.ALERT_PENDING_POLLS):
        poll(name)
    rows = pending_rows(name)
    assert len(rows) == 1 and rows[0].trustpoint is not None and rows[0].trustpoint.name == trustpoint
    listed = client.get(f"/api/certificates/?device={name}&status=pending").json()
    assert len(listed["results"] if isinstance(listed, dict) else listed) == 1
    assert cert_pending(name) == []
    assert not [m for m in mail.outbox if "Certificate request pending" in m.body]

    # 3. A day later the request is still pending: the evaluation fires the alert at once.
    Certificate.objects.filter(pk=rows[0].pk).update(first_seen=timezone.now() - timedelta(hours=25))
    call_command("evaluate_alerts", stdout=open("/dev/null", "w"))  # noqa: SIM115
    (alert,) = cert_pending(name)
    assert alert.state == AlertState.FIRING and alert.subject == trustpoint
    assert alert.key == f"cert_pending:{name}:{trustpoint}"
    steps = list(AlertEvent.objects.filter(alert=alert).order_by("pk").values_list("new_state", flat=True))
    assert steps == [AlertState.PENDING, AlertState.FIRING]
    announced = [m for m in mail.outbox if "Certificate request pending" in m.body and name in m.body]
    assert len(announced) == 1, [m.body for m in mail.outbox]

    # Polls that still see the request keep the same alert firing, without a second announcement.
    poll(name)
    assert [a.pk for a in cert_pending(name)] == [alert.pk] and cert_pending(name)[
        0
    ].state == AlertState.FIRING
    assert len([m for m in mail.outbox if "Certificate request pending" in m.body and name in m.body]) == 1

    # 4. The CA is reachable again and grants the request; the next poll sees it Available.
    network.clear_fault(name, "enroll_stuck")
    deadline = time.monotonic() + ENROLL_DELAY + 20
    while network.device(name).identity() in (None, before) and time.monotonic() < deadline:
        time.sleep(0.5)
    granted = network.device(name).identity()
    assert granted is not None and granted.status == "Available" and granted.serial != before.serial
    poll(name)
    assert pending_rows(name) == []
    assert Certificate.objects.filter(
        device__name=name, role=CertificateRole.IDENTITY, serial=granted.serial_hex, present=True
    ).exists()
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED and alert.resolved_at is not None
    assert cert_pending(name) == []
    recovery = mail.outbox[-1]
    assert "resolved" in recovery.subject and trustpoint in recovery.body
