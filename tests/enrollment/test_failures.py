"""Enrollments that cannot succeed end failed with the reason, and leave the device as it was."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.contrib.auth.models import User

from devices.models import Device
from pki.choices import EnrollmentState
from pki.enrollment_requests import request_enrollment
from pki.enrollment_runs import run_enrollment
from pki.models import Enrollment
from simulator import SimulatorHandle
from simulator import enroll as sim_enroll

from .conftest import CHALLENGE, TRUSTPOINTS, sent_lines

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

SAVES = ("line: write memory", "line: ca save all", "line: copy running-config startup-config")
# Anything that would remove keys, certificates or trustpoints: never sent, whatever happens.
FORBIDDEN = ("zeroize", "no crypto", "no ca ", "write erase", "erase", "reload")


def enroll(devices: dict[str, Device], name: str, user: User, challenge: str = CHALLENGE) -> Enrollment:
    enrollment = request_enrollment(devices[name], TRUSTPOINTS[name], challenge, user)
    run_enrollment(enrollment.pk)
    enrollment.refresh_from_db()
    return enrollment


def assert_untouched(sim: SimulatorHandle, name: str, identity_before: Any) -> None:
    """No save, nothing destructive, the old certificate still in place, configuration mode left."""
    lines = sent_lines(sim, name)
    assert not [line for line in lines if line in SAVES], lines
    assert not [line for line in lines if any(word in line.lower() for word in FORBIDDEN)], lines
    after = sim.device(name).identity()
    assert after is not None and identity_before is not None
    assert after.serial == identity_before.serial and after.status == "Available"
    assert sim.device(name).saved_config
    entered = lines.index("line: configure terminal")
    assert "line: end" in lines[entered:], lines


def test_it_fails_with_the_reason_when_the_ca_is_unreachable_on_tcp_80(
    sim: SimulatorHandle, devices: dict[str, Device], operator: User, enqueued: list[int]
) -> None:
    sim.set_fault("1720-1", "enroll_stuck")
    before = sim.device("1720-1").identity()
    enrollment = enroll(devices, "1720-1", operator)
    assert enrollment.state == EnrollmentState.FAILED
    assert "TCP port 80" in enrollment.error
    assert "CRYPTO_PKI" in enrollment.error  # the device's own words
    assert enrollment.finished_at is not None and enrollment.challenge == ""
    assert "failed to send out the pki message" in enrollment.transcript
    assert_untouched(sim, "1720-1", before)


def test_it_fails_when_the_ca_rejects_a_wrong_challenge_password(
    sim: SimulatorHandle, devices: dict[str, Device], operator: User, enqueued: list[int]
) -> None:
    sim.device("csr-1").extra["ca_challenge"] = "the-right-one"
    before = sim.device("csr-1").identity()
    enrollment = enroll(devices, "csr-1", operator, challenge="the-wrong-one")
    assert enrollment.state == EnrollmentState.FAILED
    assert "rejected" in enrollment.error and "CERTREJECT" in enrollment.error
    assert not enrollment.new_serial
    assert_untouched(sim, "csr-1", before)


def test_it_fails_at_the_deadline_when_the_ca_never_answers(
    sim: SimulatorHandle, devices: dict[str, Device], operator: User, enqueued: list[int], settings: Any
) -> None:
    settings.ENROLLMENT_DEADLINE_SECONDS = 4
    sim.device("asa-1").enroll_delay = 100_000
    before = sim.device("asa-1").identity()
    enrollment = enroll(devices, "asa-1", operator)
    assert enrollment.state == EnrollmentState.FAILED
    assert "deadline" in enrollment.error
    assert_untouched(sim, "asa-1", before)


@pytest.mark.parametrize(
    ("question", "declined"),
    [
        ("% Zeroize the existing RSA keys first? [yes/no]: ", "line: no"),
        # Not a yes/no question: Ctrl-C (which the simulator drops) and an empty line.
        ("% Enter the key modulus [512]: ", "line: "),
    ],
)
def test_it_declines_an_unexpected_question_and_leaves_configuration_mode(
    question: str,
    declined: str,
    sim: SimulatorHandle,
    devices: dict[str, Device],
    operator: User,
    enqueued: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def asks_something_else(session: Any, args: list[str]) -> None:
        session.write("%\n% Start certificate enrollment ..\n")
        answer = await session.ask(question)
        if answer.strip().lower() in ("y", "yes", "512"):
            session.write("% Keys zeroized.\n")

    monkeypatch.setattr(sim_enroll, "run", asks_something_else)
    before = sim.device("1720-1").identity()
    enrollment = enroll(devices, "1720-1", operator)
    assert enrollment.state == EnrollmentState.FAILED
    assert "unexpected question" in enrollment.error and question.strip() in enrollment.error
    lines = sent_lines(sim, "1720-1")
    dialogue = lines[lines.index("line: crypto pki enroll vpn") :]
    assert dialogue[:4] == [
        "line: crypto pki enroll vpn",
        "line: crypto ca enroll vpn",
        declined,
        "line: end",
    ]
    assert "line: exit" in dialogue
    assert "Keys zeroized" not in enrollment.transcript
    assert sim.device("1720-1").enrollment is None
    assert_untouched(sim, "1720-1", before)


def test_it_fails_on_a_device_that_stops_answering_mid_dialogue(
    sim: SimulatorHandle,
    devices: dict[str, Device],
    operator: User,
    enqueued: list[int],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.SSH_COMMAND_TIMEOUT = 2

    async def falls_silent(session: Any, args: list[str]) -> None:
        session.write("%\n% Start certificate enrollment ..\n")
        while not session.closed:  # silent until the client gives up
            await asyncio.sleep(0.1)

    monkeypatch.setattr(sim_enroll, "run", falls_silent)
    before = sim.device("asa-1").identity()
    enrollment = enroll(devices, "asa-1", operator)
    assert enrollment.state == EnrollmentState.FAILED
    assert "no answer from the device within 2 s" in enrollment.error
    lines = sent_lines(sim, "asa-1")
    assert "challenge-password" not in " ".join(lines)
    assert not [line for line in lines if line in SAVES]
    assert sim.device("asa-1").identity() is before
    assert sim.device("asa-1").enrollment is None


def test_it_reports_a_trustpoint_the_device_does_not_know(
    sim: SimulatorHandle, devices: dict[str, Device], operator: User, enqueued: list[int]
) -> None:
    from pki.models import Trustpoint

    Trustpoint.objects.create(device=devices["pix520-1"], name="gone")
    before = sim.device("pix520-1").identity()
    enrollment = request_enrollment(devices["pix520-1"], "gone", CHALLENGE, operator)
    run_enrollment(enrollment.pk)
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.FAILED
    assert "unknown CA identity gone" in enrollment.error
    assert_untouched(sim, "pix520-1", before)


def test_it_runs_a_claimed_enrollment_only_once(
    sim: SimulatorHandle, devices: dict[str, Device], operator: User, enqueued: list[int]
) -> None:
    enrollment = request_enrollment(devices["csr-1"], "SIMCA", CHALLENGE, operator)
    assert run_enrollment(enrollment.pk) is not None
    assert run_enrollment(enrollment.pk) is None  # a duplicated or redelivered message
    assert sum(1 for line in sent_lines(sim, "csr-1") if "enroll" in line) == 1
