"""Email through a real SMTP server (aiosmtpd on 127.0.0.1): what arrives, once, and when."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from devices.choices import PollStatus, TunnelStatus
from tests.alerts.factories import make_cert, make_device, make_sa, make_tunnel, poll, sample
from tests.alerts.smtp import free_port, smtp_server, use_smtp
from tests.services import ROOT, worker_env
from vpnportal.alerting.cycle import run_alert_cycle
from vpnportal.alerting.evaluate import evaluate_rules
from vpnportal.alerting.notify import notify_now, send_due_notifications
from vpnportal.choices import AlertKind, NotificationStatus
from vpnportal.models import Alert, Notification

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_it_mails_each_expiry_stage_once(settings) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    use_smtp(settings, port)
    with smtp_server(port) as sink:
        now = timezone.now()
        make_cert(make_device(), now + timedelta(days=31), serial="3B2FD652")
        for day in range(0, 33):  # daily for 33 days
            run_alert_cycle(now + timedelta(days=day, minutes=1))
        texts = [sink.text(m) for m in sink.messages]
    fired = [t for t in texts if "\nFIRING (1)" in t]
    assert [("within 7 days" in t, "within 1 day" in t, "expired on" in t) for t in fired] == [
        (False, False, False),  # the 30-day notice
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
    assert "expires in 30 days" in fired[0]
    assert "expires in 7 days" in fired[1]
    # Between the stages, a reminder at most once a day.
    reminders = [t for t in texts if "STILL FIRING" in t]
    assert len(texts) == len(fired) + len(reminders)
    assert len(reminders) <= 33


def test_it_mails_only_poll_failed_when_a_device_stops_answering(settings) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    use_smtp(settings, port)
    with smtp_server(port) as sink:
        a, b = make_device("1720-1"), make_device("pix520-1")
        tunnel = make_tunnel(a, b)
        make_cert(a, timezone.now() + timedelta(days=200))
        poll(a), poll(b)
        make_sa(a, tunnel, inbound=1, outbound=2)
        make_sa(b, tunnel, inbound=2, outbound=1)
        run_alert_cycle()
        tunnel.status = TunnelStatus.DOWN  # the correlator lost sight of a's SAs
        tunnel.save()
        for _ in range(3):
            poll(a, status=PollStatus.FAILED, reason="authentication failed")
            poll(b)
            run_alert_cycle()
        assert len(sink.messages) == 1
        body = sink.text(sink.messages[0])
    assert "1720-1: poll failed: authentication failed" in body
    assert "tunnel" not in body.lower().split("poll failed")[0]
    assert set(Alert.objects.values_list("kind", flat=True)) == {AlertKind.POLL_FAILED}


def test_it_mails_nothing_for_an_idle_tunnel_or_a_rekey(settings) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    use_smtp(settings, port)
    with smtp_server(port) as sink:
        a, b = make_device("1720-1"), make_device("pix520-1")
        tunnel = make_tunnel(a, b)
        sa_a = make_sa(a, tunnel, inbound=1, outbound=2)
        sa_b = make_sa(b, tunnel, inbound=2, outbound=1)
        for _ in range(4):  # idle: SAs, no traffic
            pa, pb = poll(a), poll(b)
            sample(sa_a, pa, d_encaps=0, d_decaps=0), sample(sa_b, pb, d_encaps=0, d_decaps=0)
            run_alert_cycle()
        # A rekey seen half-way by one poll: SPIs out of mirror and counters restarted, once.
        pa, pb = poll(a), poll(b)
        tunnel.spi_mirror_ok, tunnel.status = False, TunnelStatus.DEGRADED
        tunnel.save()
        sample(sa_a, pa, d_encaps=0, d_decaps=0, reset=True), sample(sa_b, pb, d_encaps=9, d_decaps=0)
        run_alert_cycle()
        pa, pb = poll(a), poll(b)
        tunnel.spi_mirror_ok, tunnel.status = True, TunnelStatus.UP
        tunnel.save()
        sample(sa_a, pa, d_encaps=5, d_decaps=5), sample(sa_b, pb, d_encaps=5, d_decaps=5, reset=True)
        run_alert_cycle()
        assert sink.messages == []
    assert not Alert.objects.filter(fired_at__isnull=False).exists()


def test_it_delivers_each_notification_exactly_once_after_an_smtp_outage_and_a_worker_restart(
    settings,  # type: ignore[no-untyped-def]
) -> None:
    """SMTP refuses connections for a while; the worker retries with backoff, then dies; a new worker
    process delivers each notification exactly once when SMTP is back."""
    port = free_port()
    use_smtp(settings, port)
    settings.NOTIFY_RETRY_BASE_SECONDS = 1
    device = make_device()
    outage_started = time.monotonic()
    make_cert(device, timezone.now() + timedelta(days=20), serial="FIRST")
    run_alert_cycle()  # digest 1: SMTP is down
    time.sleep(1.5)
    make_cert(device, timezone.now() + timedelta(hours=5), serial="SECOND", trustpoint="other")
    run_alert_cycle()  # digest 2, also during the outage
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:  # "worker 1" keeps trying while SMTP is down
        send_due_notifications()
        time.sleep(0.2)
    attempts_during_outage = dict(Notification.objects.values_list("pk", "attempts"))
    assert len(attempts_during_outage) == 2
    assert all(2 <= n <= 5 for n in attempts_during_outage.values())  # backoff: not a tight loop
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.QUEUED}
    # Worker 1 is gone; SMTP comes back; a fresh process takes over from the database alone.
    with smtp_server(port) as sink:
        back_at = time.monotonic()
        env = worker_env(
            {
                "DJANGO_SETTINGS_MODULE": "vpnportal.settings",
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(port),
                "ALERT_EMAIL_TO": "noc@example.com",
                "NOTIFY_RETRY_BASE_SECONDS": "1",
            }
        )
        loop = (
            "import time\n"
            "from vpnportal.models import Notification\n"
            "from vpnportal.alerting.notify import notify_now\n"
            "end = time.monotonic() + 30\n"
            "while time.monotonic() < end and Notification.objects.exclude(status='sent').exists():\n"
            "    notify_now(); time.sleep(0.2)\n"
        )
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", loop], cwd=ROOT, env=env, check=True, timeout=60
        )
        delivered_after = time.monotonic() - back_at
        ids = sink.notification_ids()
        # And the in-process worker, restarted too, finds nothing left to send.
        for _ in range(3):
            notify_now()
    rows = {n.pk: n for n in Notification.objects.all()}
    assert sorted(ids) == sorted(str(pk) for pk in rows)  # each exactly once, none lost
    assert all(n.status == NotificationStatus.SENT for n in rows.values())
    assert all(n.attempts > attempts_during_outage[n.pk] for n in rows.values())
    print(
        f"SMTP outage {back_at - outage_started:.1f}s: attempts while down {sorted(attempts_during_outage.values())}, "
        f"{len(ids)} messages for {len(rows)} notifications, all delivered {delivered_after:.1f}s after SMTP came back (new process start included)"
    )


def run_concurrently(n: int, work: Callable[[], object]) -> list[BaseException]:
    """Start `work` in n threads at the same instant, each on its own database connection."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_it_sends_one_digest_when_two_workers_run_the_same_cycle(settings) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    use_smtp(settings, port)
    settings.ALERT_EMAIL_TO = ["noc@example.com", "oncall@example.com"]
    with smtp_server(port) as sink:
        device = make_device()
        for round_ in range(5):
            make_cert(
                device, timezone.now() + timedelta(days=3), serial=f"R{round_}", trustpoint=f"tp{round_}"
            )
            errors = run_concurrently(2, lambda: (run_alert_cycle(), notify_now()))
            assert errors == []
        received = sorted((str(m["To"]), str(m["Subject"])) for m in sink.messages)
    assert len(received) == 10  # 5 cycles x 2 recipients
    assert len(set(received)) == 10
    assert Alert.objects.filter(kind=AlertKind.CERT_EXPIRING).count() == 5
    assert Notification.objects.count() == 10


def test_it_evaluates_concurrently_without_duplicate_events(settings) -> None:  # type: ignore[no-untyped-def]
    make_cert(make_device(), timezone.now() + timedelta(days=3))
    assert run_concurrently(3, evaluate_rules) == []
    (alert,) = Alert.objects.all()
    assert alert.events.count() == 2  # opened, fired: once


def test_a_devices_own_contacts_get_its_alerts_and_only_them(settings) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    use_smtp(settings, port)
    settings.ALERT_EMAIL_TO = ["noc@example.com"]
    with smtp_server(port) as sink:
        now = timezone.now()
        branch = make_device("1720-1", alert_emails="branch-admin@example.net, noc@example.com")
        firewall = make_device("pix520-1", alert_emails="fw-team@example.net")
        make_cert(branch, now + timedelta(days=20), serial="3B2FD652")
        make_cert(firewall, now + timedelta(days=400), serial="0A")
        run_alert_cycle(now + timedelta(minutes=1))
        to = {str(m["To"]): sink.text(m) for m in sink.messages}
    # The NOC (ALERT_EMAIL_TO, also listed on the router) gets one digest, the branch admin the router's
    # alert; the firewall team hears nothing about a device that is not theirs.
    assert sorted(to) == ["branch-admin@example.net", "noc@example.com"]
    assert "3B2FD652" in to["branch-admin@example.net"] and "expires in 20 days" in to["noc@example.com"]
