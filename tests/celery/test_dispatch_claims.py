"""The dispatcher claims every due device in a constant number of queries, on the interval grid, and two
dispatchers racing never claim one slot twice."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.models import Device
from devices.tasks import claim_due_devices


def make_devices(count: int) -> list[Device]:
    return [
        Device.objects.create(name=f"r{i:03}", host="127.0.0.1", platform="cisco_ios", username="u")
        for i in range(count)
    ]


@pytest.mark.django_db
def test_claiming_many_devices_takes_a_constant_number_of_queries() -> None:
    make_devices(40)
    with CaptureQueriesContext(connection) as queries:
        claimed = claim_due_devices()
    assert len(claimed) == 40
    # The locked SELECT and one UPDATE (with the savepoint around them): not one UPDATE per device.
    assert (
        len([q for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]) <= 2
    )
    assert claim_due_devices() == []


@pytest.mark.django_db
def test_the_next_slot_stays_on_the_grid_when_on_time_and_restarts_from_now_when_late(settings) -> None:  # type: ignore[no-untyped-def]
    interval = timedelta(seconds=settings.POLL_INTERVAL_SECONDS)
    on_time, late = make_devices(2)
    now = timezone.now()
    Device.objects.filter(pk=on_time.pk).update(next_poll_at=now - timedelta(seconds=10))
    Device.objects.filter(pk=late.pk).update(next_poll_at=now - 3 * interval)
    slots = dict(claim_due_devices(now=now))
    assert slots[on_time.pk] == now - timedelta(seconds=10) and slots[late.pk] == now - 3 * interval
    assert Device.objects.get(pk=on_time.pk).next_poll_at == now - timedelta(seconds=10) + interval
    assert Device.objects.get(pk=late.pk).next_poll_at == now + interval


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_racing_never_claim_the_same_slot() -> None:
    devices = make_devices(6)
    holding, release = threading.Event(), threading.Event()
    first: list[tuple[int, object]] = []

    def dispatcher() -> None:
        try:
            with transaction.atomic():  # as dispatch_due_polls: the claims commit with its Poll rows
                first.extend(claim_due_devices(limit=3))
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=dispatcher)
    thread.start()
    assert holding.wait(10)
    threading.Timer(3.0, release.set).start()  # a dispatcher that waited for the other's locks would hang
    started = time.monotonic()
    second = claim_due_devices()
    waited = time.monotonic() - started
    release.set()
    thread.join(10)
    firsts, seconds = {pk for pk, _ in first}, {pk for pk, _ in second}
    assert len(firsts) == 3 and firsts.isdisjoint(seconds) and firsts | seconds == {d.pk for d in devices}
    assert waited < 2.0  # the rows the other dispatcher holds are skipped, not waited for
    assert claim_due_devices() == []  # every slot was claimed once
