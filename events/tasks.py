"""Celery tasks of the events app: the poll an event triggers, and the retention of events."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from vpnportal.logging import log_context

log = logging.getLogger(__name__)


@shared_task(name="events.tasks.poll_after_event", ignore_result=True, acks_late=True, soft_time_limit=300)
def poll_after_event(device_id: int, event_id: int | None = None) -> str:
    """Poll one device now because an event came (the manual poll's claim: nothing is polled twice),
    re-judge its tunnels, then run the alert cycle so a confirmed change is mailed at once."""
    from devices.correlate import correlate_tunnels
    from devices.poll import poll_device
    from vpnportal.alerting.cycle import run_alert_cycle

    with log_context(device_id=device_id):
        poll = poll_device(device_id)
        if poll is None:
            return "duplicate"
        correlate_tunnels(devices=[poll.device])
        run_alert_cycle()
        log.info("event %s: polled device %s: %s", event_id, device_id, poll.status)
        return str(poll.status)


@shared_task(name="events.tasks.prune_events", ignore_result=True)
def prune_events() -> dict[str, Any]:
    """Hourly: delete events and status changes older than HISTORY_RAW_DAYS (retention.py)."""
    from events.retention import prune_events as run

    return run()
