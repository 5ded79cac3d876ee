"""Alert channels end to end: one alert through email, webhook, Slack, Teams and a real Alertmanager."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from devices.models import Device
from pki.models import Certificate
from tests.alerts.factories import make_cert, make_device
from tests.alerts.receivers import Receiver, alertmanager, am_alerts, http_receiver, url_of
from tests.alerts.smtp import smtp_server, use_smtp
from tests.services import free_port, wait_for
from vpnportal.alerting.cycle import run_alert_cycle
from vpnportal.alerting.notify import send_due_notifications
from vpnportal.choices import AlertKind, ChannelKind, NotificationStatus
from vpnportal.models import Alert, AlertChannel, Notification

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HOOK_SECRET = "s3cr3t-hook-key"


def inventory(tmp_path: Path, ports: dict[str, int], am_base: str) -> Path:
    """An inventory with one channel of each kind; r1 names the non-default ones, r2 none."""
    teams_url = tmp_path / "teams-url"
    teams_url.write_text(url_of(ports["teams"], "/teams") + "\n")  # a mounted secret file's newline
    path = tmp_path / "inventory.yaml"
    path.write_text(
        f"""
channels:
  - {{name: noc-mail, kind: email, to: [noc@example.net], default: true}}
  - {{name: noc-hook, kind: webhook, url: "{url_of(ports["hook"])}", secret: {{env: TEST_HOOK_SECRET}}}}
  - {{name: chat, kind: slack, url: {{env: TEST_SLACK_URL}}}}
  - {{name: teams, kind: teams, url: {{file: {teams_url}}}}}
  - {{name: am, kind: alertmanager, url: "{am_base}"}}
devices:
  - {{name: r1, host: 192.0.2.1, platform: cisco_ios, username: netops, password: pw1,
     channels: [noc-hook, chat, teams, am]}}
  - {{name: r2, host: 192.0.2.2, platform: cisco_ios, username: netops, password: pw2}}
"""
    )
    return path


@pytest.fixture
def channel_settings(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    settings.ALERT_EMAIL_TO = []  # email goes through the inventory's email channel only
    settings.VPNPORTAL_SITE_URL = "https://vpn.example.net"
    settings.NOTIFY_RETRY_BASE_SECONDS = 1
    monkeypatch.setenv("TEST_HOOK_SECRET", HOOK_SECRET)
    return settings


def _am_ours(base: str) -> list[dict[str, Any]]:
    return [a for a in am_alerts(base) if a["labels"].get("alertname") == AlertKind.CERT_EXPIRING]


def test_it_delivers_one_alert_and_its_resolution_once_to_every_kind_of_channel(
    channel_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = {name: free_port() for name in ("smtp", "hook", "slack", "teams")}
    use_smtp(channel_settings, ports["smtp"])
    monkeypatch.setenv("TEST_SLACK_URL", url_of(ports["slack"], "/services/T000/B000/XXXX"))
    with (
        alertmanager() as am,
        smtp_server(ports["smtp"]) as mail,
        http_receiver(ports["hook"], Receiver(secret=HOOK_SECRET)) as hook,
        http_receiver(ports["slack"]) as slack,
        http_receiver(ports["teams"]) as teams,
    ):
        call_command("import_inventory", str(inventory(tmp_path, ports, am)))
        assert set(AlertChannel.objects.values_list("name", flat=True)) == {
            "noc-mail",
            "noc-hook",
            "chat",
            "teams",
            "am",
        }
        r1 = Device.objects.get(name="r1")
        cert = make_cert(r1, timezone.now() + timedelta(days=20), serial="3B2FD652")
        run_alert_cycle()
        run_alert_cycle()  # nothing new: nothing more is sent
        alert = Alert.objects.get(kind=AlertKind.CERT_EXPIRING)

        # Email: one digest, from the channel.
        assert len(mail.messages) == 1
        assert "3B2FD652" in mail.text(mail.messages[0]) or "r1" in mail.text(mail.messages[0])
        # Webhook: one signed post (the receiver refuses a wrong signature), the documented schema.
        assert hook.refused == []
        [fired] = hook.bodies()
        assert fired["version"] == 1 and fired["source"] == "vpnportal" and fired["channel"] == "noc-hook"
        [record] = fired["alerts"]
        assert {
            k: record[k] for k in ("id", "kind", "severity", "state", "event", "device", "tunnel", "subject")
        } == {
            "id": alert.pk,
            "kind": "cert_expiring",
            "severity": "warning",
            "state": "firing",
            "event": "fired",
            "device": "r1",
            "tunnel": "",
            "subject": "3B2FD652",
        }
        assert record["link"] == f"https://vpn.example.net/alerts/{alert.pk}/"
        assert record["started_at"] and record["resolved_at"] is None
        key = hook.requests[0].headers["x-vpnportal-idempotency-key"]
        assert (
            key
            == fired["idempotency_key"]
            == Notification.objects.get(channel_name="noc-hook").idempotency_key
        )
        # Slack: an incoming-webhook message (text + mrkdwn section blocks), at the URL from the environment.
        [slack_msg] = slack.bodies()
        assert slack.requests[0].path == "/services/T000/B000/XXXX"
        assert "FIRING" in slack_msg["text"] and slack_msg["blocks"][0]["type"] == "section"
        assert (
            f"<https://vpn.example.net/alerts/{alert.pk}/|Open in vpnportal>"
            in slack_msg["blocks"][0]["text"]["text"]
        )
        # Teams: a message with an Adaptive Card, at the URL read from the file (its newline stripped).
        [teams_msg] = teams.bodies()
        assert teams.requests[0].path == "/teams"
        card = teams_msg["attachments"][0]
        assert (
            teams_msg["type"] == "message"
            and card["contentType"] == "application/vnd.microsoft.card.adaptive"
        )
        assert card["content"]["type"] == "AdaptiveCard"
        facts = card["content"]["body"][1]["items"][2]["facts"]
        assert {"title": "Kind", "value": "cert_expiring"} in facts
        # Alertmanager's own API shows it firing, with our labels and an endsAt ahead.
        [firing] = wait_for(lambda: _am_ours(am) or None)
        assert firing["labels"] == {
            "alertname": "cert_expiring",
            "device": "r1",
            "subject": "3B2FD652",
            "severity": "warning",
        }
        assert firing["status"]["state"] == "active"

        # The certificate is replaced: one resolution each.
        Certificate.objects.filter(pk=cert.pk).delete()
        run_alert_cycle()
        run_alert_cycle()
        assert len(mail.messages) == 2 and "RESOLVED" in mail.text(mail.messages[1]).upper()
        assert [b["alerts"][0]["event"] for b in hook.bodies()] == ["fired", "resolved"]
        assert hook.bodies()[1]["alerts"][0]["state"] == "resolved"
        assert hook.bodies()[1]["alerts"][0]["resolved_at"]
        assert len(slack.bodies()) == 2 and "RESOLVED" in slack.bodies()[1]["text"]
        assert (
            len(teams.bodies()) == 2
            and "RESOLVED" in teams.bodies()[1]["attachments"][0]["content"]["body"][0]["text"]
        )
        # Resolved in Alertmanager: its API no longer lists it as an alert (well before our endsAt).
        wait_for(lambda: _am_ours(am) == [], timeout=30)
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}
    assert Notification.objects.count() == 10  # 5 channels x (fired, resolved)


def test_it_gives_a_receiver_that_was_down_its_notification_after_it_comes_back(
    channel_settings: Any, tmp_path: Path
) -> None:
    port = free_port()
    channel = AlertChannel.objects.create(
        name="noc-hook", kind=ChannelKind.WEBHOOK, url=url_of(port), secret=HOOK_SECRET, default=True
    )
    make_cert(make_device(), timezone.now() + timedelta(days=20), serial="AB12")
    run_alert_cycle()  # nobody listens on the port yet
    row = Notification.objects.get(channel=channel)
    assert (row.status, row.attempts) == (NotificationStatus.QUEUED, 1)
    assert "cannot connect" in row.last_error and url_of(port) not in row.last_error
    with http_receiver(port, Receiver(secret=HOOK_SECRET)) as hook:
        # Not before its backoff is over...
        send_due_notifications()
        assert hook.requests == []
        time.sleep(1.2)
        counts = send_due_notifications()
        assert counts["sent"] == 1
        send_due_notifications(timezone.now() + timedelta(hours=2))
    [body] = hook.bodies()
    assert body["alerts"][0]["subject"] == "AB12"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (NotificationStatus.SENT, 2, "")
    assert body["idempotency_key"] == row.idempotency_key


def test_it_re_posts_firing_alerts_to_alertmanager_before_they_expire_there(
    channel_settings: Any,
) -> None:
    channel_settings.ALERTMANAGER_REPOST_SECONDS = 1
    with alertmanager() as am:
        AlertChannel.objects.create(name="am", kind=ChannelKind.ALERTMANAGER, url=am, default=True)
        make_cert(make_device(), timezone.now() + timedelta(days=20), serial="CD34")
        run_alert_cycle()
        [first] = wait_for(lambda: _am_ours(am) or None)
        time.sleep(1.5)
        run_alert_cycle()  # a refresh is due: the firing alert is posted again, valid for longer
        [second] = wait_for(lambda: [a for a in _am_ours(am) if a["endsAt"] > first["endsAt"]] or None)
        assert second["startsAt"] == first["startsAt"]
    assert Notification.objects.filter(purpose="refresh", status=NotificationStatus.SENT).count() >= 1


def test_it_fails_a_delivery_whose_reference_is_missing_naming_the_reference_only(
    channel_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_HOOK_SECRET")
    port = free_port()
    AlertChannel.objects.create(
        name="noc-hook",
        kind=ChannelKind.WEBHOOK,
        url=url_of(port),
        secret_ref="env:TEST_HOOK_SECRET",
        default=True,
    )
    make_cert(make_device(), timezone.now() + timedelta(days=20))
    with http_receiver(port) as hook:
        run_alert_cycle()
        row = Notification.objects.get(channel_name="noc-hook")
        assert row.status == NotificationStatus.QUEUED
        assert "{env: TEST_HOOK_SECRET}" in row.last_error and "not set" in row.last_error
        assert hook.requests == []
        # Once the variable is there, the backlog goes out.
        monkeypatch.setenv("TEST_HOOK_SECRET", HOOK_SECRET)
        send_due_notifications(timezone.now() + timedelta(hours=1))
        assert len(hook.requests) == 1


def test_it_gives_alertmanager_the_alert_after_it_comes_back_while_email_goes_out_meanwhile(
    channel_settings: Any,
) -> None:
    smtp_port, am_port = free_port(), free_port()
    use_smtp(channel_settings, smtp_port)
    channel_settings.ALERT_EMAIL_TO = ["noc@example.com"]
    AlertChannel.objects.create(
        name="am", kind=ChannelKind.ALERTMANAGER, url=f"http://127.0.0.1:{am_port}/", default=True
    )
    make_cert(make_device(), timezone.now() + timedelta(days=20), serial="EF56")
    with smtp_server(smtp_port) as mail:
        run_alert_cycle()  # Alertmanager is down: email is not held up by it
        assert len(mail.messages) == 1
    row = Notification.objects.get(channel_name="am")
    assert (row.status, row.attempts) == (NotificationStatus.QUEUED, 1)
    with alertmanager(am_port) as am:
        send_due_notifications(timezone.now() + timedelta(minutes=5))
        [firing] = wait_for(lambda: _am_ours(am) or None)
        assert firing["labels"]["subject"] == "EF56"
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT


@pytest.mark.parametrize(
    ("answer", "status", "error"),
    [
        (500, NotificationStatus.QUEUED, "webhook channel noc-hook: HTTP 500"),
        (429, NotificationStatus.QUEUED, "webhook channel noc-hook: HTTP 429"),
        (400, NotificationStatus.FAILED, "webhook channel noc-hook: HTTP 400 (refused)"),
        (302, NotificationStatus.FAILED, "webhook channel noc-hook: HTTP 302 redirect (not followed)"),
    ],
)
def test_it_retries_a_server_error_and_gives_up_on_a_refusal(
    channel_settings: Any, answer: int, status: str, error: str
) -> None:
    port = free_port()
    AlertChannel.objects.create(
        name="noc-hook", kind=ChannelKind.WEBHOOK, url=url_of(port), secret=HOOK_SECRET, default=True
    )
    make_cert(make_device(), timezone.now() + timedelta(days=20))
    with http_receiver(port, Receiver(answer=answer)) as hook:
        run_alert_cycle()
    row = Notification.objects.get(channel_name="noc-hook")
    assert (row.status, row.last_error, len(hook.requests)) == (status, error, 1)


def test_it_fails_what_was_queued_for_a_channel_disabled_since(channel_settings: Any) -> None:
    port = free_port()
    channel = AlertChannel.objects.create(
        name="noc-hook", kind=ChannelKind.WEBHOOK, url=url_of(port), secret=HOOK_SECRET, default=True
    )
    make_cert(make_device(), timezone.now() + timedelta(days=20))
    run_alert_cycle()  # nobody listens: queued for a retry
    AlertChannel.objects.filter(pk=channel.pk).update(enabled=False)
    with http_receiver(port) as hook:
        send_due_notifications(timezone.now() + timedelta(hours=1))
    row = Notification.objects.get(channel=channel)
    assert (row.status, row.last_error, hook.requests) == (
        NotificationStatus.FAILED,
        "channel noc-hook is disabled",
        [],
    )
