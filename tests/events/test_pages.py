"""The timeline on the tunnel and device pages, and availability on the tunnels list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from events.models import SyslogEvent, TunnelStatusChange
from tests.alerts.factories import make_device, make_tunnel

pytestmark = pytest.mark.django_db


def test_it_shows_events_changes_and_availability(viewer: User) -> None:
    a, b = make_device("r1"), make_device("fw1")
    tunnel = make_tunnel(a, b, status="down", status_changed_at=timezone.now() - timedelta(hours=6))
    now = timezone.now()
    SyslogEvent.objects.create(
        device=a,
        tunnel=tunnel,
        received_at=now - timedelta(hours=6, seconds=5),
        source="127.0.0.1",
        kind="tunnel_down",
        mnemonic="%CRYPTO-5-SESSION_STATUS",
        message="Crypto tunnel is DOWN <b>",
    )
    TunnelStatusChange.objects.create(tunnel=tunnel, at=now - timedelta(hours=24), status="up")
    TunnelStatusChange.objects.create(
        tunnel=tunnel,
        at=now - timedelta(hours=6),
        status="down",
        previous="up",
        reason="after %CRYPTO-5-SESSION_STATUS from r1",
        source="event",
    )
    client = Client()
    client.force_login(viewer)
    page = client.get(f"/tunnels/{tunnel.pk}/").content.decode()
    assert 'id="timeline"' in page and "%CRYPTO-5-SESSION_STATUS" in page
    assert "Crypto tunnel is DOWN &lt;b&gt;" in page  # device text is escaped
    assert 'data-window="24h">75.00 %' in page
    assert "down since" in page
    device_page = client.get(f"/devices/{a.pk}/").content.decode()
    assert 'id="timeline"' in device_page and "Crypto tunnel is DOWN" in device_page
    listing = client.get("/tunnels/").content.decode()
    assert "24h 75.00 %" in listing and "down since" in listing
