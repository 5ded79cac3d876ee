"""Digests: one email per recipient per cycle, listing what fired and what resolved, in three templates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.alerts.factories import make_cert, make_crl, make_device
from vpnportal.alerting.cycle import run_alert_cycle
from vpnportal.alerting.evaluate import evaluate_rules
from vpnportal.alerting.notify import build_notifications
from vpnportal.choices import NotificationStatus
from vpnportal.models import AlertEvent, Notification

pytestmark = pytest.mark.django_db


def test_it_sends_one_digest_per_recipient_per_cycle(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ALERT_EMAIL_TO = ["noc@example.com", "oncall@example.com"]
    now = timezone.now()
    router, pix = make_device("1720-1"), make_device("pix520-1")
    make_cert(router, now + timedelta(days=6), serial="3B2FD652")
    make_cert(pix, now - timedelta(hours=1), serial="3B2FD653")
    make_crl(router, now + timedelta(hours=3))
    summary = run_alert_cycle(now)
    assert (summary["fired"], summary["notifications_queued"], summary["sent"]) == (3, 2, 2)
    assert sorted(m.to[0] for m in mail.outbox) == ["noc@example.com", "oncall@example.com"]
    digest = mail.outbox[0]
    assert digest.subject.startswith("[vpnportal] 3 firing: pix520-1: identity certificate 3B2FD653")
    assert "FIRING (3)" in digest.body
    assert digest.body.index("3B2FD653") < digest.body.index("3B2FD652")  # critical first
    html, mimetype = digest.alternatives[0]  # type: ignore[attr-defined]
    assert mimetype == "text/html"
    assert "Firing (3)" in str(html)
    assert digest.extra_headers["Message-ID"].startswith("<notification-")


def test_it_lists_what_fired_and_what_resolved_in_the_same_digest() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now + timedelta(days=5), serial="OLD")
    make_crl(device, now + timedelta(hours=3))
    run_alert_cycle(now)
    make_cert(device, now + timedelta(days=400), valid_from=now, serial="NEW")
    run_alert_cycle(now + timedelta(hours=4))  # the CRL is now past NextUpdate
    second = mail.outbox[1]
    assert "1 firing, 1 resolved" in second.subject
    assert "FIRING (1)" in second.body and "RESOLVED (1)" in second.body
    assert "past NextUpdate" in second.body
    assert "certificate OLD" in second.body.split("RESOLVED")[1]


def test_it_writes_the_notification_before_sending_and_links_the_events() -> None:
    now = timezone.now()
    make_cert(make_device(), now + timedelta(days=2))
    evaluate_rules(now)
    assert build_notifications(now) == 1
    notification = Notification.objects.get()
    assert notification.status == NotificationStatus.QUEUED
    assert notification.events.count() == 1
    assert mail.outbox == []
    assert build_notifications(now) == 0  # events are processed once


def test_it_processes_events_even_without_recipients(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ALERT_EMAIL_TO = []
    make_cert(make_device(), timezone.now() + timedelta(days=2))
    run_alert_cycle()
    assert not Notification.objects.exists()
    assert not AlertEvent.objects.filter(processed=False).exists()


def test_it_runs_the_same_cycle_from_the_command_and_the_tasks() -> None:
    from io import StringIO

    from django.core.management import call_command

    from vpnportal.tasks import evaluate_alerts, send_due_notifications

    make_cert(make_device(), timezone.now() + timedelta(days=2))
    out = StringIO()
    call_command("evaluate_alerts", "--json", stdout=out)
    assert '"fired": 1' in out.getvalue()
    assert '"sent": 1' in out.getvalue()
    assert evaluate_alerts()["fired"] == 0  # type: ignore[index]
    assert send_due_notifications() == {"notifications_queued": 0, "sent": 0, "retry": 0, "failed": 0}
    out = StringIO()
    call_command("evaluate_alerts", stdout=out)
    assert out.getvalue().startswith("alerts: 0 opened, 0 fired")
    assert len(mail.outbox) == 1


def test_it_never_calls_firing_what_already_resolved_before_the_digest() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now + timedelta(days=5), serial="OLD")
    evaluate_rules(now)  # fired; the digest is not built yet (a crashed worker, say)
    make_cert(device, now + timedelta(days=400), valid_from=now, serial="NEW")
    evaluate_rules(now + timedelta(minutes=1))
    run_alert_cycle(now + timedelta(minutes=2))
    (digest,) = mail.outbox
    assert "1 resolved" in digest.subject
    assert "FIRING" not in digest.body
