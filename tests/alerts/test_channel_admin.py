"""Channels in the admin (write-only URL and secret, "Send test") and delivery state on the alert page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tests.alerts.factories import make_cert, make_device
from tests.alerts.receivers import Receiver, http_receiver, url_of
from tests.services import free_port
from vpnportal.alerting.cycle import run_alert_cycle
from vpnportal.choices import ChannelKind, NotificationStatus
from vpnportal.models import Alert, AlertChannel, AuditEntry, Notification

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SECRET = "admin-typed-secret"
CHANGELIST = "/admin/vpnportal/alertchannel/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_adds_a_channel_in_the_admin_without_ever_showing_its_url_or_secret(admin_user: User) -> None:
    client = _client(admin_user)
    url = "https://hooks.example.net/very-secret-path"
    response = client.post(
        f"{CHANGELIST}add/",
        {
            "name": "hook",
            "kind": "webhook",
            "enabled": "on",
            "url": url,
            "secret": SECRET,
            "to": "",
            "url_ref": "",
            "secret_ref": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = AlertChannel.objects.get(name="hook")
    assert (channel.url.reveal(), channel.secret.reveal()) == (url, SECRET)
    page = client.get(f"{CHANGELIST}{channel.pk}/change/").content.decode()
    listing = client.get(CHANGELIST).content.decode()
    for html in (page, listing):
        assert SECRET not in html and "very-secret-path" not in html
    assert "URL set (hidden)" in listing
    audit = json.dumps(list(AuditEntry.objects.values("before", "after", "message")))
    assert SECRET not in audit and "very-secret-path" not in audit
    # Saving again with the write-only fields blank keeps them.
    response = client.post(
        f"{CHANGELIST}{channel.pk}/change/",
        {
            "name": "hook",
            "kind": "webhook",
            "enabled": "on",
            "default": "on",
            "url": "",
            "secret": "",
            "to": "",
            "url_ref": "",
            "secret_ref": "",
        },
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.url.reveal(), channel.secret.reveal(), channel.default) == (url, SECRET, True)


def test_it_refuses_a_webhook_without_a_secret_and_a_bad_reference(admin_user: User) -> None:
    response = _client(admin_user).post(
        f"{CHANGELIST}add/",
        {
            "name": "hook",
            "kind": "webhook",
            "url": "",
            "url_ref": "env:1BAD",
            "secret": "",
            "secret_ref": "",
            "to": "",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "need a secret" in html and "not an environment variable name" in html
    assert not AlertChannel.objects.exists()


def test_it_sends_a_test_through_a_channel_from_the_admin(admin_user: User) -> None:
    port = free_port()
    channel = AlertChannel.objects.create(
        name="hook", kind=ChannelKind.WEBHOOK, url=url_of(port), secret=SECRET
    )
    with http_receiver(port, Receiver(secret=SECRET)) as hook:
        response = _client(admin_user).post(
            CHANGELIST, {"action": "send_test_action", "_selected_action": [channel.pk]}, follow=True
        )
    assert "Hook: test sent." in response.content.decode()
    [body] = hook.bodies()
    assert (body["purpose"], body["alerts"][0]["kind"]) == ("test", "test")
    assert Notification.objects.get(channel=channel).status == NotificationStatus.SENT
    assert AuditEntry.objects.filter(verb="send_test").exists()


def test_it_reports_a_failed_test_and_never_retries_it(admin_user: User) -> None:
    channel = AlertChannel.objects.create(
        name="hook", kind=ChannelKind.WEBHOOK, url=url_of(free_port()), secret=SECRET
    )
    response = _client(admin_user).post(
        CHANGELIST, {"action": "send_test_action", "_selected_action": [channel.pk]}, follow=True
    )
    assert "Hook: test failed: webhook channel hook: cannot connect" in response.content.decode()
    assert Notification.objects.get(channel=channel).status == NotificationStatus.FAILED


def test_it_lets_no_operator_send_a_test(operator: User) -> None:
    port = free_port()
    channel = AlertChannel.objects.create(
        name="hook", kind=ChannelKind.WEBHOOK, url=url_of(port), secret=SECRET
    )
    with http_receiver(port) as hook:
        response = _client(operator).post(
            CHANGELIST, {"action": "send_test_action", "_selected_action": [channel.pk]}
        )
    assert response.status_code in (302, 403)
    assert hook.requests == [] and not Notification.objects.exists()


def test_it_shows_the_delivery_state_of_each_channel_on_the_alert_page(settings, viewer: User) -> None:  # type: ignore[no-untyped-def]
    settings.ALERT_EMAIL_TO = ["noc@example.com"]
    port = free_port()
    AlertChannel.objects.create(
        name="hook", kind=ChannelKind.WEBHOOK, url=url_of(port), secret=SECRET, default=True
    )
    AlertChannel.objects.create(
        name="chat", kind=ChannelKind.SLACK, url_ref="env:VPNPORTAL_TEST_UNSET_URL", default=True
    )
    make_cert(make_device(), timezone.now() + timedelta(days=20))
    with http_receiver(port, Receiver(secret=SECRET)):
        run_alert_cycle()
    alert = Alert.objects.get()
    client = _client(viewer)
    assert f'href="/alerts/{alert.pk}/"' in client.get("/alerts/").content.decode()
    html = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert 'data-channel="hook" data-kind="webhook" data-status="sent"' in html
    assert 'data-channel="chat" data-kind="slack" data-status="queued"' in html
    assert "url: {env: VPNPORTAL_TEST_UNSET_URL}: environment variable not set" in html
    assert 'data-kind="email" data-status="sent"' in html and "noc@example.com" in html
    assert Client().get(f"/alerts/{alert.pk}/").status_code == 302  # login first
