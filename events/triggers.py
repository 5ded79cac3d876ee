"""Events trigger polls: the device and, for a tunnel event, the tunnel's other end, debounced per device."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from events.choices import TUNNEL_KINDS
from events.models import EventPoll, SyslogEvent

log = logging.getLogger(__name__)


def claim_trigger(device_id: int, now: datetime | None = None) -> bool:
    """Whether an event may trigger a poll of this device now: at most one per EVENT_POLL_DEBOUNCE_SECONDS,
    counted from the last triggered poll. A conditional UPDATE (or the first row's insert) claims it, so
    two receivers or a burst of messages trigger one poll."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.EVENT_POLL_DEBOUNCE_SECONDS)
    if EventPoll.objects.filter(device_id=device_id, triggered_at__lte=cutoff).update(triggered_at=now):
        return True
    if EventPoll.objects.filter(device_id=device_id).exists():
        return False
    try:
        with transaction.atomic():
            EventPoll.objects.create(device_id=device_id, triggered_at=now)
    except IntegrityError:
        return False
    return True


def devices_to_poll(event: SyslogEvent) -> list[int]:
    """The device, and the tunnel's other end when the event is about a tunnel it matched."""
    ids = [event.device_id]
    if event.kind in TUNNEL_KINDS and event.tunnel is not None:
        other = event.tunnel.end_b_id if event.tunnel.end_a_id == event.device_id else event.tunnel.end_a_id
        ids.append(other)
    return ids


def trigger_polls(event: SyslogEvent) -> list[int]:
    """Claim the debounce of each device the event concerns and queue one task polling those that won it,
    once committed; returns their ids."""
    from events.tasks import poll_after_event

    queued = [d for d in devices_to_poll(event) if claim_trigger(d, event.received_at)]
    if not queued:
        return []
    event_id = event.pk

    def send() -> None:
        try:
            poll_after_event.apply_async(args=(queued, event_id), retry=False)
        except Exception as exc:  # a broker that refuses it: the devices' scheduled polls come anyway
            log.warning("could not queue the event-triggered poll of devices %s: %s", queued, exc)

    transaction.on_commit(send)
    return queued
