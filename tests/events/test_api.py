"""`GET /api/events/` and `/api/tunnel-status-changes/`: fields, filters, roles; availability on tunnels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from events.models import SyslogEvent, TunnelStatusChange
from tests.alerts.factories import make_device, make_tunnel

pytestmark = pytest.mark.django_db


def _rows() -> None:
    a, b = make_device("r1"), make_device("fw1")
    tunnel = make_tunnel(a, b)
    now = timezone.now()
    SyslogEvent.objects.create(
        device=a,
        tunnel=tunnel,
        received_at=now - timedelta(hours=2),
        source="127.0.0.1",
        kind="tunnel_down",
        mnemonic="%CRYPTO-5-SESSION_STATUS",
        severity=5,
        facility="CRYPTO",
        message="Crypto tunnel is DOWN",
    )
    SyslogEvent.objects.create(
        device=b, received_at=now, source="127.0.0.1", kind="unclassified", message="x"
    )
    TunnelStatusChange.objects.create(tunnel=tunnel, at=now - timedelta(hours=12), status="up")
    TunnelStatusChange.objects.create(
        tunnel=tunnel, at=now - timedelta(hours=3), status="down", previous="up"
    )


def test_it_lists_events_with_names_and_filters(viewer: User) -> None:
    _rows()
    client = Client()
    client.force_login(viewer)
    body = client.get("/api/events/").json()
    assert body["count"] == 2
    first = body["results"][1]
    assert set(first) == {
        *("id", "device", "tunnel", "received_at", "device_time", "facility", "severity"),
        *("mnemonic", "kind", "peer", "message"),
    }
    assert (first["device"], first["tunnel"], first["kind"]) == ("r1", "hq-branch", "tunnel_down")
    assert first["mnemonic"] == "%CRYPTO-5-SESSION_STATUS"
    assert client.get("/api/events/?device=fw1").json()["count"] == 1
    assert client.get("/api/events/?tunnel=hq-branch").json()["count"] == 1
    assert client.get("/api/events/?kind=tunnel_down&kind=unclassified").json()["count"] == 2
    since = (timezone.now() - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert client.get("/api/events/", {"since": since}).json()["count"] == 1
    assert client.get("/api/events/?kind=bogus").status_code == 400
    assert client.get("/api/events/?devcie=r1").status_code == 400


def test_it_lists_status_changes_and_shows_availability(viewer: User) -> None:
    _rows()
    client = Client()
    client.force_login(viewer)
    changes = client.get("/api/tunnel-status-changes/?tunnel=hq-branch").json()["results"]
    assert [c["status"] for c in changes] == ["down", "up"]
    (tunnel,) = client.get("/api/tunnels/").json()["results"]
    assert tunnel["availability"]["24h"] == pytest.approx(0.75, abs=0.01)
    assert tunnel["availability"]["30d"] == pytest.approx(0.75, abs=0.01)


@pytest.mark.parametrize("role", ["anonymous", "norole", "viewer", "operator", "admin_user"])
@pytest.mark.parametrize("url", ["/api/events/", "/api/tunnel-status-changes/"])
def test_it_lets_every_role_read_and_nobody_write(
    request: pytest.FixtureRequest, role: str, url: str
) -> None:
    _rows()
    client = Client()
    if role == "norole":
        client.force_login(User.objects.create_user("norole", password="x" * 20))
    elif role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    read = client.get(url).status_code
    assert read == (
        200 if role in ("viewer", "operator", "admin_user") else 403 if role == "norole" else read
    )
    if role == "anonymous":
        assert read in (401, 403)
    assert client.post(url, {}).status_code in (401, 403, 405)
