"""Each platform's dialogue over SSH ends granted: the new serial in the API, configuration saved, nothing else sent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from devices.choices import PollStatus
from devices.models import Device, Poll
from pki.choices import EnrollmentState
from pki.enrollment_requests import request_enrollment
from pki.enrollment_runs import run_enrollment
from simulator import SimulatorHandle
from vpnportal.models import AuditEntry

from .conftest import CHALLENGE, TRUSTPOINTS, sent_lines

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

# What each device receives, in order, from `configure terminal` on (challenge answers are logged by kind).
DIALOGUES = {
    "1720-1": [
        "line: configure terminal",
        "line: crypto pki enroll vpn",  # IOS 12.2 rejects the pki form: the ca form follows
        "line: crypto ca enroll vpn",
        "line: yes",
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
        "line: yes",
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
        "line: yes",
        f"challenge-password: {CHALLENGE}",
        f"challenge-password: {CHALLENGE}",
        "line: no",
        "line: yes",
        "line: end",
    ],
}
SAVES = {
    "1720-1": ["line: write memory"],
    "pix520-1": ["line: configure terminal", "line: ca save all", "line: write memory", "line: end"],
    "csr-1": ["line: write memory"],
    "asa-1": ["line: write memory"],
}
SHOWN = {
    "1720-1": "crypto ca enroll vpn",
    "pix520-1": "ca enroll cisco ********",
    "csr-1": "crypto pki enroll SIMCA",
    "asa-1": "crypto ca enroll SIMCA",
}


def _session_lines(sim: SimulatorHandle, name: str) -> list[str]:
    """The enrollment session's lines after login, without the certificate listings."""
    lines = sent_lines(sim, name)
    first_exit = lines.index("line: exit")  # the enrollment's own session ends before the poll's
    return [line for line in lines[:first_exit] if line.startswith(("line: ", "challenge-password: "))]


@pytest.mark.parametrize("name", list(TRUSTPOINTS))
def test_a_grant_message_after_the_prompt_of_a_certificate_check_does_not_stall_it(
    name: str,
    sim: SimulatorHandle,
    devices: dict[str, Device],
    operator: User,
    enqueued: list[int],
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The device announces the grant whenever the CA answers: also just after the prompt that ends a
    # certificate listing the dialogue asked for.
    sim.set_fault(
        name,
        "log_after_prompt",
        action="show_certificates",
        message="The certificate has been granted by CA!",
    )
    enrollment = request_enrollment(devices[name], TRUSTPOINTS[name], CHALLENGE, operator)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_enrollment(enrollment.pk) is not None
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.GRANTED, (enrollment.error, enrollment.transcript)


@pytest.mark.parametrize("name", list(TRUSTPOINTS))
def test_it_enrolls_each_platform_to_granted(
    name: str,
    sim: SimulatorHandle,
    devices: dict[str, Device],
    operator: User,
    enqueued: list[int],
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    before = sim.device(name).identity()
    enrollment = request_enrollment(devices[name], TRUSTPOINTS[name], CHALLENGE, operator)
    # The job commits its outcome, then the poll it queued runs (eagerly, as a poll worker would).
    with django_capture_on_commit_callbacks(execute=True):
        assert run_enrollment(enrollment.pk) is not None
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.GRANTED, (enrollment.error, enrollment.transcript)
    after = sim.device(name).identity()
    assert after is not None and after.status == "Available" and before is not None
    assert after.serial != before.serial
    assert sim.device(name).saved_config

    # Exactly the dialogue, then the save: nothing else was typed into the configuration.
    typed = [
        line
        for line in _session_lines(sim, name)
        if "show " not in line and line not in ("line: ", "line: exit")
    ]
    dialogue = DIALOGUES[name]
    # (find the configuration mode that is followed by the enroll command)
    start = next(i for i in range(len(typed) - 1) if typed[i : i + 2] == dialogue[:2])
    assert typed[start : start + len(dialogue)] == dialogue
    assert typed[start + len(dialogue) :] == SAVES[name]

    # The transcript shows the device's side with the password masked.
    assert SHOWN[name] in enrollment.transcript and CHALLENGE not in enrollment.transcript
    assert "Certificate request sent to Certificate Authority" in enrollment.transcript

    # The API: the job's new serial, and the device's certificate list after the poll it queued.
    (poll,) = Poll.objects.filter(device=devices[name])
    assert poll.status == PollStatus.OK, poll.reason
    client = Client()
    client.force_login(operator)
    job = client.get(f"/api/enrollments/{enrollment.pk}/").json()
    assert job["state"] == "granted" and job["new_serial"] == after.serial_hex and job["error"] == ""
    certificates = client.get(f"/api/certificates/?device={name}&role=identity").json()
    rows = certificates["results"] if isinstance(certificates, dict) else certificates
    assert after.serial_hex in {row["serial"] for row in rows}
    entries = AuditEntry.objects.filter(object_type="pki.enrollment", object_id=str(enrollment.pk))
    verbs = list(entries.values_list("verb", flat=True))
    assert sorted(verbs) == ["enrollment granted", "requested re-enrollment"]


def test_it_waits_for_a_question_that_arrives_in_two_pieces(
    sim: SimulatorHandle,
    devices: dict[str, Device],
    operator: User,
    enqueued: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from simulator.session import CliSession

    async def ask_slowly(self: CliSession, prompt: str, echo: bool = True, kind: str = "line") -> str:
        cut = prompt.find("?") + 1 or len(prompt) // 2
        self.write(prompt[:cut])
        await asyncio.sleep(0.3)  # a slow link: the question mark comes before the choices
        self.write(prompt[cut:])
        return await self.readline(echo=echo, kind=kind)

    monkeypatch.setattr(CliSession, "ask", ask_slowly)
    enrollment = request_enrollment(devices["1720-1"], "vpn", CHALLENGE, operator)
    run_enrollment(enrollment.pk)
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.GRANTED, (enrollment.error, enrollment.transcript)
