"""Requesting a re-enrollment: validate what the operator typed, audit it, write the job, queue it on commit.

The challenge password crosses from the request to the worker only as ciphertext in `Enrollment.challenge`
(Fernet, like device credentials); the task message carries the enrollment id alone, and the worker wipes
the column in the same UPDATE that claims the job (pki/enrollment_runs.py). Nothing else ever holds the
password: not the transcript (every occurrence becomes ********), not the audit entry, not a log line.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from devices.choices import Platform
from devices.models import Device
from pki.choices import ENROLLMENT_ACTIVE_STATES
from pki.enrollment_runs import expire_stale_enrollments
from pki.models import Enrollment, Trustpoint
from pki.tasks import run_enrollment as run_enrollment_task
from vpnportal.audit import audit
from vpnportal.choices import AuditAction

log = logging.getLogger(__name__)

# Operators hold it (vpnportal/roles.py); requesting an enrollment and reading one both need it.
ENROLL_PERMISSION = "pki.add_enrollment"
# Trustpoint names as IOS, PIX and ASA accept them, and nothing that could carry a second command.
TRUSTPOINT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# The challenge is typed at a prompt (IOS, ASA) or is a word of the command line (PIX `ca enroll TP PW`).
CHALLENGE_RE = re.compile(r"^[\x21-\x7e]{1,64}$")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class EnrollmentRefused(ValueError):
    """A request that was not accepted; nothing was sent to the device. `field` names the culprit."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _no_control(value: str, field: str, message: str) -> None:
    if CONTROL_RE.search(value):
        raise EnrollmentRefused(message, field)


def validate_request(device: Device, trustpoint: str, challenge: str) -> None:
    """Raise EnrollmentRefused unless every value may safely reach the device's CLI."""
    _no_control(
        trustpoint,
        "trustpoint",
        gettext(
            "The trustpoint name contains a newline, carriage return or other control character; refused, "
            "nothing was sent"
        ),
    )
    _no_control(
        challenge,
        "challenge_password",
        gettext(
            "The challenge password contains a newline, carriage return or other control character; refused, "
            "nothing was sent"
        ),
    )
    if not TRUSTPOINT_RE.match(trustpoint):
        raise EnrollmentRefused(
            gettext("The trustpoint name may contain only letters, digits, '.', '_' and '-' (at most 64)."),
            "trustpoint",
        )
    if not Trustpoint.objects.filter(device=device, name=trustpoint, present=True).exists():
        raise EnrollmentRefused(
            gettext("%(device)s has not reported a trustpoint named %(trustpoint)s.")
            % {"device": device.name, "trustpoint": repr(trustpoint)},
            "trustpoint",
        )
    if not challenge and device.platform == Platform.CISCO_PIX:
        raise EnrollmentRefused(
            gettext("PIX 6 needs a challenge password (`ca enroll TP PASSWORD`)."), "challenge_password"
        )
    if challenge and not CHALLENGE_RE.match(challenge):
        raise EnrollmentRefused(
            gettext(
                "The challenge password may contain only printable ASCII characters without spaces (at most 64)."
            ),
            "challenge_password",
        )
    if "?" in challenge:
        # `?` asks the CLI for help instead of being typed.
        raise EnrollmentRefused(gettext("The challenge password may not contain '?'."), "challenge_password")


def active_enrollment(device: Device) -> Enrollment | None:
    """The device's queued, running or pending enrollment, if any."""
    return Enrollment.objects.filter(device=device, state__in=ENROLLMENT_ACTIVE_STATES).first()


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
                gettext("%(device)s already has an enrollment in progress (#%(id)s, %(state)s).")
                % {"device": device.name, "id": current.pk, "state": current.state},
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
                gettext("%(device)s already has an enrollment in progress.") % {"device": device.name},
                "device",
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
    queue = settings.ENROLLMENT_QUEUE
    if queue:
        options.setdefault("queue", queue)
    run_enrollment_task.apply_async(args=(enrollment_id,), **options)
