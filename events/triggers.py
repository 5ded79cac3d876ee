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


def claim_trigger(device_id: int, now: datetime | None = None) -> float | None:
    """When an event may poll this device: at once (0), in so many seconds, or None (a poll is already due).

    At most one event-triggered poll per EVENT_POLL_DEBOUNCE_SECONDS, counted from the last triggered
    poll. An event inside that window defers the poll to the window's end (once: later ones find it
    pending), so a flap's second half is still seen in seconds. Each step is a conditional UPDATE (or the
    first row's insert), so two receivers or a burst of messages queue one poll.
    """
    now = now or timezone.now()
    debounce = timedelta(seconds=settings.EVENT_POLL_DEBOUNCE_SECONDS)
    if EventPoll.objects.filter(device_id=device_id, triggered_at__lte=now - debounce).update(
        triggered_at=now
    ):
        return 0.0
    last = EventPoll.objects.filter(device_id=device_id).values_list("triggered_at", flat=True).first()
    if last is None:
        try:
            with transaction.atomic():
                EventPoll.objects.create(device_id=device_id, triggered_at=now)
        except IntegrityError:
            return None
        return 0.0
    if last > now:  # a deferred poll is already queued for the end of the window
        return None
    due = last + debounce
    if EventPoll.objects.filter(device_id=device_id, triggered_at=last).update(triggered_at=due):
        return max(0.0, (due - now).total_seconds())
    return None


def devices_to_poll(event: SyslogEvent) -> list[int]:
    """The device, and the tunnel's other end when the event is about a tunnel it matched."""
    ids = [event.device_id]
    if event.kind in TUNNEL_KINDS and event.tunnel is not None:
        other = event.tunnel.end_b_id if event.tunnel.end_a_id == event.device_id else event.tunnel.end_a_id
        ids.append(other)
    return ids


def trigger_polls(event: SyslogEvent) -> list[int]:
    """Claim the debounce of each device the event concerns and queue one task per delay polling those
    that won it (at once, or at the end of their window), once committed; returns their ids."""
    from events.tasks import poll_after_event

    by_delay: dict[float, list[int]] = {}
    for device_id in devices_to_poll(event):
        delay = claim_trigger(device_id, event.received_at)
        if delay is not None:
            by_delay.setdefault(round(delay, 1), []).append(device_id)
    event_id = event.pk
    for wait, ids in by_delay.items():

        def send(ids: list[int] = ids, wait: float = wait) -> None:
            try:
                poll_after_event.apply_async(args=(ids, event_id), countdown=wait, retry=False)
            except Exception as exc:  # a broker that refuses it: the devices' scheduled polls come anyway
                log.warning("could not queue the event-triggered poll of devices %s: %s", ids, exc)

        transaction.on_commit(send)
    return [device_id for ids in by_delay.values() for device_id in ids]
