"""Celery tasks of the events app: the poll an event triggers, and the retention of events."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from celery import shared_task

from vpnportal.logging import log_context

log = logging.getLogger(__name__)

BUSY_RETRIES = 10
BUSY_RETRY_SECONDS = 2.0


def _poll_one(device_id: int) -> Any:
    from django.db import connection

    from devices.poll import poll_device

    try:
        with log_context(device_id=device_id):
            return poll_device(device_id)
    finally:
        connection.close()  # this thread's own connection


def busy_devices(device_ids: list[int]) -> set[int]:
    """Those of the devices with a poll running now (within its lease): polling them again would overlap."""
    from django.conf import settings
    from django.utils import timezone

    from devices.choices import PollStatus
    from devices.models import Poll

    since = timezone.now() - timedelta(seconds=settings.POLL_LEASE_SECONDS)
    running = Poll.objects.filter(device_id__in=device_ids, status=PollStatus.RUNNING, started_at__gte=since)
    return set(running.values_list("device_id", flat=True))


@shared_task(name="events.tasks.poll_after_event", ignore_result=True, acks_late=True, soft_time_limit=300)
def poll_after_event(device_ids: list[int], event_id: int | None = None, attempt: int = 0) -> dict[str, str]:
    """Poll these devices now because an event came, side by side (each through the manual poll's claim),
    re-judge their tunnels once all have answered, then run the alert cycle so a change both ends confirm
    is mailed at once and one end's newer state alone never opens anything.

    A device whose scheduled poll is running is not polled over it: the task comes back for it in
    BUSY_RETRY_SECONDS (BUSY_RETRIES times at most; then its next scheduled poll decides)."""
    from devices.correlate import correlate_tunnels
    from devices.models import Device
    from vpnportal.alerting.cycle import run_alert_cycle

    ids = list(dict.fromkeys(int(i) for i in device_ids))
    busy = busy_devices(ids)
    if busy and attempt < BUSY_RETRIES:
        poll_after_event.apply_async(args=(sorted(busy), event_id, attempt + 1), countdown=BUSY_RETRY_SECONDS)
    ids = [i for i in ids if i not in busy]
    with ThreadPoolExecutor(max_workers=max(1, len(ids)), thread_name_prefix="event-poll") as pool:
        polls = list(pool.map(_poll_one, ids))
    done = [p for p in polls if p is not None]
    if done:
        correlate_tunnels(devices=list(Device.objects.filter(pk__in=[p.device_id for p in done])))
        run_alert_cycle()
    outcome = {str(i): (p.status if p is not None else "duplicate") for i, p in zip(ids, polls, strict=True)}
    outcome.update({str(i): "busy" for i in busy})
    log.info("event %s: polled %s", event_id, outcome)
    return outcome


@shared_task(name="events.tasks.prune_events", ignore_result=True)
def prune_events() -> dict[str, Any]:
    """Hourly: delete events and status changes older than HISTORY_RAW_DAYS (retention.py)."""
    from events.retention import prune_events as run

    return run()
