"""Which channel gets which alert: default channels everything, a device's channels its alerts and its tunnels'."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.alerts.factories import make_cert, make_device, make_tunnel
from vpnportal.alerting.evaluate import evaluate_rules
from vpnportal.alerting.notify import build_notifications
from vpnportal.choices import AlertKind, AlertState, ChannelKind
from vpnportal.models import Alert, AlertChannel, AlertEvent, Notification

pytestmark = pytest.mark.django_db


def _fire(kind: str, **where: object) -> Alert:
    alert = Alert.objects.create(
        kind=kind, key=f"{kind}:{where}", state=AlertState.FIRING, fired_at=timezone.now(), **where
    )
    AlertEvent.objects.create(alert=alert, kind="fired", old_state="pending", new_state="firing")
    return alert


def test_it_routes_alerts_to_default_and_device_channels(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ALERT_EMAIL_TO = []
    r1, r2, r3 = make_device("r1"), make_device("r2"), make_device("r3")
    tunnel = make_tunnel(r2, r3)
    everything = AlertChannel.objects.create(
        name="all", kind=ChannelKind.SLACK, url="http://x.invalid/", default=True
    )
    r1_hook = AlertChannel.objects.create(
        name="r1-hook", kind=ChannelKind.WEBHOOK, url="http://x.invalid/", secret="s"
    )
    r3_mail = AlertChannel.objects.create(
        name="r3-mail", kind=ChannelKind.EMAIL, to="r3@example.net, noc@example.net"
    )
    AlertChannel.objects.create(
        name="off", kind=ChannelKind.TEAMS, url="http://x.invalid/", default=True, enabled=False
    )
    r1_hook.devices.add(r1)
    r3_mail.devices.add(r3)
    a1 = _fire(AlertKind.POLL_FAILED, device=r1)
    a2 = _fire(AlertKind.POLL_FAILED, device=r2)
    at = _fire(AlertKind.TUNNEL_DOWN, tunnel=tunnel)
    assert build_notifications() == 4
    ids = {
        n.channel_name or n.recipient: sorted(r["id"] for r in n.payload.get("alerts", []))
        for n in Notification.objects.exclude(channel_kind="email")
    }
    assert ids == {"all": sorted([a1.pk, a2.pk, at.pk]), "r1-hook": [a1.pk]}
    mail = {
        n.recipient: sorted(e.alert_id for e in n.events.all())
        for n in Notification.objects.filter(channel_kind="email")
    }
    # r3's channel gets the tunnel r3 ends; each address of it its own digest, labelled with the channel.
    assert mail == {"r3@example.net": [at.pk], "noc@example.net": [at.pk]}
    assert set(Notification.objects.filter(channel_kind="email").values_list("channel_name", flat=True)) == {
        "r3-mail"
    }
    assert everything.notifications.count() == 1


def test_it_keeps_alert_email_to_and_alert_emails_as_email(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ALERT_EMAIL_TO = ["noc@example.com"]
    device = make_device("r1", alert_emails="branch@example.com")
    mail = AlertChannel.objects.create(
        name="m", kind=ChannelKind.EMAIL, to="noc@example.com, team@example.com", default=True
    )
    make_cert(device, timezone.now() + timedelta(days=20))
    evaluate_rules()
    build_notifications()
    rows = {n.recipient: n.channel_name for n in Notification.objects.all()}
    # One digest per address: noc@ once although both ALERT_EMAIL_TO and the channel name it.
    assert rows == {"noc@example.com": "m", "branch@example.com": "", "team@example.com": "m"}
    assert mail.notifications.count() == 2


def test_it_writes_a_stable_idempotency_key_per_destination_and_events(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ALERT_EMAIL_TO = ["noc@example.com"]
    AlertChannel.objects.create(
        name="hook", kind=ChannelKind.WEBHOOK, url="http://x.invalid/", secret="s", default=True
    )
    _fire(AlertKind.POLL_FAILED, device=make_device("r1"))
    build_notifications()
    keys = list(Notification.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == 2 and len(set(keys)) == 2 and all(len(k) == 40 for k in keys)
