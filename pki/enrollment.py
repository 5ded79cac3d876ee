"""Re-enrollment jobs: request one (validated, audited, queued on commit), run one (claimed, tracked to the end).

The challenge password crosses from the request to the worker only as ciphertext in `Enrollment.challenge`
(Fernet, like device credentials); the task message carries the enrollment id alone, and the worker wipes
the column in the same UPDATE that claims the job. Nothing else ever holds the password: not the
transcript (every occurrence becomes ********), not the audit entry, not a log line.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from devices.choices import Platform
from devices.models import Device
from devices.sessions import DeviceSession, SessionError
from pki.choices import ENROLLMENT_ACTIVE_STATES, EnrollmentState
from pki.enroll import DialogueFailed, EnrollmentDialogue
from pki.models import Enrollment, Trustpoint
from vpnportal.audit import audit
from vpnportal.choices import AuditAction

log = logging.getLogger(__name__)

# Trustpoint names as IOS, PIX and ASA accept them, and nothing that could carry a second command.
TRUSTPOINT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# The challenge is typed at a prompt (IOS, ASA) or is a word of the command line (PIX `ca enroll TP PW`).
CHALLENGE_RE = re.compile(r"^[\x21-\x7e]{1,64}$")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A running or pending job whose deadline passed this long ago lost its worker: it is failed on sight.
STALE_GRACE = timedelta(minutes=5)
PROGRESS_EVERY_S = 1.0


class EnrollmentRefused(ValueError):
    """A request that was not accepted; nothing was sent to the device. `field` names the culprit."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# -- requesting ------------------------------------------------------------------------------------------


def _no_control(value: str, field: str, label: str) -> None:
    if CONTROL_RE.search(value):
        raise EnrollmentRefused(
            f"{label} contains a newline, carriage return or other control character; refused, nothing was sent",
            field,
        )


def validate_request(device: Device, trustpoint: str, challenge: str) -> None:
    """Raise EnrollmentRefused unless every value may safely reach the device's CLI."""
    _no_control(trustpoint, "trustpoint", "The trustpoint name")
    _no_control(challenge, "challenge_password", "The challenge password")
    if not TRUSTPOINT_RE.match(trustpoint):
        raise EnrollmentRefused(
            "The trustpoint name may contain only letters, digits, '.', '_' and '-' (at most 64).",
            "trustpoint",
        )
    if not Trustpoint.objects.filter(device=device, name=trustpoint, present=True).exists():
        raise EnrollmentRefused(
            f"{device.name} has not reported a trustpoint named {trustpoint!r}.", "trustpoint"
        )
    if not challenge and device.platform == Platform.CISCO_PIX:
        raise EnrollmentRefused(
            "PIX 6 needs a challenge password (`ca enroll TP PASSWORD`).", "challenge_password"
        )
    if challenge and not CHALLENGE_RE.match(challenge):
        raise EnrollmentRefused(
            "The challenge password may contain only printable ASCII characters without spaces (at most 64).",
            "challenge_password",
        )
    if "?" in challenge:
        # `?` asks the CLI for help instead of being typed.
        raise EnrollmentRefused("The challenge password may not contain '?'.", "challenge_password")


def active_enrollment(device: Device) -> Enrollment | None:
    """The device's queued, running or pending enrollment, if any."""
    return Enrollment.objects.filter(device=device, state__in=ENROLLMENT_ACTIVE_STATES).first()


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


def request_enrollment(device: Device, trustpoint: str, challenge: str, user: Any) -> Enrollment:
    """Validate, create the queued Enrollment and its audit entry in one transaction, enqueue on commit.

    1. Validate every value (EnrollmentRefused says why; nothing reaches the device).
    2. Fail enrollments of this device whose worker was lost.
    3. Insert the row: the partial unique constraint lets one active enrollment per device through.
    4. Audit the request, and enqueue the id once the transaction commits.
    """
    validate_request(device, trustpoint, challenge)
    expire_stale_enrollments(device)
    now = timezone.now()
    with transaction.atomic():
        current = active_enrollment(device)
        if current is not None:
            raise EnrollmentRefused(
                f"{device.name} already has an enrollment in progress (#{current.pk}, {current.state}).",
                "device",
            )
        try:
            with transaction.atomic():
                enrollment = Enrollment.objects.create(
                    device=device,
                    trustpoint=trustpoint,
                    requested_by=user if getattr(user, "is_authenticated", False) else None,
                    challenge=challenge,
                    created_at=now,
                    deadline=now + timedelta(seconds=settings.ENROLLMENT_DEADLINE_SECONDS),
                )
        except IntegrityError:
            raise EnrollmentRefused(
                f"{device.name} already has an enrollment in progress.", "device"
            ) from None
        audit(
            "requested re-enrollment",
            user=user,
            obj=enrollment,
            action=AuditAction.ACTION,
            after={"device": device.name, "trustpoint": trustpoint, "state": enrollment.state},
            message=f"re-enroll {device.name} trustpoint {trustpoint}",
        )
        enrollment_id = enrollment.pk
        transaction.on_commit(lambda: enqueue_enrollment(enrollment_id))
    log.info("enrollment %s queued for %s trustpoint %s", enrollment_id, device.name, trustpoint)
    return enrollment


def enqueue_enrollment(enrollment_id: int, **options: Any) -> None:
    """Wake a worker: the message carries the id only (`ENROLLMENT_QUEUE` picks a queue, else the default)."""
    from pki.tasks import run_enrollment as task

    queue = settings.ENROLLMENT_QUEUE
    if queue:
        options.setdefault("queue", queue)
    task.apply_async(args=(enrollment_id,), **options)


# -- running -------------------------------------------------------------------------------------------


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
    4. Granted: save the configuration, poll the device so the pages show the new certificate,
       evaluate the alert rules (the expiry alert resolves), audit the outcome.
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
            dialogue = EnrollmentDialogue(
                session, enrollment.trustpoint, challenge, on_progress=save_progress
            )
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
    transcript = dialogue.transcript.text()
    transcript += _after_grant(device)
    _finish(enrollment, EnrollmentState.GRANTED, transcript)
    return enrollment


def _after_grant(device: Device) -> str:
    """Poll the device and evaluate the alerts; returns transcript notes (failures here are only noted)."""
    from devices import poll as device_poll
    from vpnportal.alerting import run_alert_cycle

    notes = ""
    try:
        poll = device_poll.poll_device(device.pk)
        notes += f"[vpnportal] polled {device.name}: {poll.status if poll else 'another poll was running'}\n"
    except Exception as exc:
        log.exception("poll after enrollment of %s failed", device.name)
        notes += f"[vpnportal] poll after the enrollment failed: {type(exc).__name__}\n"
    try:
        run_alert_cycle()
        notes += "[vpnportal] alert rules evaluated\n"
    except Exception as exc:
        log.exception("alert evaluation after enrollment of %s failed", device.name)
        notes += f"[vpnportal] alert evaluation failed: {type(exc).__name__}\n"
    return notes
