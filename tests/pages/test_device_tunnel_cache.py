"""The device and tunnel pages are cached under their own devices' versions: kept across the fleet's other
alerts and tunnels, rendered again by whatever changes what they show (docs/pages.md, the page cache)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from devices.choices import PollStatus, TunnelStatus
from devices.diagnosis.model import Finding
from devices.diagnosis.refresh import _sync
from devices.models import Device, DeviceState, Poll, Tunnel
from tests.pages.seed import Seed
from vpnportal.alerting import actions
from vpnportal.choices import AlertKind, AlertState, Severity
from vpnportal.models import Alert

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pages(seed: Seed) -> list[str]:
    return [f"/devices/{seed.router.pk}/", f"/devices/{seed.pix.pk}/", f"/tunnels/{seed.tunnel.pk}/"]


def _unsignalled_change(seed: Seed) -> None:
    """A change no signal reports (an UPDATE): a cached page keeps showing the old value."""
    DeviceState.objects.filter(device=seed.router).update(hostname="renamed-by-update")
    Tunnel.objects.filter(pk=seed.tunnel.pk).update(status_reason="rekeyed while we looked")


def _elsewhere() -> tuple[Device, Tunnel]:
    a = Device.objects.create(name="lab-a", host="127.0.0.2", platform="cisco_ios")
    b = Device.objects.create(name="lab-b", host="127.0.0.3", platform="cisco_ios")
    return a, Tunnel.objects.create(name="lab-a--lab-b", end_a=a, end_b=b, status=TunnelStatus.UP)


def test_an_alert_or_a_tunnel_elsewhere_keeps_the_device_and_tunnel_pages(seed: Seed, viewer: User) -> None:
    lab, lab_tunnel = _elsewhere()
    client = _client(viewer)
    for path in _pages(seed):
        client.get(path)
    _unsignalled_change(seed)
    # The fleet-wide scopes move (an alert opens on another device, another tunnel goes down)...
    Alert.objects.create(
        kind=AlertKind.POLL_FAILED, key="poll_failed:lab-a", device=lab, state=AlertState.FIRING
    )
    lab_tunnel.status = TunnelStatus.DOWN
    lab_tunnel.save()
    # ...and these pages are still the cached ones.
    assert "renamed-by-update" not in client.get(f"/devices/{seed.router.pk}/").content.decode()
    assert "rekeyed while we looked" not in client.get(f"/tunnels/{seed.tunnel.pk}/").content.decode()
    assert "rekeyed while we looked" not in client.get(f"/devices/{seed.pix.pk}/").content.decode()


def test_a_poll_of_the_device_renders_its_page_and_its_tunnels_pages_again(seed: Seed, viewer: User) -> None:
    client = _client(viewer)
    for path in _pages(seed):
        client.get(path)
    _unsignalled_change(seed)
    now = timezone.now()
    poll = Poll.objects.create(device=seed.router, slot=now, status=PollStatus.RUNNING, started_at=now)
    poll.status, poll.finished_at = PollStatus.OK, now
    poll.save(update_fields=["status", "finished_at"])
    assert "renamed-by-update" in client.get(f"/devices/{seed.router.pk}/").content.decode()
    assert "rekeyed while we looked" in client.get(f"/tunnels/{seed.tunnel.pk}/").content.decode()
    # The peer's page lists the tunnel with the router's name: keyed by the router's version too.
    assert "rekeyed while we looked" in client.get(f"/devices/{seed.pix.pk}/").content.decode()


def test_an_alert_change_on_the_device_shows_at_once(seed: Seed, viewer: User) -> None:
    client = _client(viewer)
    for path in _pages(seed):
        client.get(path)
    seed.alert.summary = "Identity certificate renewed elsewhere, still expiring"
    seed.alert.save()
    for path in (f"/devices/{seed.router.pk}/", f"/tunnels/{seed.tunnel.pk}/"):
        assert "renewed elsewhere" in client.get(path).content.decode(), path


def test_an_alert_of_the_tunnel_shows_on_the_tunnel_and_on_both_ends_pages(seed: Seed, viewer: User) -> None:
    client = _client(viewer)
    for path in _pages(seed):
        client.get(path)
    # A tunnel's alert has no device (vpnportal/alerting/core.py:tunnel_candidate).
    alert = Alert.objects.create(
        kind=AlertKind.TUNNEL_DOWN,
        key=f"tunnel_down:{seed.tunnel.name}",
        tunnel=seed.tunnel,
        subject="tunnel-alert-subject",
        severity=Severity.CRITICAL,
        state=AlertState.PENDING,
    )
    for path in _pages(seed):
        assert "tunnel-alert-subject" in client.get(path).content.decode(), path
    # Loaded without its tunnel (as the alert cycle loads it), then fired.
    alert = Alert.objects.get(pk=alert.pk)
    alert.state, alert.fired_at = AlertState.FIRING, timezone.now()
    alert.save()
    for path in _pages(seed):
        assert 'badge status-firing">firing</span>' in client.get(path).content.decode(), path


def test_a_silence_of_the_tunnel_shows_on_its_page_at_once(seed: Seed, operator: User) -> None:
    client = _client(operator)
    client.get(f"/tunnels/{seed.tunnel.pk}/")
    actions.silence(Tunnel.objects.get(pk=seed.tunnel.pk), timezone.now() + timedelta(hours=4), operator, "x")
    assert "silenced until" in client.get(f"/tunnels/{seed.tunnel.pk}/").content.decode()


def test_a_diagnosis_of_the_tunnel_shows_on_its_page_and_its_ends_pages(seed: Seed, viewer: User) -> None:
    client = _client(viewer)
    for path in _pages(seed):
        client.get(path)
    found = Finding(code="lifetime_mismatch", severity="warning", title="Lifetimes differ here", subject="x")
    _sync({"device": None, "tunnel": seed.tunnel}, [found], timezone.now(), None, None)
    assert "Lifetimes differ here" in client.get(f"/tunnels/{seed.tunnel.pk}/").content.decode()
    found = Finding(code="weak_cipher", severity="warning", title="A weak cipher here", subject="y")
    _sync({"device": seed.router, "tunnel": None}, [found], timezone.now(), None, None)
    assert "A weak cipher here" in client.get(f"/devices/{seed.router.pk}/").content.decode()


def test_the_cached_pages_follow_the_reader_s_language(seed: Seed, viewer: User) -> None:
    from tests.i18n.compiled import compile_japanese

    compile_japanese()
    client = _client(viewer)
    for path in _pages(seed):
        english = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        japanese = client.get(path, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
        assert "Diagnosis" in english and "Diagnosis" not in japanese, path
        assert "診断" in japanese, path


def test_the_cached_pages_follow_the_reader_s_permissions(seed: Seed, viewer: User, operator: User) -> None:
    silence = 'class="silence inline"'
    for path in _pages(seed):
        assert silence not in _client(viewer).get(path).content.decode(), path
        assert silence in _client(operator).get(path).content.decode(), path
        assert silence not in _client(viewer).get(path).content.decode(), path
