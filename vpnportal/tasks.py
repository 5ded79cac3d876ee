"""Celery tasks of the cross-cutting app: thin wrappers around plain functions."""

from __future__ import annotations

import socket

from celery import shared_task
from django.utils import timezone

from vpnportal.models import Heartbeat


def record_heartbeat(name: str, detail: str = "") -> Heartbeat:
    """Store that the process `name` is alive now."""
    beat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": timezone.now(), "detail": detail[:255]}
    )
    return beat


@shared_task(name="vpnportal.tasks.heartbeat")
def heartbeat(name: str = "worker") -> str:
    """Beat sends this every minute; the worker that runs it records itself."""
    record_heartbeat(name, detail=socket.gethostname())
    return name
