"""Acknowledgements and maintenance windows quiet the mail, not the state; reminders are bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from devices.choices import TunnelStatus
from devices.models import Tunnel
from tests.alerts.factories import make_cert, make_device, make_tunnel, poll
from tests.alerts.helpers import open_alerts
from vpnportal.alerting.actions import acknowledge_alert, end_silence, silence
from vpnportal.alerting.cycle import run_alert_cycle
from vpnportal.choices import AlertState
from vpnportal.models import AlertEvent

pytestmark = pytest.mark.django_db


def test_it_reminds_of_what_still_fires_at_a_bounded_interval() -> None:
    now = timezone.now()
    make_cert(make_device(), now + timedelta(days=20))
    run_alert_cycle(now)
    assert len(mail.outbox) == 1
    for hours in (1, 12, 23):
        run_alert_cycle(now + timedelta(hours=hours))
    assert len(mail.outbox) == 1
    run_alert_cycle(now + timedelta(hours=24, minutes=1))
    assert len(mail.outbox) == 2
    assert "1 still firing" in mail.outbox[1].subject
    run_alert_cycle(now + timedelta(hours=25))
    assert len(mail.outbox) == 2


def test_it_keeps_an_acknowledged_alert_quiet_until_it_gets_worse(operator) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    make_cert(make_device(), now + timedelta(days=9))
    run_alert_cycle(now)
    (alert,) = open_alerts()
    acknowledge_alert(alert, operator)
    run_alert_cycle(now + timedelta(hours=30))  # no reminder for an acknowledged alert
    assert len(mail.outbox) == 1
    run_alert_cycle(now + timedelta(days=2, hours=1))  # within 7 days now: worse
    assert len(mail.outbox) == 2
    assert "within 7 days" in mail.outbox[1].body
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_it_sends_the_recovery_of_an_acknowledged_alert(operator) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    device = make_device()
    make_cert(device, now + timedelta(days=20), serial="OLD")
    run_alert_cycle(now)
    acknowledge_alert(open_alerts()[0], operator)
    make_cert(device, now + timedelta(days=400), valid_from=now, serial="NEW")
    run_alert_cycle(now + timedelta(minutes=1))
    assert len(mail.outbox) == 2
    assert "1 resolved" in mail.outbox[1].subject


def test_it_holds_mail_during_maintenance_and_speaks_when_it_ends(operator) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    a, b = make_device("1720-1"), make_device("pix520-1")
    make_tunnel(a, b, status=TunnelStatus.DOWN)
    silence(a, now + timedelta(hours=1), operator, reason="IOS upgrade")
    for minutes in (0, 5, 10):
        poll(a, at=now + timedelta(minutes=minutes))
        poll(b, at=now + timedelta(minutes=minutes))
        run_alert_cycle(now + timedelta(minutes=minutes, seconds=1))
    (alert,) = open_alerts()
    assert alert.state == AlertState.FIRING  # the state is honest; only the mail waits
    assert mail.outbox == []
    run_alert_cycle(now + timedelta(hours=1, minutes=1))
    assert len(mail.outbox) == 1
    assert "tunnel hq-branch" in mail.outbox[0].subject
    assert "maintenance window" in AlertEvent.objects.filter(notify=True).get().note


def test_it_sends_no_recovery_for_what_fired_and_cleared_inside_a_window(operator) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    a, b = make_device("1720-1"), make_device("pix520-1")
    tunnel = make_tunnel(a, b, status=TunnelStatus.DOWN)
    silence(tunnel, now + timedelta(hours=1), operator, reason="ISP work")
    for minutes in (0, 5):
        poll(a, at=now + timedelta(minutes=minutes))
        poll(b, at=now + timedelta(minutes=minutes))
        run_alert_cycle(now + timedelta(minutes=minutes, seconds=1))
    Tunnel.objects.filter(pk=tunnel.pk).update(status=TunnelStatus.UP)
    poll(a, at=now + timedelta(minutes=10))
    poll(b, at=now + timedelta(minutes=10))
    run_alert_cycle(now + timedelta(minutes=10, seconds=1))
    run_alert_cycle(now + timedelta(hours=2))
    assert open_alerts() == []
    assert mail.outbox == []


def test_it_speaks_again_when_a_silence_is_ended_early(operator) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    device = make_device()
    silence(device, now + timedelta(days=1), operator)
    make_cert(device, now + timedelta(days=3))
    run_alert_cycle()
    assert mail.outbox == []
    end_silence(device, operator)
    run_alert_cycle()
    assert len(mail.outbox) == 1
