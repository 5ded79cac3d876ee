"""Each platform's dialogue over SSH ends granted: new serial, configuration saved, nothing else sent."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from devices.models import Device
from devices.simulator import SimulatorHandle
from pki.choices import EnrollmentState
from pki.enrollment import request_enrollment, run_enrollment

from .conftest import CHALLENGE, TRUSTPOINTS, sent_lines

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

ENROLL_COMMAND = {
    "1720-1": "crypto ca enroll vpn",
    "pix520-1": "ca enroll cisco ********",
    "csr-1": "crypto pki enroll SIMCA",
    "asa-1": "crypto ca enroll SIMCA",
}


@pytest.mark.parametrize("name", list(TRUSTPOINTS))
def test_it_enrolls_each_platform_to_granted(
    name: str, sim: SimulatorHandle, devices: dict[str, Device], operator: User, enqueued: list[int]
) -> None:
    before = sim.device(name).identity()
    enrollment = request_enrollment(devices[name], TRUSTPOINTS[name], CHALLENGE, operator)
    done = run_enrollment(enrollment.pk)
    assert done is not None
    done.refresh_from_db()
    assert done.state == EnrollmentState.GRANTED, (done.error, done.transcript)
    after = sim.device(name).identity()
    assert after is not None and after.status == "Available"
    assert before is None or after.serial != before.serial
    assert done.new_serial == after.serial_hex.upper()
    assert sim.device(name).saved_config
    assert CHALLENGE not in done.transcript
    assert ENROLL_COMMAND[name] in done.transcript
    print(done.transcript)
    print(sent_lines(sim, name))
