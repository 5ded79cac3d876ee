"""Celery tasks of the polling pipeline: thin wrappers that load by id and call the plain functions."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from devices.models import Device

log = logging.getLogger(__name__)

# A poll task may never outlive these (sessions have their own shorter timeouts).
POLL_SOFT_TIME_LIMIT = 5 * 60
POLL_TIME_LIMIT = 6 * 60
DISPATCH_BATCH = 5000


def claim_due_devices(now: datetime | None = None, limit: int = DISPATCH_BATCH) -> list[tuple[int, datetime]]:
    """Claim every enabled device whose next_poll_at has come; returns (device id, slot) pairs.

    Each claim is a conditional UPDATE (next_poll_at still equals the value read), so two dispatchers
    racing never claim the same slot twice.
    """
    now = now or timezone.now()
    interval = timedelta(seconds=settings.POLL_INTERVAL_SECONDS)
    claimed: list[tuple[int, datetime]] = []
    due = Device.objects.filter(enabled=True, next_poll_at__lte=now).order_by("next_poll_at")
    for device_id, slot in due.values_list("id", "next_poll_at")[:limit]:
        # The next slot stays on the interval grid when on time, so polls do not drift later and later.
        next_at = slot + interval if slot + interval > now else now + interval
        if Device.objects.filter(pk=device_id, next_poll_at=slot).update(next_poll_at=next_at):
            claimed.append((device_id, slot))
    return claimed


@shared_task(name="devices.tasks.dispatch_due_polls", ignore_result=True)
def dispatch_due_polls(queue: str | None = None) -> int:
    """Claim due devices and enqueue one poll task each once the claims are committed."""
    options: dict[str, Any] = {"queue": queue} if queue else {}
    with transaction.atomic():
        claimed = claim_due_devices()
        for device_id, slot in claimed:
            transaction.on_commit(
                lambda d=device_id, s=slot: poll_device.apply_async(args=(d, s.isoformat()), **options)  # type: ignore[misc]
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
    """Poll one device (loaded by id) through collect.poll_device, then re-judge its tunnels."""
    from devices import collect
    from devices.correlate import correlate_tunnels

    when = datetime.fromisoformat(slot) if slot else None
    task_id = str(getattr(self.request, "id", "") or "")
    poll = collect.poll_device(device_id, when, task_id=task_id)
    if poll is None:
        return "duplicate"
    if correlate:
        correlate_tunnels(devices=[poll.device])
    return poll.status


@shared_task(name="devices.tasks.rollup_history", ignore_result=True)
def rollup_history() -> dict[str, int]:
    """Hourly: roll counter samples up and prune by the retention settings."""
    from devices.history import rollup_history as run

    result = run()
    return dict(result.__dict__)
