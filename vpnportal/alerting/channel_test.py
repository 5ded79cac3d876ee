"""The admin's "Send test" of a channel: a notification row like any other, sent at once, audited."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from devices.contacts import email_list
from vpnportal.alerting.channels import idempotency_key
from vpnportal.alerting.notify import deliver
from vpnportal.alerting.payloads import test_record
from vpnportal.audit import audit
from vpnportal.choices import ChannelKind, NotificationPurpose, NotificationStatus
from vpnportal.models import AlertChannel, Notification

TEST_SUBJECT = "vpnportal test notification"
TEST_TEXT = "This is a test notification from vpnportal: the channel {name} works.\n"


def send_test(channel: AlertChannel, user: object = None, now: datetime | None = None) -> list[Notification]:
    """1. Write a test notification for the channel (one per address for email).
    2. Deliver each now through the usual claim and transport.
    3. A test that did not go out is marked failed, not retried later; the outcome is audited."""
    now = now or timezone.now()
    common = {
        "channel": channel,
        "channel_kind": channel.kind,
        "channel_name": channel.name,
        "purpose": NotificationPurpose.TEST,
        "subject": TEST_SUBJECT,
        "created_at": now,
        "next_attempt_at": now,
    }
    run = uuid.uuid4().hex
    if channel.kind == ChannelKind.EMAIL:
        rows = [
            Notification.objects.create(
                recipient=address,
                body_text=TEST_TEXT.format(name=channel.name),
                idempotency_key=idempotency_key("test", channel.pk, address, run),
                **common,
            )
            for address in email_list(channel.to)
        ]
    else:
        rows = [
            Notification.objects.create(
                body_text="",
                payload={"alerts": [test_record(now, settings.VPNPORTAL_SITE_URL)]},
                idempotency_key=idempotency_key("test", channel.pk, run),
                **common,
            )
        ]
    for row in rows:
        deliver(row.pk, now)
    Notification.objects.filter(pk__in=[r.pk for r in rows], status=NotificationStatus.QUEUED).update(
        status=NotificationStatus.FAILED
    )
    done = list(Notification.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk"))
    audit(
        "send_test",
        user=user,
        obj=channel,
        message="; ".join(
            f"{n.recipient or n.channel_name}: {n.status} {n.last_error}".strip() for n in done
        ),
    )
    return done
