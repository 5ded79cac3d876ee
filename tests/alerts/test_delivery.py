"""Delivery bookkeeping with a stub transport: claims, backoff, permanent failures, abandoned claims."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from vpnportal.alerting import transports
from vpnportal.alerting.notify import (
    CLAIM_LEASE,
    backoff_seconds,
    claim,
    send_due_notifications,
)
from vpnportal.alerting.transports import TransportError
from vpnportal.choices import NotificationStatus
from vpnportal.models import Notification

pytestmark = pytest.mark.django_db


class StubTransport:
    """Fails while `down`, records what it delivers."""

    def __init__(self, down: bool = False, permanent: bool = False) -> None:
        self.down = down
        self.permanent = permanent
        self.sent: list[int] = []

    def send(self, notification: Notification) -> None:
        if self.down:
            raise TransportError("connection refused", permanent=self.permanent)
        self.sent.append(notification.pk)


def queued(**fields) -> Notification:  # type: ignore[no-untyped-def]
    return Notification.objects.create(recipient="noc@example.com", subject="s", body_text="b", **fields)


def test_it_backs_off_exponentially_up_to_an_hour() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(20) == 3600


def test_it_retries_with_backoff_then_delivers_once() -> None:
    now = timezone.now()
    n = queued(next_attempt_at=now)
    transport = StubTransport(down=True)
    assert send_due_notifications(now, transport) == {"sent": 0, "retry": 1, "failed": 0}
    n.refresh_from_db()
    assert (n.status, n.attempts, n.next_attempt_at) == (
        NotificationStatus.QUEUED,
        1,
        now + timedelta(seconds=30),
    )
    assert "connection refused" in n.last_error
    assert send_due_notifications(now + timedelta(seconds=29), transport)["retry"] == 0  # not due yet
    send_due_notifications(now + timedelta(seconds=30), transport)
    n.refresh_from_db()
    assert (n.attempts, n.next_attempt_at) == (2, now + timedelta(seconds=90))
    transport.down = False
    send_due_notifications(now + timedelta(seconds=90), transport)
    send_due_notifications(now + timedelta(seconds=500), transport)
    n.refresh_from_db()
    assert (n.status, n.attempts, transport.sent) == (NotificationStatus.SENT, 3, [n.pk])
    assert n.sent_at is not None and n.last_error == ""


def test_it_gives_up_on_a_permanent_failure() -> None:
    n = queued()
    send_due_notifications(transport=StubTransport(down=True, permanent=True))
    n.refresh_from_db()
    assert (n.status, n.attempts) == (NotificationStatus.FAILED, 1)


def test_it_gives_up_after_the_maximum_attempts(settings) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_MAX_ATTEMPTS = 3
    now = timezone.now()
    n = queued(next_attempt_at=now)
    transport = StubTransport(down=True)
    for step in range(10):
        send_due_notifications(now + timedelta(hours=step), transport)
    n.refresh_from_db()
    assert (n.status, n.attempts) == (NotificationStatus.FAILED, 3)


def test_it_lets_exactly_one_claim_win() -> None:
    now = timezone.now()
    n = queued(next_attempt_at=now)
    assert claim(n.pk, now) is True
    assert claim(n.pk, now) is False
    assert claim(n.pk, now + CLAIM_LEASE - timedelta(seconds=1)) is False


def test_it_resends_what_a_dead_worker_left_claimed_after_the_lease() -> None:
    now = timezone.now()
    n = queued(next_attempt_at=now)
    assert claim(n.pk, now)  # the worker that claimed it died before recording anything
    transport = StubTransport()
    send_due_notifications(now + timedelta(seconds=10), transport)
    assert transport.sent == []  # its lease still runs: no double send
    send_due_notifications(now + CLAIM_LEASE + timedelta(seconds=1), transport)
    send_due_notifications(now + CLAIM_LEASE + timedelta(seconds=2), transport)
    n.refresh_from_db()
    assert (n.status, n.attempts, transport.sent) == (NotificationStatus.SENT, 2, [n.pk])


class UnreachableTransport:
    """An SMTP server that cannot be reached: counts how often it was tried."""

    def __init__(self) -> None:
        self.tries = 0

    def send(self, notification: Notification) -> None:
        self.tries += 1
        raise TransportError("connection refused", unreachable=True)


def test_it_stops_a_batch_when_the_server_is_unreachable() -> None:
    now = timezone.now()
    for _ in range(3):
        queued(next_attempt_at=now)
    transport = UnreachableTransport()
    assert send_due_notifications(now, transport) == {"sent": 0, "retry": 1, "failed": 0}
    assert transport.tries == 1  # not three connection timeouts in a row
    assert [n.attempts for n in Notification.objects.order_by("pk")] == [1, 0, 0]
    send_due_notifications(now + timedelta(seconds=1), transport)
    assert [n.attempts for n in Notification.objects.order_by("pk")] == [1, 1, 0]


def test_it_sends_each_notification_through_the_transport_of_its_channel(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sent: list[int] = []

    class Recorder:
        def send(self, notification: Notification) -> None:
            sent.append(notification.pk)

    n = queued()
    assert isinstance(transports.transport_for(n), transports.EmailTransport)
    monkeypatch.setitem(transports.TRANSPORTS, "email", Recorder)
    assert send_due_notifications(timezone.now()) == {"sent": 1, "retry": 0, "failed": 0}
    assert sent == [n.pk]
