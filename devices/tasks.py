"""Celery tasks of the polling pipeline: thin wrappers that load by id and call the plain functions."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from devices.choices import PollStatus
from devices.models import Device, Poll
from devices.state import count_polls
from vpnportal.logging import log_context

log = logging.getLogger(__name__)

# A poll task may never outlive these under prefork (sessions have their own shorter timeouts). The thread
# pool the worker unit runs enforces none: there the session's connect, login and read timeouts bound a
# poll, and the poll lease (finish_abandoned_polls) records one still running after POLL_LEASE_SECONDS.
POLL_SOFT_TIME_LIMIT = 5 * 60
POLL_TIME_LIMIT = 6 * 60
DISPATCH_BATCH = 5000
# Polls that end within this many seconds of each other have their tunnels judged together, once.
CORRELATE_DELAY_SECONDS = 2.0
# Redis keys of that batching: the devices polled since the last correlation, and "one is queued".
CORRELATE_PENDING_KEY = "vpnportal:correlate:pending"
CORRELATE_QUEUED_KEY = "vpnportal:correlate:queued"
# A queued correlation whose message was lost (worker killed, Redis restarted) frees the flag after this.
CORRELATE_QUEUED_TTL = 60


def claim_due_devices(now: datetime | None = None, limit: int = DISPATCH_BATCH) -> list[tuple[int, datetime]]:
    """Claim every enabled device whose next_poll_at has come; returns (device id, slot) pairs.

    On PostgreSQL the due rows are locked (SKIP LOCKED) and moved forward by one UPDATE: three queries
    whatever the number of devices. Two dispatchers racing never claim the same slot twice: rows one holds
    are skipped by the other, and a row it already moved is no longer due. Elsewhere (SQLite), each
    claim is a conditional UPDATE (next_poll_at still equals the value read). A device whose previous
    poll is still running (queued or in progress, within its lease) is left due: polls of one device
    never overlap or pile up behind a hung device or saturated workers, and it is claimed as soon as
    that poll ends.
    """
    now = now or timezone.now()
    interval = timedelta(seconds=settings.POLL_INTERVAL_SECONDS)
    busy = Poll.objects.filter(
        status=PollStatus.RUNNING, started_at__gte=now - timedelta(seconds=settings.POLL_LEASE_SECONDS)
    ).values("device_id")
    due = (
        Device.objects.filter(enabled=True, next_poll_at__lte=now)
        .exclude(pk__in=busy)
        .order_by("next_poll_at")
    )
    if not connection.features.has_select_for_update_skip_locked:
        return _claim_each(due, now, interval, limit)
    with transaction.atomic():
        claimed = list(due.select_for_update(skip_locked=True).values_list("id", "next_poll_at")[:limit])
        if claimed:
            # The next slot stays on the interval grid when on time, so polls do not drift later and later.
            Device.objects.filter(pk__in=[pk for pk, _ in claimed]).update(
                next_poll_at=Case(
                    When(next_poll_at__gt=now - interval, then=F("next_poll_at") + interval),
                    default=Value(now + interval),
                )
            )
    return claimed


def _claim_each(due: Any, now: datetime, interval: timedelta, limit: int) -> list[tuple[int, datetime]]:
    """claim_due_devices without row locks: one conditional UPDATE per device."""
    claimed: list[tuple[int, datetime]] = []
    for device_id, slot in due.values_list("id", "next_poll_at")[:limit]:
        next_at = slot + interval if slot + interval > now else now + interval
        if Device.objects.filter(pk=device_id, next_poll_at=slot).update(next_poll_at=next_at):
            claimed.append((device_id, slot))
    return claimed


def finish_abandoned_polls(now: datetime | None = None) -> int:
    """Record as failed every poll still running POLL_LEASE_SECONDS after its claim; returns how many.

    Its worker was killed (the unacked message comes back only after the broker's visibility timeout)
    or its queued message was lost (a restarted Redis keeps no queue). A poll that is in fact still
    running overwrites this with its real outcome when it finishes.
    """
    now = now or timezone.now()
    lease = settings.POLL_LEASE_SECONDS
    with transaction.atomic():
        # Locked, so that each abandoned poll is counted once in its device's failure counter.
        abandoned = list(
            Poll.objects.select_for_update(skip_locked=True)
            .filter(status=PollStatus.RUNNING, started_at__lt=now - timedelta(seconds=lease))
            .values_list("pk", "device_id")
        )
        if not abandoned:
            return 0
        Poll.objects.filter(pk__in=[pk for pk, _ in abandoned]).update(
            status=PollStatus.FAILED,
            reason=f"abandoned: no worker finished it within {lease} s (worker lost or task message lost)",
            finished_at=now,
        )
        for device_id, count in Counter(device_id for _, device_id in abandoned).items():
            count_polls(device_id, finished=count, failed=count)
    return len(abandoned)


@shared_task(name="devices.tasks.dispatch_due_polls", ignore_result=True)
def dispatch_due_polls(queue: str | None = None) -> int:
    """Claim due devices and enqueue one poll task each once the claims are committed.

    1. Finish polls whose lease ran out (see finish_abandoned_polls).
    2. Claim; in the same transaction write each claim's Poll row (running) with the id of the task
       that will carry it, so a claim whose message never arrives still ends in a finished row.
    3. After the commit, send the tasks; each takes its own row over (devices.poll.claim).
    """
    options: dict[str, Any] = {"queue": queue} if queue else {}
    finish_abandoned_polls()
    with transaction.atomic():
        claimed = claim_due_devices()
        polls = [Poll(device_id=d, slot=s, task_id=str(uuid.uuid4())) for d, s in claimed]
        Poll.objects.bulk_create(polls, ignore_conflicts=True)
        for poll in polls:
            transaction.on_commit(
                lambda p=poll: poll_device.apply_async(  # type: ignore[misc]
                    args=(p.device_id, p.slot.isoformat()), task_id=p.task_id, **options
                )
            )
    return len(claimed)


@shared_task(
    name="devices.tasks.poll_device",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=POLL_SOFT_TIME_LIMIT,
    time_limit=POLL_TIME_LIMIT,
    ignore_result=True,
)
def poll_device(self: Any, device_id: int, slot: str | None = None, correlate: bool = True) -> str:
    """Poll one device (loaded by id) through devices.poll.poll_device, then have its tunnels re-judged
    (batched with the other polls that end meanwhile: see request_correlation)."""
    from devices import poll as device_poll

    when = datetime.fromisoformat(slot) if slot else None
    request = self.request
    task_id = str(getattr(request, "id", "") or "")
    with log_context(device_id=device_id):
        poll = device_poll.poll_device(device_id, when, task_id=task_id)
        if poll is None:
            return "duplicate"
        if correlate:
            # Called as a function or eagerly, there is no worker to batch with: judge now.
            inline = bool(getattr(request, "called_directly", True) or getattr(request, "is_eager", False))
            request_correlation(device_id, queue=_routing_key(request), inline=inline)
        return poll.status


def _routing_key(request: Any) -> str | None:
    info = getattr(request, "delivery_info", None) or {}
    return info.get("routing_key") or None


_redis_clients: dict[int, Any] = {}


def _redis() -> Any:
    """A Redis client on the broker, one per process (a prefork child must not share its parent's)."""
    import os

    import redis

    client = _redis_clients.get(os.getpid())
    if client is None:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=5, socket_timeout=5)
        _redis_clients.clear()
        _redis_clients[os.getpid()] = client
    return client


def request_correlation(device_id: int, queue: str | None = None, inline: bool = False) -> None:
    """Have the tunnels of a just-polled device re-judged within CORRELATE_DELAY_SECONDS.

    Judging a device's tunnels costs about as much CPU as polling it, mostly in queries whose cost
    does not grow with the number of devices judged together. So, as `manage.py poll` judges once per
    cycle, a worker's polls are judged in batches:
    1. The device id joins the set of devices polled since the last correlation (Redis).
    2. The first poll to find no correlation queued queues one (`correlate_polled`), delayed, on the
       queue this poll came from.
    The polls and states are in the database; Redis only holds which devices wait. When Redis does not
    answer, or `inline`, the device's tunnels are judged at once, as before.
    """
    from redis.exceptions import RedisError

    if not inline and settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        try:
            pipe = _redis().pipeline()
            pipe.sadd(CORRELATE_PENDING_KEY, device_id)
            pipe.set(CORRELATE_QUEUED_KEY, "1", nx=True, ex=CORRELATE_QUEUED_TTL)
            _, queued_now = pipe.execute()
            if queued_now:
                options: dict[str, Any] = {"queue": queue} if queue else {}
                correlate_polled.apply_async(countdown=CORRELATE_DELAY_SECONDS, **options)  # type: ignore[attr-defined]
            return
        except RedisError:
            log.warning("Redis does not answer: the tunnels of device %s are judged at once", device_id)
    from devices.correlate import correlate_tunnels

    correlate_tunnels(device_ids=[device_id])


@shared_task(name="devices.tasks.correlate_polled", ignore_result=True)
def correlate_polled() -> int:
    """Judge the tunnels of every device polled since the last correlation (see request_correlation).

    The flag is cleared before the set is taken: a poll that ends meanwhile either is in this set or
    queues the next correlation. Returns how many devices were judged."""
    from devices.correlate import correlate_tunnels

    client = _redis()
    client.delete(CORRELATE_QUEUED_KEY)
    pipe = client.pipeline()  # MULTI/EXEC: no id is added between reading the set and deleting it
    pipe.smembers(CORRELATE_PENDING_KEY)
    pipe.delete(CORRELATE_PENDING_KEY)
    members, _ = pipe.execute()
    ids = sorted(int(m) for m in members)
    if not ids:
        return 0
    try:
        correlate_tunnels(device_ids=ids)
    except Exception:
        # Put them back so the next correlation judges them, then let Celery log the failure.
        client.sadd(CORRELATE_PENDING_KEY, *ids)
        raise
    return len(ids)


@shared_task(name="devices.tasks.rollup_history", ignore_result=True)
def rollup_history() -> dict[str, int]:
    """Hourly: roll counter samples up and prune by the retention settings."""
    from devices.history import rollup_history as run

    result = run()
    return dict(result.__dict__)
