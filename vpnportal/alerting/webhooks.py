"""The signed JSON webhook and the Slack and Teams incoming webhooks."""

from __future__ import annotations

from typing import Any

from vpnportal.alerting.http_post import channel_of_notification, channel_url, channel_value, post
from vpnportal.alerting.payloads import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    canonical_json,
    signature,
    slack_body,
    teams_body,
    webhook_body,
)
from vpnportal.alerting.transport_base import TransportError
from vpnportal.models import Notification


class WebhookTransport:
    """JSON (docs/alerts.md) signed with HMAC-SHA256 of the raw body: `X-Vpnportal-Signature: sha256=<hex>`."""

    def body(self, notification: Notification) -> dict[str, Any]:
        """The JSON document for this notification."""
        return webhook_body(
            notification.payload,
            notification_id=notification.pk,
            key=notification.idempotency_key,
            channel=notification.channel_name,
            purpose=notification.purpose,
        )

    def send(self, notification: Notification) -> None:
        """Sign and post; the same notification always posts the same bytes."""
        channel = channel_of_notification(notification)
        url = channel_url(channel)
        secret = channel_value(channel, "secret")
        if not secret:
            raise TransportError(
                f"webhook channel {channel.name}: no signing secret configured", permanent=True
            )
        raw = canonical_json(self.body(notification))
        post(
            channel,
            url,
            raw,
            {SIGNATURE_HEADER: signature(secret, raw), IDEMPOTENCY_HEADER: notification.idempotency_key},
        )


class SlackTransport:
    """A Slack incoming webhook (`text` plus blocks)."""

    def send(self, notification: Notification) -> None:
        """Post the Slack message."""
        channel = channel_of_notification(notification)
        raw = canonical_json(slack_body(notification.payload))
        post(channel, channel_url(channel), raw, {IDEMPOTENCY_HEADER: notification.idempotency_key})


class TeamsTransport:
    """A Microsoft Teams incoming webhook (a message with an Adaptive Card)."""

    def send(self, notification: Notification) -> None:
        """Post the Teams message."""
        channel = channel_of_notification(notification)
        raw = canonical_json(teams_body(notification.payload))
        post(channel, channel_url(channel), raw, {IDEMPOTENCY_HEADER: notification.idempotency_key})
