"""A task sent through Redis is run by a real worker process and its result lands in PostgreSQL."""

from __future__ import annotations

import pytest

from tests.services import TEST_REDIS_URL, celery_worker, wait_for
from vpnportal.celery import app
from vpnportal.models import Heartbeat
from vpnportal.tasks import heartbeat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def test_it_runs_a_task_through_redis_in_a_worker_and_stores_in_postgres() -> None:
    assert not Heartbeat.objects.filter(name="roundtrip").exists()
    with celery_worker() as queue, app.connection_for_write(TEST_REDIS_URL) as conn:
        heartbeat.apply_async(args=("roundtrip",), queue=queue, connection=conn)  # type: ignore[call-arg]
        beat = wait_for(lambda: Heartbeat.objects.filter(name="roundtrip").first(), timeout=60)
    assert beat.detail  # the worker's host name
    from django.db import connection

    assert connection.vendor == "postgresql"
