"""A worker keeps its database connection from one task to the next, and replaces one that broke.

Celery's Django fixup closes every connection of the task's thread after each task unless
CELERY_DB_REUSE_MAX is set: a fresh PostgreSQL connection (and server backend) per device-poll.
vpnportal sets it and checks connections around each task the way Django does around a request
(CONN_MAX_AGE, CONN_HEALTH_CHECKS: vpnportal/celery.py).
"""

from __future__ import annotations

import time

import pytest
from django.db import connection

from tests.services import TEST_REDIS_URL, celery_worker_process, wait_for
from vpnportal.celery import app
from vpnportal.models import Heartbeat
from vpnportal.tasks import heartbeat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _worker_backends() -> set[int]:
    """PostgreSQL backends on the test database other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def _run(queue: str, conn: object, name: str) -> None:
    heartbeat.apply_async(args=(name,), queue=queue, connection=conn)  # type: ignore[call-arg]
    wait_for(lambda: Heartbeat.objects.filter(name=name).exists(), timeout=60)
    time.sleep(0.5)  # past the task's end (task_postrun), where Celery's fixup closed the connection


@pytest.mark.parametrize("pool", ["threads", "prefork"])
def test_a_worker_reuses_its_connection_and_replaces_a_broken_one(pool: str) -> None:
    before = _worker_backends()
    with (
        celery_worker_process(concurrency=1, pool=pool) as (_, queue),
        app.connection_for_write(TEST_REDIS_URL) as conn,
    ):
        _run(queue, conn, "first")
        first = _worker_backends() - before
        assert first, "the worker closed its connection after the task"
        _run(queue, conn, "second")
        assert _worker_backends() - before == first  # the same backend served the second task
        # The database ends the worker's session (a restart, a failover): the next task still runs.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [list(first)])
        _run(queue, conn, "after-terminate")
        assert _worker_backends() - before - first
