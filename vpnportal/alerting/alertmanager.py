"""Prometheus Alertmanager: alerts posted to `<base>/api/v2/alerts`, their current state at send time.

Labels `alertname` (the alert kind), `device`, `tunnel`, `subject`, `severity`; annotations `summary` and
`link`. A firing alert is posted with `endsAt` 4 x ALERTMANAGER_REPOST_SECONDS ahead and re-posted every
ALERTMANAGER_REPOST_SECONDS (`channels.queue_refreshes`); a resolved one with `endsAt` = its resolution.
The state is read when the notification is sent, so a late retry never re-fires a resolved alert.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from vpnportal.alerting.channels import covered_open_alerts
from vpnportal.alerting.http_post import channel_of_notification, channel_url, post
from vpnportal.alerting.payloads import IDEMPOTENCY_HEADER, canonical_json
from vpnportal.choices import AlertState, NotificationPurpose
from vpnportal.models import Alert, Notification

API_PATH = "/api/v2/alerts"
TEST_ALERTNAME = "vpnportal_test"


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def valid_for() -> timedelta:
    """How long a posted firing alert stays firing in Alertmanager without a re-post."""
    return timedelta(seconds=4 * max(1, int(settings.ALERTMANAGER_REPOST_SECONDS)))


def am_alert(alert: Alert, now: datetime) -> dict[str, Any] | None:
    """One alert in Alertmanager's postable form, None for one that never fired."""
    if alert.fired_at is None and alert.state != AlertState.RESOLVED:
        return None
    site = settings.VPNPORTAL_SITE_URL.rstrip("/")
    link = f"{site}/alerts/{alert.pk}/"
    ends = (
        alert.resolved_at if alert.state == AlertState.RESOLVED and alert.resolved_at else now + valid_for()
    )
    labels = {
        "alertname": alert.kind,
        "device": alert.device.name if alert.device else "",
        "tunnel": alert.tunnel.name if alert.tunnel else "",
        "subject": alert.subject,
        "severity": alert.severity,
    }
    return {
        # An empty label is no label to Alertmanager: leave it out.
        "labels": {name: value for name, value in labels.items() if value},
        "annotations": {"summary": alert.summary or alert.subject, "link": link},
        "startsAt": _time(alert.fired_at or alert.opened_at),
        "endsAt": _time(ends),
        "generatorURL": link,
    }


def test_alert(channel_name: str, now: datetime) -> dict[str, Any]:
    """The alert a "Send test" posts: it ends by itself a few minutes later."""
    return {
        "labels": {"alertname": TEST_ALERTNAME, "channel": channel_name, "severity": "info"},
        "annotations": {"summary": "Test notification from vpnportal"},
        "startsAt": _time(now),
        "endsAt": _time(now + timedelta(minutes=5)),
    }


class AlertmanagerTransport:
    """Posts the notification's alerts (a refresh: every firing alert of the channel) to Alertmanager."""

    def alerts(self, notification: Notification, now: datetime) -> list[dict[str, Any]]:
        """The postable alerts of this notification, in their state now."""
        if notification.purpose == NotificationPurpose.TEST:
            return [test_alert(notification.channel_name, now)]
        ids = {record["id"] for record in notification.payload.get("alerts", [])}
        if notification.purpose == NotificationPurpose.REFRESH and notification.channel is not None:
            ids |= set(covered_open_alerts(notification.channel).values_list("pk", flat=True))
        rows = Alert.objects.filter(pk__in=ids).select_related("device", "tunnel").order_by("pk")
        return [posted for posted in (am_alert(alert, now) for alert in rows) if posted is not None]

    def send(self, notification: Notification) -> None:
        """Post the alerts (nothing to post is a success)."""
        channel = channel_of_notification(notification)
        url = channel_url(channel).rstrip("/") + API_PATH
        alerts = self.alerts(notification, timezone.now())
        if alerts:
            post(channel, url, canonical_json(alerts), {IDEMPOTENCY_HEADER: notification.idempotency_key})
