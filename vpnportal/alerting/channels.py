"""Which alert channels get which alert events, and the Alertmanager refresh of firing alerts.

`default` channels get every event; a channel named by devices gets the events of those devices and of
the tunnels they end. Email channels add their addresses to the digests of `notify.recipients_of`; every
other channel gets one notification per cycle with its events (`notify.build_notifications`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from vpnportal.choices import ChannelKind, NotificationPurpose, NotificationStatus
from vpnportal.models import Alert, AlertChannel, AlertEvent, Notification


def enabled_channels() -> list[AlertChannel]:
    """Every enabled channel, by name."""
    return list(AlertChannel.objects.filter(enabled=True).order_by("name"))


def event_device_ids(event: AlertEvent) -> set[int]:
    """The devices an event concerns: the alert's device and the two ends of its tunnel."""
    alert = event.alert
    ids = {alert.device_id} if alert.device_id else set()
    if alert.tunnel is not None:
        ids |= {alert.tunnel.end_a_id, alert.tunnel.end_b_id}
    return ids


def device_channel_ids(device_ids: set[int]) -> dict[int, set[int]]:
    """For each device, the channels that name it."""
    through = AlertChannel.devices.through
    by_device: dict[int, set[int]] = {}
    for device_id, channel_id in through.objects.filter(device_id__in=device_ids).values_list(
        "device_id", "alertchannel_id"
    ):
        by_device.setdefault(device_id, set()).add(channel_id)
    return by_device


def route(events: list[AlertEvent], channels: list[AlertChannel]) -> dict[int, list[AlertEvent]]:
    """Each channel's events (by channel id), in the order given."""
    if not channels:
        return {}
    wanted = {channel.pk for channel in channels}
    defaults = [channel.pk for channel in channels if channel.default]
    by_device = device_channel_ids({d for event in events for d in event_device_ids(event)})
    routed: dict[int, list[AlertEvent]] = {}
    for event in events:
        targets = set(defaults)
        for device_id in event_device_ids(event):
            targets |= by_device.get(device_id, set()) & wanted
        for channel_id in sorted(targets):
            routed.setdefault(channel_id, []).append(event)
    return routed


def idempotency_key(*parts: object) -> str:
    """A stable key from what a notification is (its destination and events): the same on every retry."""
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:40]


def covered_open_alerts(channel: AlertChannel) -> QuerySet[Alert]:
    """The channel's alerts that were announced and still fire (or wait for their device to answer)."""
    qs = Alert.objects.filter(state__in=("firing", "unknown"), last_notified_at__isnull=False)
    if channel.default:
        return qs
    device_ids = list(channel.devices.values_list("pk", flat=True))
    return qs.filter(
        Q(device_id__in=device_ids) | Q(tunnel__end_a_id__in=device_ids) | Q(tunnel__end_b_id__in=device_ids)
    )


def queue_refreshes(now: datetime) -> int:
    """Queue a re-post of the firing alerts of each Alertmanager channel due one; returns how many.

    Alertmanager forgets an alert at its `endsAt`; each post sets it 4 x ALERTMANAGER_REPOST_SECONDS
    ahead, and this re-posts every ALERTMANAGER_REPOST_SECONDS. One refresh waits per channel at most:
    it posts the alerts firing when it is sent, so a backlog after an outage never piles up."""
    interval = timedelta(seconds=max(1, int(settings.ALERTMANAGER_REPOST_SECONDS)))
    due = AlertChannel.objects.filter(kind=ChannelKind.ALERTMANAGER, enabled=True).filter(
        Q(refreshed_at__isnull=True) | Q(refreshed_at__lte=now - interval)
    )
    queued = 0
    for channel in due:
        # A conditional UPDATE: of two workers, one queues the refresh.
        if not AlertChannel.objects.filter(pk=channel.pk, refreshed_at=channel.refreshed_at).update(
            refreshed_at=now
        ):
            continue
        waiting = Notification.objects.filter(
            channel=channel,
            purpose=NotificationPurpose.REFRESH,
            status__in=(NotificationStatus.QUEUED, NotificationStatus.SENDING),
        )
        if waiting.exists() or not covered_open_alerts(channel).exists():
            continue
        Notification.objects.create(
            channel=channel,
            channel_kind=channel.kind,
            channel_name=channel.name,
            purpose=NotificationPurpose.REFRESH,
            subject="re-post of firing alerts",
            body_text="",
            payload={"alerts": []},
            idempotency_key=idempotency_key("refresh", channel.pk, now.isoformat()),
            created_at=now,
            next_attempt_at=now,
        )
        queued += 1
    return queued
