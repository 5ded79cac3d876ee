"""An enrollment whose worker died is failed by the periodic task, with the reason, and frees its device."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from devices.models import Device
from pki.choices import EnrollmentState
from pki.models import Enrollment
from pki.tasks import expire_stale_enrollments

pytestmark = pytest.mark.django_db


def test_it_fails_enrollments_past_their_deadline_from_the_beat_task() -> None:
    device = Device.objects.create(name="r1", host="127.0.0.1", platform="cisco_ios", username="u")
    stuck = Enrollment.objects.create(
        device=device,
        trustpoint="vpn",
        state=EnrollmentState.PENDING,
        challenge="hunter2-secret",
        deadline=timezone.now() - timedelta(days=1),
    )
    assert "expire-stale-enrollments" in settings.CELERY_BEAT_SCHEDULE
    assert expire_stale_enrollments.apply().get() == 1
    stuck.refresh_from_db()
    assert stuck.state == EnrollmentState.FAILED
    assert "deadline" in stuck.error
    assert stuck.challenge == ""


def test_it_leaves_enrollments_within_their_deadline_alone() -> None:
    device = Device.objects.create(name="r2", host="127.0.0.1", platform="cisco_ios", username="u")
    running = Enrollment.objects.create(
        device=device,
        trustpoint="vpn",
        state=EnrollmentState.RUNNING,
        deadline=timezone.now() + timedelta(minutes=10),
    )
    assert expire_stale_enrollments.apply().get() == 0
    running.refresh_from_db()
    assert running.state == EnrollmentState.RUNNING
