"""Who gets which events: ALERT_EMAIL_TO everything, a device's alert_emails its own and its tunnels'."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.alerts.factories import make_device, make_tunnel
from vpnportal.alerting.notify import recipients_of
from vpnportal.choices import AlertEventKind, AlertKind, AlertState, Severity
from vpnportal.models import Alert, AlertEvent

pytestmark = pytest.mark.django_db


def _event(**target: object) -> AlertEvent:
    alert = Alert.objects.create(
        key=f"test:{len(target)}:{Alert.objects.count()}",
        kind=AlertKind.TUNNEL_DOWN,
        severity=Severity.CRITICAL,
        state=AlertState.FIRING,
        summary="test",
        opened_at=timezone.now() - timedelta(minutes=5),
        **target,
    )
    return AlertEvent.objects.create(
        alert=alert, kind=AlertEventKind.FIRED, old_state=AlertState.PENDING, new_state=AlertState.FIRING
    )


def test_a_tunnel_alert_reaches_the_contacts_of_both_ends(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ALERT_EMAIL_TO = ["noc@example.com"]
    branch = make_device("1720-1", alert_emails="branch@example.net")
    firewall = make_device("pix520-1", alert_emails="fw@example.net; branch@example.net")
    other = make_device("asa-1", alert_emails="asa@example.net")
    tunnel_event = _event(tunnel=make_tunnel(branch, firewall))
    other_event = _event(device=other)
    digests = recipients_of([tunnel_event, other_event])
    assert digests == {
        "noc@example.com": [tunnel_event, other_event],
        "branch@example.net": [tunnel_event],
        "fw@example.net": [tunnel_event],
        "asa@example.net": [other_event],
    }
