"""A device with a trustpoint (CA certificate authenticated) but no identity certificate yet is enrolled.

The scenario's `enrolled: false` gives each persona only its CA (and RA) certificates: the seed before its
first `crypto ca enroll`. The operator finds the trustpoint on the device page after a poll, requests the
enrollment through the API, the device's own dialogue runs without a re-enroll question, and the new
certificate is on the API after the poll the grant queues.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from devices.choices import PollStatus
from devices.inventory import import_inventory
from devices.models import Device, Poll
from pki.choices import EnrollmentState
from pki.enrollment_runs import run_enrollment
from pki.models import Certificate, Enrollment
from simulator import SimulatorHandle, run_in_thread
from tests.services import simulator_state_dir

from .conftest import CHALLENGE, TRUSTPOINTS, scenario, sent_lines
from .test_dialogues import SAVES  # the save after enrolling is the same for a first enrollment

# The poll command works in threads of its own: they must see the committed inventory.
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# What each device receives from `configure terminal` to `end`: the re-enroll dialogue without its first
# question (a device with no certificate for the trustpoint does not ask `Re-enroll?`); then the save.
DIALOGUES = {
    "1720-1": [
        "line: configure terminal",
        "line: crypto ca enroll vpn",  # the poll learnt that IOS 12.2 speaks only the `ca` form
        f"challenge-password: {CHALLENGE}",
        f"challenge-password: {CHALLENGE}",
        "line: no",
        "line: no",
        "line: yes",
        "line: end",
    ],
    "pix520-1": ["line: configure terminal", f"line: ca enroll cisco {CHALLENGE}", "line: end"],
    "csr-1": [
        "line: configure terminal",
        "line: crypto pki enroll SIMCA",
        f"challenge-password: {CHALLENGE}",
        f"challenge-password: {CHALLENGE}",
        "line: no",
        "line: no",
        "line: yes",
        "line: end",
    ],
    "asa-1": [
        "line: configure terminal",
        "line: crypto ca enroll SIMCA",
        f"challenge-password: {CHALLENGE}",
        f"challenge-password: {CHALLENGE}",
        "line: no",
        "line: yes",
        "line: end",
    ],
}


@pytest.fixture
def unenrolled(key_cache: Path, tmp_path: Path, quick: None) -> Iterator[SimulatorHandle]:
    """The four personas with their trustpoint's CA certificate and no identity certificate, imported."""
    data = scenario()
    for device in data["devices"]:
        device["enrolled"] = False
    data["tunnels"] = []  # no certificate, no phase 1: the tunnels are not what this is about
    handle = run_in_thread(data, state_dir=simulator_state_dir(key_cache, tmp_path))
    try:
        import_inventory(yaml.safe_dump(handle.inventory(), sort_keys=False))
        yield handle
    finally:
        handle.stop()


def poll(name: str) -> None:
    """One cycle of the poll command for one device."""
    call_command("poll", device=[name], stdout=open("/dev/null", "w"))  # noqa: SIM115


def identity_serials(client: Client, name: str) -> set[str]:
    """Serials of the device's identity certificates as the API lists them."""
    body: Any = client.get(f"/api/certificates/?device={name}&role=identity").json()
    rows = body["results"] if isinstance(body, dict) else body
    return {row["serial"] for row in rows}


def typed_dialogue(sim: SimulatorHandle, name: str) -> list[str]:
    """The enrollment session's lines from its `configure terminal` on, without listings and logouts."""
    lines = [line for line in sent_lines(sim, name) if line.startswith(("line: ", "challenge-password: "))]
    typed = [line for line in lines if "show " not in line and line not in ("line: ", "line: exit")]
    start = max(
        i
        for i, line in enumerate(typed)
        if line == "line: configure terminal" and i + 1 < len(typed) and "enroll" in typed[i + 1]
    )
    return typed[start:]


@pytest.mark.parametrize("name", list(TRUSTPOINTS))
def test_it_enrolls_a_trustpoint_that_has_no_identity_certificate_yet(
    name: str, unenrolled: SimulatorHandle, operator: User, enqueued: list[int], eager_tasks: None
) -> None:
    trustpoint = TRUSTPOINTS[name]
    assert unenrolled.device(name).identity() is None
    poll(name)
    device = Device.objects.get(name=name)
    client = Client()
    client.force_login(operator)
    # The poll found the trustpoint and its CA certificate, and no identity certificate.
    assert Certificate.objects.filter(device=device, role="ca", present=True).exists()
    assert identity_serials(client, name) == set()
    # The device page offers the enrollment next to the trustpoint, and the form lists it.
    page = client.get(f"/devices/{device.pk}/").content.decode()
    assert f"/enroll/?device={device.pk}&amp;trustpoint={trustpoint}" in page
    # No identity certificate yet: the button offers a first enrollment, not a re-enrollment.
    assert ">Enroll</a>" in page and ">Re-enroll</a>" not in page
    form = client.get(f"/enroll/?device={device.pk}&trustpoint={trustpoint}")
    assert form.status_code == 200 and f'value="{trustpoint}"' in form.content.decode()

    answer = client.post(
        "/api/enrollments/",
        {"device": name, "trustpoint": trustpoint, "challenge_password": CHALLENGE},
        content_type="application/json",
    )
    assert answer.status_code == 202, answer.content
    job_id = answer.json()["id"]
    assert enqueued == [job_id]
    # Committed at once (transaction=True): the poll the job queues after the grant runs when it ends.
    run_enrollment(job_id)

    enrollment = Enrollment.objects.get(pk=job_id)
    assert enrollment.state == EnrollmentState.GRANTED, (enrollment.error, enrollment.transcript)
    assert enrollment.previous_serial == ""
    granted = unenrolled.device(name).identity()
    assert granted is not None and granted.status == "Available"
    assert enrollment.new_serial == granted.serial_hex
    assert unenrolled.device(name).saved_config
    # The device's own first-enrollment dialogue: no re-enroll question, nothing else typed.
    typed = typed_dialogue(unenrolled, name)
    dialogue, saves = DIALOGUES[name], SAVES[name]
    assert typed[: len(dialogue) + len(saves)] == dialogue + saves, typed
    assert "Re-enroll" not in enrollment.transcript and CHALLENGE not in enrollment.transcript
    # The poll queued after the grant put the new certificate on the API, on the trustpoint.
    assert Poll.objects.filter(device=device, status=PollStatus.OK).count() == 2
    assert identity_serials(client, name) == {granted.serial_hex}
    row = Certificate.objects.get(device=device, role="identity", present=True)
    assert row.status == "available" and row.trustpoint is not None and row.trustpoint.name == trustpoint
    job = client.get(f"/api/enrollments/{job_id}/").json()
    assert job["state"] == "granted" and job["new_serial"] == granted.serial_hex and job["error"] == ""
