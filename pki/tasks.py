"""Celery tasks of re-enrollment: thin wrappers that load the job by id and call pki/enrollment_runs.py."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from pki import enrollment_runs
from pki.models import Enrollment
from vpnportal.logging import log_context

# The task waits for the CA until the enrollment's deadline, then saves: that long, and a margin for the rest.
ENROLLMENT_SOFT_TIME_LIMIT = int(settings.ENROLLMENT_DEADLINE_SECONDS) + 240
ENROLLMENT_TIME_LIMIT = ENROLLMENT_SOFT_TIME_LIMIT + 60


@shared_task(
    name="pki.tasks.run_enrollment",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=ENROLLMENT_SOFT_TIME_LIMIT,
    time_limit=ENROLLMENT_TIME_LIMIT,
    ignore_result=True,
)
def run_enrollment(self: Any, enrollment_id: int) -> str:
    """Run one enrollment; a duplicated or redelivered message finds it claimed and does nothing."""
    device_id = Enrollment.objects.filter(pk=enrollment_id).values_list("device_id", flat=True).first()
    with log_context(enrollment_id=int(enrollment_id), device_id=device_id):
        enrollment = enrollment_runs.run_enrollment(int(enrollment_id))
    return "duplicate" if enrollment is None else str(enrollment.state)


@shared_task(name="pki.tasks.expire_stale_enrollments", ignore_result=True)
def expire_stale_enrollments() -> int:
    """Beat runs this so a job whose worker died ends `failed` without waiting for the next request."""
    return enrollment_runs.expire_stale_enrollments()
