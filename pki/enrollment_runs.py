"""Running a re-enrollment: claim the job, run the platform's dialogue over the device's session, record it.

The claim is a conditional UPDATE (queued -> running) that also wipes the challenge password, so a
duplicated or redelivered task finds nothing to do and never sees it. The transcript and state are
written as the dialogue goes; a job whose worker was lost is failed once its deadline is long past.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from devices.models import Device
from devices.sessions import DeviceSession, SessionError
from devices.tasks import poll_device
from pki.choices import ENROLLMENT_ACTIVE_STATES, EnrollmentState
from pki.dialogues import DialogueFailed, EnrollmentDialogue, dialogue_for
from pki.models import Enrollment
from vpnportal.audit import audit

log = logging.getLogger(__name__)

# A running or pending job whose deadline passed this long ago lost its worker: it is failed on sight.
STALE_GRACE = timedelta(minutes=5)
# The live page reads the transcript from the row: written at most this often while the dialogue runs.
PROGRESS_EVERY_S = 1.0


def expire_stale_enrollments(device: Device | None = None) -> int:
    """Fail active enrollments whose worker is gone (deadline long past); returns how many."""
    now = timezone.now()
    qs = Enrollment.objects.filter(state__in=ENROLLMENT_ACTIVE_STATES, deadline__lt=now - STALE_GRACE)
    if device is not None:
        qs = qs.filter(device=device)
    count = 0
    for enrollment in qs:
        won = Enrollment.objects.filter(pk=enrollment.pk, state=enrollment.state).update(
            state=EnrollmentState.FAILED,
            error="no worker finished this enrollment before its deadline (worker lost?)",
            challenge="",
            finished_at=now,
        )
        if won:
            count += 1
            audit("enrollment failed", obj=enrollment, message="no worker finished it before its deadline")
    return count


def claim(enrollment_id: int) -> tuple[Enrollment | None, str]:
    """queued -> running with a conditional UPDATE that also wipes the challenge; returns (row, challenge).

    The ciphertext is read first and the UPDATE only succeeds while the row is still queued, so a duplicated
    or redelivered task finds nothing to do and never sees the password.
    """
    row = Enrollment.objects.filter(pk=enrollment_id, state=EnrollmentState.QUEUED).first()
    if row is None:
        return None, ""
    secret = row.challenge
    challenge = secret.reveal() if hasattr(secret, "reveal") else str(secret or "")
    now = timezone.now()
    won = Enrollment.objects.filter(pk=enrollment_id, state=EnrollmentState.QUEUED).update(
        state=EnrollmentState.RUNNING,
        challenge="",
        started_at=now,
        deadline=now + timedelta(seconds=settings.ENROLLMENT_DEADLINE_SECONDS),
    )
    if not won:
        return None, ""
    row.refresh_from_db()
    return row, challenge


def _update(enrollment: Enrollment, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(enrollment, name, value)
    Enrollment.objects.filter(pk=enrollment.pk).update(**fields)


def _finish(enrollment: Enrollment, state: str, transcript: str, error: str = "", **fields: Any) -> None:
    _update(enrollment, state=state, transcript=transcript, error=error, finished_at=timezone.now(), **fields)
    verb = "enrollment granted" if state == EnrollmentState.GRANTED else "enrollment failed"
    message = (f"new certificate {enrollment.new_serial}" if state == EnrollmentState.GRANTED else error)[
        :1000
    ]
    audit(
        verb,
        obj=enrollment,
        after={
            "state": state,
            "new_serial": enrollment.new_serial,
            "previous_serial": enrollment.previous_serial,
        },
        message=message,
    )
    log.info("enrollment %s of %s: %s %s", enrollment.pk, enrollment.device.name, state, error)


def run_enrollment(enrollment_id: int) -> Enrollment | None:
    """Carry out a queued enrollment to granted or failed; None when another run already has it.

    1. Claim it (queued -> running), decrypt and wipe the challenge.
    2. Open the session, list the certificates (the serials before), run the platform's dialogue.
    3. Pending: watch the device's messages and list the certificates until a new Available identity
       certificate appears (granted), or a PKI error or the deadline ends it (failed, with the reason).
    4. Granted: save the configuration, audit the outcome, and queue a poll of the device (see
       `queue_poll`) so the pages show the new certificate and the expiry alert can resolve.
    """
    enrollment, challenge = claim(enrollment_id)
    if enrollment is None:
        return None
    device = enrollment.device
    dialogue: EnrollmentDialogue | None = None
    last_save = 0.0

    def save_progress(transcript: str) -> None:
        nonlocal last_save
        if time.monotonic() - last_save >= PROGRESS_EVERY_S:
            last_save = time.monotonic()
            _update(enrollment, transcript=transcript)

    try:
        with DeviceSession(device) as session:
            dialogue = dialogue_for(session, enrollment.trustpoint, challenge, on_progress=save_progress)
            challenge = ""
            before = dialogue.check_certificates()
            previous = before.serials
            _update(enrollment, previous_serial=",".join(sorted(previous))[:64])
            dialogue.request()
            _update(enrollment, state=EnrollmentState.PENDING, transcript=dialogue.transcript.text())
            remaining = (enrollment.deadline - timezone.now()).total_seconds() if enrollment.deadline else 0
            serial = dialogue.wait_for_grant(
                previous,
                deadline=time.monotonic() + max(0.0, remaining),
                check_every=float(settings.ENROLLMENT_CHECK_SECONDS),
            )
            _update(enrollment, new_serial=serial)
            dialogue.transcript.note(f"granted: new certificate {serial}; saving the configuration")
            dialogue.save()
            dialogue.transcript.note("configuration saved")
    except (DialogueFailed, SessionError) as exc:
        # The device's words may quote our own line back (the PIX echoes `ca enroll TP PASSWORD`).
        reason = dialogue.transcript.redact(exc.reason) if dialogue else exc.reason
        transcript = dialogue.transcript.text() if dialogue else ""
        _finish(enrollment, EnrollmentState.FAILED, transcript, reason)
        return enrollment
    except Exception as exc:
        # A bug or a time limit must still end the job, or the device stays blocked until the deadline.
        transcript = dialogue.transcript.text() if dialogue else ""
        _finish(enrollment, EnrollmentState.FAILED, transcript, f"internal error: {type(exc).__name__}")
        log.exception("enrollment %s failed unexpectedly", enrollment.pk)
        raise
    dialogue.transcript.note(
        f"a poll of {device.name} is queued: the pages show the new certificate after it"
    )
    _finish(enrollment, EnrollmentState.GRANTED, dialogue.transcript.text())
    queue_poll(device)
    return enrollment


def queue_poll(device: Device) -> None:
    """Once committed, queue the poll task a manual poll runs (no slot), so it never overlaps another poll.

    The poll claims its own slot (devices.tasks.poll_device moves next_poll_at forward with a conditional
    UPDATE), stores the new certificate and re-judges the device's tunnels; the next alert evaluation (beat,
    every minute) resolves the expiry alert. The enrollment is granted whatever becomes of the poll: a
    broker that refuses it is only logged, and the device's next scheduled poll shows the certificate.
    """
    device_id, name = device.pk, device.name

    def send() -> None:
        try:
            poll_device.apply_async(args=(device_id,))
        except Exception:
            log.exception("could not queue the poll of %s after its enrollment", name)

    transaction.on_commit(send)
