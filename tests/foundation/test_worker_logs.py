"""A real worker polls and enrolls against the simulator: no device secret in anything it writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import yaml
from django.contrib.auth.models import User

from devices.inventory import import_inventory
from devices.models import Device, Poll
from devices.tasks import poll_device
from pki import enrollment_requests
from pki.choices import EnrollmentState
from pki.enrollment_requests import request_enrollment
from pki.models import Enrollment, Trustpoint
from simulator import SimulatorHandle, run_in_thread
from tests.services import (
    TEST_REDIS_URL,
    celery_worker_process,
    four_personas_scenario,
    simulator_state_dir,
    wait_for,
)
from vpnportal.celery import app

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

# Distinctive per device, so a hit names the device and the kind of secret.
SECRETS = {
    "1720-1": ("Rtr1720-Pw-q8Zt", "Rtr1720-En-k3Vw"),
    "pix520-1": ("Pix520-Pw-u2Lm", "Pix520-En-j7Qs"),
    "csr-1": ("Csr1-Pw-e5Rb", "Csr1-En-y9Tc"),
    "asa-1": ("Asa1-Pw-h4Nd", "Asa1-En-w6Pf"),
}
CHALLENGE = "Chal-Worker-5xGz"
TRUSTPOINTS = {"pix520-1": "cisco", "asa-1": "SIMCA"}
WORKER_ENV = {
    "VPNPORTAL_LOG_LEVEL": "DEBUG",
    "LOG_FORMAT": "json",
    "ENROLLMENT_CHECK_SECONDS": "1",
    "ENROLLMENT_DEADLINE_SECONDS": "60",
    "SSH_CONNECT_TIMEOUT": "5",
    "SSH_COMMAND_TIMEOUT": "20",
}


@pytest.fixture
def sim(key_cache: Path, tmp_path: Path) -> Iterator[SimulatorHandle]:
    handle = run_in_thread(
        four_personas_scenario(SECRETS), state_dir=simulator_state_dir(key_cache, tmp_path)
    )
    try:
        yield handle
    finally:
        handle.stop()


def written_by_processes(tmp_path: Path) -> str:
    """Every log file of this test: the worker's stdout and stderr (one file) and anything else written."""
    return "\n".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))


def test_the_worker_logs_no_device_secret_while_polling_and_enrolling(
    sim: SimulatorHandle, operator: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_inventory(yaml.safe_dump(sim.inventory(), sort_keys=False))
    devices = {d.name: d for d in Device.objects.all()}
    for name, trustpoint in TRUSTPOINTS.items():
        Trustpoint.objects.get_or_create(device=devices[name], name=trustpoint)
    # One poll fails at login with the device's own error text: the failure paths log too.
    sim.set_fault("csr-1", "wrong_password")
    log = tmp_path / "worker.log"
    with (
        celery_worker_process(concurrency=2, extra_env=WORKER_ENV, log=log) as (_, queue),
        app.connection_for_write(TEST_REDIS_URL) as conn,
    ):
        for device in devices.values():
            poll_device.apply_async(args=(device.pk,), queue=queue, connection=conn)  # type: ignore[call-arg]
        real_enqueue = enrollment_requests.enqueue_enrollment
        monkeypatch.setattr(
            enrollment_requests,
            "enqueue_enrollment",
            lambda pk: real_enqueue(pk, queue=queue, connection=conn),
        )
        # After the polls: two sessions to one simulated device at once on a loaded machine can outlast the
        # command timeout, which is not what this test is about.
        wait_for(lambda: Poll.objects.filter(finished_at__isnull=False).count() >= len(devices), 120)
        enrollments = [
            request_enrollment(devices[name], trustpoint, CHALLENGE, operator)
            for name, trustpoint in TRUSTPOINTS.items()
        ]
        wait_for(
            lambda: (
                Enrollment.objects.filter(
                    pk__in=[e.pk for e in enrollments],
                    state__in=[EnrollmentState.GRANTED, EnrollmentState.FAILED],
                ).count()
                == len(enrollments)
            ),
            120,
        )
    states = dict(Enrollment.objects.values_list("device__name", "state"))
    errors = list(Enrollment.objects.values_list("device__name", "error"))
    assert states == {"pix520-1": EnrollmentState.GRANTED, "asa-1": EnrollmentState.GRANTED}, errors
    assert Poll.objects.filter(device__name="csr-1", status="failed").exists()
    text = written_by_processes(tmp_path)
    assert "ready." in text and "pki.tasks.run_enrollment" in text and "devices.tasks.poll_device" in text
    secrets = [s for pair in SECRETS.values() for s in pair] + [CHALLENGE]
    assert [s for s in secrets if s in text] == []
    # The secrets were really sent: a test that logged nothing would pass the line above too.
    assert any(CHALLENGE in line for line in sim.received_lines("pix520-1"))
    # The worker wrote structured lines, tied to the work in hand.
    entries = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert entries, text[-2000:]
    polled = [e for e in entries if e.get("poll_id") and e.get("device_id") and e.get("task_id")]
    enrolled = [e for e in entries if e.get("enrollment_id") and e.get("device_id") and e.get("task_id")]
    assert polled and enrolled, text[-3000:]
    assert {e["device_id"] for e in enrolled} <= {devices[n].pk for n in TRUSTPOINTS}
    # The polls the grants queued for the default queue: no worker of this test reads it.
    redis.Redis.from_url(TEST_REDIS_URL).delete(app.conf.task_default_queue)
