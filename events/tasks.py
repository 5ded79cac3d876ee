"""Celery tasks of the events app: the poll an event triggers, and the retention of events."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from celery import shared_task

from vpnportal.logging import log_context

log = logging.getLogger(__name__)


def _poll_one(device_id: int) -> Any:
    from django.db import connection

    from devices.poll import poll_device

    try:
        with log_context(device_id=device_id):
            return poll_device(device_id)
    finally:
        connection.close()  # this thread's own connection


@shared_task(name="events.tasks.poll_after_event", ignore_result=True, acks_late=True, soft_time_limit=300)
def poll_after_event(device_ids: list[int], event_id: int | None = None) -> dict[str, str]:
    """Poll these devices now because an event came, side by side (each through the manual poll's claim:
    nothing is polled twice), re-judge their tunnels once all have answered, then run the alert cycle so
    a change both ends confirm is mailed at once and one end's newer state alone never opens anything."""
    from devices.correlate import correlate_tunnels
    from devices.models import Device
    from vpnportal.alerting.cycle import run_alert_cycle

    ids = list(dict.fromkeys(int(i) for i in device_ids))
    with ThreadPoolExecutor(max_workers=max(1, len(ids)), thread_name_prefix="event-poll") as pool:
        polls = list(pool.map(_poll_one, ids))
    done = [p for p in polls if p is not None]
    if done:
        correlate_tunnels(devices=list(Device.objects.filter(pk__in=[p.device_id for p in done])))
        run_alert_cycle()
    outcome = {str(i): (p.status if p is not None else "duplicate") for i, p in zip(ids, polls, strict=True)}
    log.info("event %s: polled %s", event_id, outcome)
    return outcome


@shared_task(name="events.tasks.prune_events", ignore_result=True)
def prune_events() -> dict[str, Any]:
    """Hourly: delete events and status changes older than HISTORY_RAW_DAYS (retention.py)."""
    from events.retention import prune_events as run

    return run()
