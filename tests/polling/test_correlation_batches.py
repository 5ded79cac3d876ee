"""A worker's polls have their tunnels judged in batches: one queued correlation for the polls that end together."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devices import tasks
from devices.choices import TunnelStatus
from devices.correlate import correlate_tunnels
from devices.models import Tunnel
from tests.polling.test_correlation import pair
from tests.services import TEST_REDIS_URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(settings: Any) -> Iterator[redis.Redis]:
    settings.CELERY_BROKER_URL = TEST_REDIS_URL
    tasks._redis_clients.clear()
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.delete(tasks.CORRELATE_PENDING_KEY, tasks.CORRELATE_QUEUED_KEY)
    yield client
    client.delete(tasks.CORRELATE_PENDING_KEY, tasks.CORRELATE_QUEUED_KEY)
    tasks._redis_clients.clear()


def test_it_queues_one_correlation_for_the_polls_that_end_together(broker: redis.Redis) -> None:
    a, b, _, _ = pair()
    Tunnel.objects.create(name="hq-branch", end_a=a, end_b=b)
    with mock.patch.object(tasks.correlate_polled, "apply_async") as send:
        tasks.request_correlation(a.pk, queue="q1")
        tasks.request_correlation(b.pk, queue="q1")
    assert send.call_count == 1
    assert send.call_args.kwargs == {"countdown": tasks.CORRELATE_DELAY_SECONDS, "queue": "q1"}
    # Nothing judged yet: the queued correlation does it.
    assert Tunnel.objects.get(name="hq-branch").status == TunnelStatus.UNKNOWN
    assert tasks.correlate_polled() == 2
    assert Tunnel.objects.get(name="hq-branch").status == TunnelStatus.UP
    assert broker.scard(tasks.CORRELATE_PENDING_KEY) == 0
    # The next poll after the correlation queues the next one.
    with mock.patch.object(tasks.correlate_polled, "apply_async") as send:
        tasks.request_correlation(a.pk)
    assert send.call_count == 1


def test_it_judges_at_once_when_called_inline_or_redis_does_not_answer(
    broker: redis.Redis, settings: Any
) -> None:
    a, b, _, _ = pair()
    Tunnel.objects.create(name="hq-branch", end_a=a, end_b=b)
    tasks.request_correlation(a.pk, inline=True)
    assert Tunnel.objects.get(name="hq-branch").status == TunnelStatus.UP
    Tunnel.objects.update(status=TunnelStatus.UNKNOWN)
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    tasks._redis_clients.clear()
    tasks.request_correlation(b.pk)
    assert Tunnel.objects.get(name="hq-branch").status == TunnelStatus.UP


def test_a_failed_correlation_puts_its_devices_back(broker: redis.Redis) -> None:
    a, _, _, _ = pair()
    broker.sadd(tasks.CORRELATE_PENDING_KEY, a.pk)

    def fail(**_: Any) -> None:
        raise RuntimeError("database gone")

    with mock.patch("devices.correlate.correlate_tunnels", side_effect=fail), pytest.raises(RuntimeError):
        tasks.correlate_polled()
    assert broker.smembers(tasks.CORRELATE_PENDING_KEY) == {str(a.pk).encode()}


def test_a_steady_tunnel_is_judged_without_writing_its_row_again() -> None:
    a, b, _, _ = pair()
    Tunnel.objects.create(name="hq-branch", end_a=a, end_b=b)
    correlate_tunnels()
    with CaptureQueriesContext(connection) as queries:
        correlate_tunnels(device_ids=[a.pk, b.pk])
    writes = [q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    assert writes == []
    assert Tunnel.objects.get(name="hq-branch").status == TunnelStatus.UP
