"""Requests are validated before anything reaches a device, and one enrollment per device runs at a time."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from devices.models import Device
from pki.choices import EnrollmentState
from pki.enrollment_requests import EnrollmentRefused, request_enrollment
from pki.models import Enrollment, Trustpoint
from simulator import SimulatorHandle
from vpnportal.models import AuditEntry

from .conftest import CHALLENGE

pytestmark = pytest.mark.integration


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("trustpoint", "challenge", "words"),
    [
        ("vpn\nwrite erase", CHALLENGE, "newline, carriage return or other control character"),
        ("vpn\rwrite erase", CHALLENGE, "newline, carriage return or other control character"),
        ("vpn", "pw\nwrite erase", "newline, carriage return or other control character"),
        ("vpn", "pw\r\nreload", "newline, carriage return or other control character"),
        ("vpn", "pw\x1a", "newline, carriage return or other control character"),
        ("vpn write", CHALLENGE, "only letters, digits"),
        ("vpn;end", CHALLENGE, "only letters, digits"),
        ("other", CHALLENGE, "has not reported a trustpoint named 'other'"),
        ("vpn", "two words", "without spaces"),
        ("vpn", "what?", "may not contain '?'"),
    ],
)
def test_it_refuses_unsafe_values_and_sends_nothing(
    trustpoint: str,
    challenge: str,
    words: str,
    sim: SimulatorHandle,
    devices: dict[str, Device],
    operator: User,
    enqueued: list[int],
) -> None:
    with pytest.raises(EnrollmentRefused) as refused:
        request_enrollment(devices["1720-1"], trustpoint, challenge, operator)
    assert words in refused.value.message
    assert not Enrollment.objects.exists() and enqueued == []
    assert sim.received_lines("1720-1") == []  # not even a login


@pytest.mark.django_db
def test_it_refuses_a_pix_enrollment_without_a_challenge(devices: dict[str, Device], operator: User) -> None:
    with pytest.raises(EnrollmentRefused, match="PIX 6 needs a challenge password"):
        request_enrollment(devices["pix520-1"], "cisco", "", operator)


@pytest.mark.django_db
def test_it_queues_one_enrollment_with_its_audit_entry_and_enqueues_on_commit(
    devices: dict[str, Device],
    operator: User,
    enqueued: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = request_enrollment(devices["csr-1"], "SIMCA", CHALLENGE, operator)
    assert enqueued == [enrollment.pk]
    assert enrollment.state == EnrollmentState.QUEUED and enrollment.requested_by == operator
    entry = AuditEntry.objects.get(verb="requested re-enrollment")
    assert entry.user == operator and entry.object_id == str(enrollment.pk)
    with pytest.raises(EnrollmentRefused, match="already has an enrollment in progress"):
        request_enrollment(devices["csr-1"], "SIMCA", CHALLENGE, operator)
    # Another device is not blocked by it.
    request_enrollment(devices["asa-1"], "SIMCA", CHALLENGE, operator)


@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_two_concurrent_requests_through(
    devices: dict[str, Device], operator: User, enqueued: list[int]
) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def request() -> None:
        try:
            barrier.wait(5)
            request_enrollment(devices["1720-1"], "vpn", CHALLENGE, operator)
            outcomes.append("queued")
        except EnrollmentRefused as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes)[1] == "queued" and "already has an enrollment in progress" in sorted(outcomes)[0]
    assert Enrollment.objects.filter(device=devices["1720-1"]).count() == 1
    assert len(enqueued) == 1


@pytest.mark.django_db
def test_it_fails_an_enrollment_whose_worker_was_lost_so_the_device_is_free_again(
    devices: dict[str, Device], operator: User, enqueued: list[int]
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    stuck = request_enrollment(devices["asa-1"], "SIMCA", CHALLENGE, operator)
    Enrollment.objects.filter(pk=stuck.pk).update(
        state=EnrollmentState.RUNNING, deadline=timezone.now() - timedelta(hours=1)
    )
    again = request_enrollment(devices["asa-1"], "SIMCA", CHALLENGE, operator)
    stuck.refresh_from_db()
    assert stuck.state == EnrollmentState.FAILED and "worker lost" in stuck.error
    assert again.state == EnrollmentState.QUEUED


@pytest.mark.django_db
def test_it_only_accepts_trustpoints_still_reported(devices: dict[str, Device], operator: User) -> None:
    Trustpoint.objects.filter(device=devices["csr-1"]).update(present=False)
    with pytest.raises(EnrollmentRefused, match="has not reported"):
        request_enrollment(devices["csr-1"], "SIMCA", CHALLENGE, operator)
