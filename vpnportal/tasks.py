"""Celery tasks of the cross-cutting app: thin wrappers around plain functions."""

from __future__ import annotations

import logging
import socket
from typing import Any

from celery import shared_task, signals
from django.db import DatabaseError, connection
from django.utils import timezone

from vpnportal.models import Heartbeat

logger = logging.getLogger(__name__)


def record_heartbeat(name: str, detail: str = "") -> Heartbeat:
    """Store that the process `name` is alive now."""
    beat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": timezone.now(), "detail": detail[:255]}
    )
    return beat


def record_beat_heartbeat() -> None:
    """Beat records that it ticked; a database outage is logged, never stops the schedule."""
    try:
        record_heartbeat("beat", detail=socket.gethostname())
    except DatabaseError:
        logger.warning("beat could not record its heartbeat: the database does not answer")
    finally:
        # Beat lives for months: never keep a connection a database restart may break meanwhile.
        if not connection.in_atomic_block:
            connection.close()


_in_beat = False  # set in the beat process only: it records its own tick (vpnportal/readiness.py)


@signals.beat_init.connect
def _mark_beat_process(**_: object) -> None:
    global _in_beat
    _in_beat = True


@signals.before_task_publish.connect
def record_beat_tick(sender: str | None = None, **_: object) -> None:
    """Beat's own heartbeat: each time it sends the minute's heartbeat task, the row `beat` is touched.

    The worker's heartbeat alone cannot tell a silent beat from dead workers; /readyz names which.
    """
    if _in_beat and sender == "vpnportal.tasks.heartbeat":
        record_beat_heartbeat()


@shared_task(name="vpnportal.tasks.heartbeat")
def heartbeat(name: str = "worker") -> str:
    """Beat sends this every minute; the worker that runs it records itself."""
    record_heartbeat(name, detail=socket.gethostname())
    return name


@shared_task(name="vpnportal.tasks.evaluate_alerts")
def evaluate_alerts() -> dict[str, Any]:
    """Beat runs this every minute: time-based rules (expiry, NextUpdate) fire even without polls."""
    from vpnportal.alerting.cycle import run_alert_cycle

    return run_alert_cycle()


@shared_task(name="vpnportal.tasks.send_due_notifications")
def send_due_notifications() -> dict[str, int]:
    """Build digests from unannounced events and send what is due (retries after an SMTP outage)."""
    from vpnportal.alerting.notify import notify_now

    return notify_now()
