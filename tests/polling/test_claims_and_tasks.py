"""Claims make duplicated work harmless; the Celery tasks poll through a real worker; a killed worker loses nothing."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from devices.choices import PollStatus, TunnelStatus
from devices.models import Device, Poll, Tunnel
from devices.poll import claim
from devices.tasks import claim_due_devices, dispatch_due_polls, poll_device
from simulator import SimulatorHandle
from tests.services import ROOT, TEST_REDIS_URL, celery_worker, wait_for
from vpnportal.celery import app


def make_device(name: str = "r1") -> Device:
    return Device.objects.create(name=name, host="127.0.0.1", platform="cisco_ios", username="u")


@pytest.mark.django_db
def test_it_stores_one_poll_per_claimed_slot() -> None:
    device = make_device()
    slot = device.next_poll_at
    first, _ = claim(device.pk, slot, task_id="a")
    second, _ = claim(device.pk, slot, task_id="b")
    assert first is not None and second is None
    assert Poll.objects.filter(device=device).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("outer", [False, True], ids=["autocommit", "in-a-transaction"])
def test_a_rejected_duplicate_claim_leaves_the_connection_and_its_transaction_usable(outer: bool) -> None:
    # In autocommit the INSERT is its own transaction (no BEGIN/COMMIT around it); in a transaction a
    # savepoint keeps the duplicate's IntegrityError from aborting it.
    from django.db import transaction

    device = make_device()
    slot = device.next_poll_at
    with transaction.atomic() if outer else contextlib.nullcontext():
        first, _ = claim(device.pk, slot, task_id="a")
        second, _ = claim(device.pk, slot, task_id="b")
        assert first is not None and second is None
        assert Poll.objects.filter(device=device).count() == 1  # the connection still answers
    assert list(Poll.objects.filter(device=device).values_list("task_id", flat=True)) == ["a"]


@pytest.mark.django_db
def test_it_lets_a_redelivered_task_take_its_own_poll_over() -> None:
    device = make_device()
    slot = device.next_poll_at
    first, _ = claim(device.pk, slot, task_id="same-task")
    again, _ = claim(device.pk, slot, task_id="same-task")
    assert first is not None and again is not None and again.pk == first.pk


@pytest.mark.django_db
def test_a_dispatched_task_takes_its_row_over_without_a_rejected_insert() -> None:
    # Every Celery poll's row is written by the dispatcher: claiming it must not try an INSERT first.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    device = make_device()
    slot = device.next_poll_at
    dispatched = Poll.objects.create(device=device, slot=slot, task_id="dispatched")
    with CaptureQueriesContext(connection) as queries:
        poll, _ = claim(device.pk, slot, task_id="dispatched")
    assert poll is not None and poll.pk == dispatched.pk
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    # Another task's claim of the same slot still gets nothing.
    assert claim(device.pk, slot, task_id="other")[0] is None


@pytest.mark.django_db
def test_it_moves_next_poll_at_forward_when_claiming_by_hand() -> None:
    device = make_device()
    before = device.next_poll_at
    poll, _ = claim(device.pk)
    assert poll is not None and poll.slot == before
    assert Device.objects.get(pk=device.pk).next_poll_at > timezone.now()


@pytest.mark.django_db
def test_it_does_not_claim_a_device_whose_previous_poll_is_still_running() -> None:
    # A hung device or saturated workers must not pile overlapping polls of one device up.
    busy = make_device("busy")
    idle = make_device("idle")
    Poll.objects.create(device=busy, slot=timezone.now() - timedelta(minutes=5), status=PollStatus.RUNNING)
    claimed = [device_id for device_id, _ in claim_due_devices()]
    assert claimed == [idle.pk]
    # It stays due, so it is claimed as soon as that poll ends.
    Poll.objects.filter(device=busy).update(status=PollStatus.OK, finished_at=timezone.now())
    assert [device_id for device_id, _ in claim_due_devices()] == [busy.pk]


@pytest.mark.django_db
def test_it_claims_again_once_a_running_poll_is_past_its_lease(settings) -> None:  # type: ignore[no-untyped-def]
    device = make_device("stuck")
    Poll.objects.create(
        device=device,
        slot=timezone.now() - timedelta(hours=1),
        status=PollStatus.RUNNING,
        started_at=timezone.now() - timedelta(seconds=settings.POLL_LEASE_SECONDS + 5),
    )
    assert [device_id for device_id, _ in claim_due_devices()] == [device.pk]


@pytest.mark.django_db
def test_it_dispatches_each_due_device_once() -> None:
    due = make_device("due")
    later = make_device("later")
    Device.objects.filter(pk=later.pk).update(next_poll_at=timezone.now() + timedelta(hours=1))
    Device.objects.create(name="off", host="127.0.0.1", platform="cisco_ios", username="u", enabled=False)
    claimed = claim_due_devices()
    assert [device_id for device_id, _ in claimed] == [due.pk]
    assert claim_due_devices() == []


def worker_log(queue: str) -> str:
    return (ROOT / "var" / f"worker-{queue}.log").read_text(errors="replace")


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
def test_it_polls_through_beat_dispatch_and_a_real_worker(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    with celery_worker(concurrency=2) as queue, app.connection_for_write(TEST_REDIS_URL) as conn:
        dispatch_due_polls.apply_async(kwargs={"queue": queue}, queue=queue, connection=conn)  # type: ignore[call-arg]
        wait_for(lambda: Poll.objects.filter(status=PollStatus.OK).count() == 2, timeout=90)
        wait_for(lambda: Tunnel.objects.filter(name="hq-branch", status=TunnelStatus.UP).exists(), timeout=30)


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
def test_it_stores_one_poll_for_a_duplicated_task(sim: SimulatorHandle, seed: dict[str, Device]) -> None:
    device = seed["pix520-1"]
    slot = device.next_poll_at.isoformat()
    with celery_worker(concurrency=2) as queue, app.connection_for_write(TEST_REDIS_URL) as conn:
        for _ in range(2):
            poll_device.apply_async(args=(device.pk, slot), queue=queue, connection=conn)  # type: ignore[call-arg]
        wait_for(lambda: worker_log(queue).count("succeeded") >= 2, timeout=90)
        log = worker_log(queue)
    assert "'duplicate'" in log
    assert Poll.objects.filter(device=device).count() == 1
    assert Poll.objects.get(device=device).status == PollStatus.OK


def worker_children(queue: str) -> list[int]:
    """Pids of the prefork children of the worker consuming `queue` (same command line, parent among them)."""
    mine: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"worker" in cmdline and queue.encode() in cmdline:
            mine[int(entry.name)] = ppid
    return [pid for pid, ppid in mine.items() if ppid in mine]


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
def test_it_loses_no_poll_when_the_worker_process_is_killed(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    device = seed["1720-1"]
    sim.set_fault("1720-1", "slow", seconds=2)  # a poll long enough to be killed in the middle
    slot = device.next_poll_at.isoformat()
    with celery_worker(concurrency=1) as queue, app.connection_for_write(TEST_REDIS_URL) as conn:
        result = poll_device.apply_async(args=(device.pk, slot), queue=queue, connection=conn)  # type: ignore[call-arg]
        wait_for(lambda: Poll.objects.filter(device=device, status=PollStatus.RUNNING).exists(), timeout=60)
        time.sleep(1)
        children = worker_children(queue)
        assert children
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        sim.clear_fault("1720-1", "slow")
        wait_for(
            lambda: Poll.objects.filter(device=device).exclude(status=PollStatus.RUNNING).exists(),
            timeout=120,
        )
    polls = list(Poll.objects.filter(device=device))
    assert len(polls) == 1
    assert polls[0].status == PollStatus.OK, polls[0].reason
    assert polls[0].task_id == result.id
