"""Alert bookkeeping: pending -> firing over polls, resolved, unknown while unreachable, staged notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.choices import PollStatus, TunnelStatus
from devices.models import Tunnel
from tests.alerts.factories import make_cert, make_device, make_sa, make_tunnel, poll, sample
from tests.alerts.helpers import open_alerts, states
from vpnportal.alerting.evaluate import evaluate_rules
from vpnportal.choices import AlertKind, AlertState
from vpnportal.models import Alert, AlertEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def ends() -> tuple:  # type: ignore[type-arg]
    return make_device("1720-1"), make_device("pix520-1", platform="cisco_pix")


def poll_both(a, b, **kw):  # type: ignore[no-untyped-def]
    return poll(a, **kw), poll(b, **kw)


def test_it_fires_after_the_condition_held_for_two_polls_not_two_evaluations(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    make_tunnel(a, b, status=TunnelStatus.DOWN)
    poll_both(a, b)
    evaluate_rules()
    evaluate_rules()  # the beat's evaluation between polls counts nothing
    (alert,) = open_alerts(AlertKind.TUNNEL_DOWN)
    assert (alert.state, alert.consecutive) == (AlertState.PENDING, 1)
    poll_both(a, b)
    evaluate_rules()
    alert.refresh_from_db()
    assert (alert.state, alert.consecutive) == (AlertState.FIRING, 2)
    assert alert.fired_at is not None
    assert list(alert.events.values_list("old_state", "new_state", "notify")) == [
        ("", AlertState.PENDING, False),
        (AlertState.PENDING, AlertState.FIRING, True),
    ]


def test_it_honours_the_tunnels_own_pending_polls(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    make_tunnel(a, b, status=TunnelStatus.DOWN, down_after_polls=3)
    for _ in range(2):
        poll_both(a, b)
        evaluate_rules()
    assert open_alerts()[0].state == AlertState.PENDING
    poll_both(a, b)
    evaluate_rules()
    assert open_alerts()[0].state == AlertState.FIRING


def test_it_forgets_a_pending_blip_without_an_email(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    tunnel = make_tunnel(a, b, status=TunnelStatus.DOWN)
    poll_both(a, b)
    evaluate_rules()
    Tunnel.objects.filter(pk=tunnel.pk).update(status=TunnelStatus.UP)
    poll_both(a, b)
    evaluate_rules()
    (alert,) = Alert.objects.all()
    assert alert.state == AlertState.RESOLVED
    assert not alert.events.filter(notify=True).exists()


def test_it_resolves_with_a_recovery_event_once_announced(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    tunnel = make_tunnel(a, b, status=TunnelStatus.DOWN)
    for _ in range(2):
        poll_both(a, b)
        evaluate_rules()
    Alert.objects.update(last_notified_at=timezone.now())  # the digest went out
    Tunnel.objects.filter(pk=tunnel.pk).update(status=TunnelStatus.UP)
    poll_both(a, b)
    evaluate_rules()
    last = AlertEvent.objects.order_by("pk").last()
    assert last is not None
    assert (last.new_state, last.notify) == (AlertState.RESOLVED, True)


def test_it_sends_no_recovery_event_when_recovery_mails_are_off(ends: tuple, settings) -> None:  # type: ignore[no-untyped-def,type-arg]
    settings.ALERT_RECOVERY_EMAILS = False
    a, b = ends
    tunnel = make_tunnel(a, b, status=TunnelStatus.DOWN)
    for _ in range(2):
        poll_both(a, b)
        evaluate_rules()
    Alert.objects.update(last_notified_at=timezone.now())
    Tunnel.objects.filter(pk=tunnel.pk).update(status=TunnelStatus.UP)
    poll_both(a, b)
    evaluate_rules()
    assert not AlertEvent.objects.filter(new_state=AlertState.RESOLVED, notify=True).exists()


def test_it_opens_only_poll_failed_when_a_poll_fails(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    now = timezone.now()
    tunnel = make_tunnel(a, b)
    make_cert(a, now + timedelta(days=3))
    poll_both(a, b)
    sa = make_sa(a, tunnel, inbound=1, outbound=2)
    make_sa(b, tunnel, inbound=2, outbound=1)
    evaluate_rules()
    (expiring,) = open_alerts()
    assert expiring.kind == AlertKind.CERT_EXPIRING
    # The device stops answering; the correlator, seeing no SAs from it, might even say "down".
    Tunnel.objects.filter(pk=tunnel.pk).update(status=TunnelStatus.DOWN)
    sa.delete()
    for _ in range(2):
        poll(a, status=PollStatus.FAILED, reason="connection refused")
        poll(b)
        evaluate_rules()
    kinds = {x.kind: x.state for x in open_alerts()}
    assert kinds == {AlertKind.POLL_FAILED: AlertState.FIRING, AlertKind.CERT_EXPIRING: AlertState.UNKNOWN}
    assert not Alert.objects.filter(state=AlertState.RESOLVED).exists()
    to_unknown = AlertEvent.objects.get(new_state=AlertState.UNKNOWN)
    assert to_unknown.notify is False


def test_it_takes_alerts_back_from_unknown_when_the_device_answers(ends: tuple) -> None:  # type: ignore[type-arg]
    a, _b = ends
    now = timezone.now()
    make_cert(a, now + timedelta(days=3))
    poll(a)
    evaluate_rules()
    poll(a, status=PollStatus.FAILED, reason="timeout")
    evaluate_rules()
    assert open_alerts()[0].state == AlertState.UNKNOWN
    poll(a)
    evaluate_rules()
    kinds = {x.kind: x.state for x in open_alerts()}
    assert kinds == {AlertKind.CERT_EXPIRING: AlertState.FIRING}
    back = AlertEvent.objects.filter(old_state=AlertState.UNKNOWN).get()
    assert (back.new_state, back.notify) == (AlertState.FIRING, False)
    # The single failed poll never fired poll_failed: a pending blip, resolved silently.
    assert states(AlertKind.POLL_FAILED) == {"poll_failed:1720-1:": AlertState.RESOLVED}


def test_it_evaluates_time_based_rules_without_polls() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now + timedelta(hours=1), serial="SOON")
    evaluate_rules(now)
    assert [(x.kind, x.state) for x in open_alerts()] == [(AlertKind.CERT_EXPIRING, AlertState.FIRING)]
    evaluate_rules(now + timedelta(hours=2))
    assert [(x.kind, x.state) for x in open_alerts()] == [(AlertKind.CERT_EXPIRED, AlertState.FIRING)]


def test_it_notifies_once_per_expiry_stage_with_the_days_left() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now + timedelta(days=31), serial="3B2FD652")
    notes = []
    for day in range(0, 34):
        evaluate_rules(now + timedelta(days=day, minutes=1))
    for event in AlertEvent.objects.filter(notify=True).order_by("pk"):
        notes.append((event.alert.kind, event.new_state, event.note.split(":")[0]))
    assert notes == [
        (AlertKind.CERT_EXPIRING, AlertState.FIRING, "fired"),  # day 1: 30 days left
        (AlertKind.CERT_EXPIRING, AlertState.FIRING, "worse"),  # day 24: within 7 days
        (AlertKind.CERT_EXPIRING, AlertState.FIRING, "worse"),  # day 30: within 1 day
        (AlertKind.CERT_EXPIRED, AlertState.FIRING, "fired"),  # day 31
    ]
    # The expiring alert made way for the expired one: no "recovered" mail for it.
    resolved = AlertEvent.objects.get(new_state=AlertState.RESOLVED)
    assert (resolved.alert.kind, resolved.notify, resolved.note) == (
        AlertKind.CERT_EXPIRING,
        False,
        "resolved: superseded",
    )


def test_it_resolves_expiry_notices_when_a_successor_arrives() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now + timedelta(days=5), serial="OLD")
    evaluate_rules(now)
    make_cert(device, now + timedelta(days=365), valid_from=now - timedelta(minutes=5), serial="NEW")
    evaluate_rules(now)
    assert open_alerts() == []


def test_it_fires_nothing_on_a_rekey(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    tunnel = make_tunnel(a, b)
    pa, pb = poll_both(a, b)
    sa_a = make_sa(a, tunnel, inbound=0xD740971C, outbound=0x3803A0C1)
    sa_b = make_sa(b, tunnel, inbound=0x3803A0C1, outbound=0xD740971C)
    sample(sa_a, pa), sample(sa_b, pb)
    evaluate_rules()
    # One end has rekeyed between the two polls: SPIs disagree, counters restart from zero.
    pa, pb = poll_both(a, b)
    Tunnel.objects.filter(pk=tunnel.pk).update(spi_mirror_ok=False, status=TunnelStatus.DEGRADED)
    sa_a.inbound_spi, sa_a.outbound_spi = 0x11111111, 0x22222222
    sa_a.save()
    sample(sa_a, pa, d_encaps=3, d_decaps=3, reset=True)
    sample(sa_b, pb, d_encaps=40, d_decaps=40)
    evaluate_rules()
    # The next poll sees both ends on the new SAs.
    pa, pb = poll_both(a, b)
    Tunnel.objects.filter(pk=tunnel.pk).update(spi_mirror_ok=True, status=TunnelStatus.UP)
    sa_b.inbound_spi, sa_b.outbound_spi = 0x22222222, 0x11111111
    sa_b.save()
    sample(sa_a, pa, d_encaps=50, d_decaps=48)
    sample(sa_b, pb, d_encaps=4, d_decaps=2, reset=True)
    evaluate_rules()
    assert open_alerts() == []
    assert not Alert.objects.filter(fired_at__isnull=False).exists()
    assert not AlertEvent.objects.filter(notify=True).exists()


def test_it_resolves_silently_the_alerts_of_a_disabled_device() -> None:
    now = timezone.now()
    device = make_device()
    make_cert(device, now + timedelta(days=2))
    evaluate_rules(now)
    device.enabled = False
    device.save()
    evaluate_rules(now)
    assert open_alerts() == []
    assert not AlertEvent.objects.filter(new_state=AlertState.RESOLVED, notify=True).exists()
