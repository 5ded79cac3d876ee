"""Alert email gives its times in the portal's TIME_ZONE and names that zone, never a zone it did not use."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from django.test import override_settings

from tests.alerts.factories import make_cert, make_device
from tests.alerts.smtp import Sink, free_port, smtp_server, use_smtp
from vpnportal.alerting.cycle import run_alert_cycle
from vpnportal.models import Alert

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # 21:00 in Tokyo
# A time followed by the zone it is in; the label must be the zone the time was rendered in.
STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d ([^\s<]+)")


def _html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def _fire_and_resolve(sink: Sink) -> tuple[list[str], list[str]]:
    cert = make_cert(make_device(), NOW + timedelta(days=10), serial="3B2FD652")
    run_alert_cycle(NOW)
    run_alert_cycle(NOW + timedelta(minutes=1))
    assert Alert.objects.filter(fired_at__isnull=False).exists()
    cert.valid_to = NOW + timedelta(days=400)  # renewed
    cert.save()
    run_alert_cycle(NOW + timedelta(hours=3))
    run_alert_cycle(NOW + timedelta(hours=3, minutes=1))
    return [sink.text(m) for m in sink.messages], [_html(m) for m in sink.messages]


@override_settings(TIME_ZONE="Asia/Tokyo")
def test_times_are_in_the_time_zone_and_say_so(settings) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    use_smtp(settings, port)
    with smtp_server(port) as sink:
        texts, htmls = _fire_and_resolve(sink)
    assert len(texts) == 2, texts
    fired, resolved = texts
    fired_at = Alert.objects.get().fired_at
    assert fired_at is not None
    since = fired_at.astimezone(UTC) + timedelta(hours=9)
    assert fired.startswith("vpnportal alerts, 2026-03-01 21:0")
    assert f"since {since:%Y-%m-%d %H:%M} JST" in fired
    assert f"{since:%Y-%m-%d %H:%M} JST - 2026-03-02 00:0" in resolved  # resolved after midnight in Tokyo
    for body in (*texts, *htmls):
        assert "Asia/Tokyo (UTC+09:00)" in body
        assert set(STAMP.findall(body)) == {"JST"}, body


@override_settings(TIME_ZONE="UTC")
def test_a_utc_portal_still_says_utc(settings) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    use_smtp(settings, port)
    with smtp_server(port) as sink:
        texts, htmls = _fire_and_resolve(sink)
    assert texts[0].startswith("vpnportal alerts, 2026-03-01 12:0")
    for body in (*texts, *htmls):
        assert set(STAMP.findall(body)) == {"UTC"}, body
