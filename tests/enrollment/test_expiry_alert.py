"""A certificate about to expire raises cert_expiring; its re-enrollment resolves the alert."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User

from devices.inventory import import_inventory
from devices.models import Device, Poll
from devices.tasks import poll_device
from pki.choices import EnrollmentState
from pki.enrollment_requests import request_enrollment
from pki.enrollment_runs import run_enrollment
from simulator import SimulatorHandle, run_in_thread
from tests.services import simulator_state_dir
from vpnportal.choices import OPEN_ALERT_STATES, AlertKind, AlertState
from vpnportal.models import Alert
from vpnportal.tasks import evaluate_alerts

from .conftest import CHALLENGE

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def expiring(key_cache: Path, tmp_path: Path) -> Iterator[SimulatorHandle]:
    """csr-1 whose certificate has five days left on today's calendar."""
    scenario = {
        "clock": {"start": "now", "speed": 1.0},
        "defaults": {"enroll_delay": 2},
        "devices": [{"name": "csr-1", "persona": "ios15", "validity": {"cert_days_left": 5}}],
    }
    handle = run_in_thread(scenario, state_dir=simulator_state_dir(key_cache, tmp_path))
    try:
        yield handle
    finally:
        handle.stop()


def test_it_resolves_the_expiry_alert_once_the_new_certificate_is_polled(
    expiring: SimulatorHandle,
    quick: None,
    operator: User,
    enqueued: list[int],
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    import_inventory(yaml.safe_dump(expiring.inventory(), sort_keys=False))
    device = Device.objects.get(name="csr-1")
    # The tasks production runs: a poll, then beat's alert evaluation.
    poll_device(device.pk)
    evaluate_alerts()
    alert = Alert.objects.get(device=device, kind=AlertKind.CERT_EXPIRING)
    assert alert.state in OPEN_ALERT_STATES
    enrollment = request_enrollment(device, "SIMCA", CHALLENGE, operator)
    # The job commits its outcome, then the poll it queued runs (eagerly, as a poll worker would).
    with django_capture_on_commit_callbacks(execute=True):
        run_enrollment(enrollment.pk)
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.GRANTED, enrollment.error
    assert Poll.objects.filter(device=device).count() == 2
    # The enrollment evaluates no alert itself: the next evaluation sees the polled certificate.
    alert.refresh_from_db()
    assert alert.state in OPEN_ALERT_STATES
    evaluate_alerts()
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
