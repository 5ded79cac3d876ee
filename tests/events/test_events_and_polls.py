"""Events on rows: the tunnel an event concerns, the debounced polls it triggers, the status-change rows and
the alert that fires at once when polls of both ends confirm a loss event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from devices.choices import TunnelStatus
from devices.correlate import correlate_tunnels
from devices.models import Device, IkeSa
from events.classify import classify
from events.models import EventPoll, SyslogEvent, TunnelStatusChange
from events.retention import prune_events
from events.store import Received, store_events, tunnel_for
from events.syslog_format import parse_message
from events.triggers import claim_trigger, devices_to_poll
from tests.alerts.factories import make_device, make_sa, make_tunnel, poll
from vpnportal.alerting import tunnel_rules
from vpnportal.alerting.core import build_context

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> None:
    settings.EVENT_POLL_DEBOUNCE_SECONDS = 10
    settings.ALERT_PENDING_POLLS = 2
    settings.POLL_INTERVAL_SECONDS = 300
    settings.CELERY_TASK_ALWAYS_EAGER = False


def _received(device_id: int, raw: bytes, at: Any = None) -> Received:
    at = at or timezone.now()
    msg = parse_message(raw, at)
    assert msg is not None
    return Received(device_id, "127.0.0.1", at, msg, classify(msg))


def _pair() -> tuple[Any, Any, Any]:
    a = make_device("r1")
    b = make_device("fw1")
    Device.objects.filter(pk=b.pk).update(host="10.0.0.2")
    tunnel = make_tunnel(a, b)
    make_sa(a, tunnel, inbound=0x1111, outbound=0x2222, current_peer="10.0.0.2")
    make_sa(b, tunnel, inbound=0x2222, outbound=0x1111, current_peer="10.0.0.1")
    IkeSa.objects.create(device=a, peer="10.0.0.2", state="QM_IDLE")
    IkeSa.objects.create(device=b, peer="10.0.0.1", state="MM_ACTIVE")
    return a, b, tunnel


def test_it_finds_the_tunnel_by_peer_address_or_spi() -> None:
    a, b, tunnel = _pair()
    down = _received(a.pk, b"<189>%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer 10.0.0.2:500")
    assert tunnel_for(a.pk, down.meaning) == tunnel
    spi = _received(
        b.pk, b"<166>%ASA-6-602304: IPSEC: An outbound LAN-to-LAN SA (SPI= 0x00001111) has been deleted."
    )
    assert tunnel_for(b.pk, spi.meaning) == tunnel
    other = _received(a.pk, b"<189>%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer 192.0.2.77:500")
    assert tunnel_for(a.pk, other.meaning) is None


def test_it_polls_both_ends_of_a_tunnel_event_once_per_debounce() -> None:
    a, b, tunnel = _pair()
    now = timezone.now()
    (event,) = store_events(
        [_received(a.pk, b"<189>%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer 10.0.0.2:500", now)]
    )
    assert event.tunnel == tunnel and event.kind == "tunnel_down"
    assert devices_to_poll(event) == [a.pk, b.pk]
    assert set(EventPoll.objects.values_list("device_id", flat=True)) == {a.pk, b.pk}
    # Inside the window: one deferred poll at its end, then nothing until that poll's own window ends.
    assert claim_trigger(a.pk, now + timedelta(seconds=4)) == pytest.approx(6.0)
    assert claim_trigger(a.pk, now + timedelta(seconds=5)) is None
    assert claim_trigger(a.pk, now + timedelta(seconds=9)) is None
    # After the deferred poll (at 10 s), its own window: deferred to 20 s.
    assert claim_trigger(a.pk, now + timedelta(seconds=15)) == pytest.approx(5.0)
    assert claim_trigger(a.pk, now + timedelta(seconds=31)) == 0.0
    assert claim_trigger(b.pk, now + timedelta(seconds=30)) == 0.0


def test_it_does_not_poll_for_an_unclassified_message() -> None:
    a, _, _ = _pair()
    store_events([_received(a.pk, b"<189>%LINK-3-UPDOWN: Interface Ethernet0, changed state to down")])
    assert SyslogEvent.objects.get().kind == "unclassified"
    assert not EventPoll.objects.exists()


def test_it_writes_a_row_for_every_status_change_with_what_led_to_it() -> None:
    a, b, tunnel = _pair()
    poll(a), poll(b)
    correlate_tunnels()
    assert list(TunnelStatusChange.objects.values_list("status", "previous", "source")) == [
        ("up", "", "poll")
    ]
    correlate_tunnels()  # no change, no row
    assert TunnelStatusChange.objects.count() == 1
    store_events(
        [_received(a.pk, b"<189>%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer 10.0.0.2:500")]
    )
    a.ipsec_sas.update(active=False)
    b.ipsec_sas.update(active=False)
    poll(a), poll(b)
    correlate_tunnels()
    change = TunnelStatusChange.objects.order_by("id").last()
    assert change is not None and (change.status, change.previous, change.source) == ("down", "up", "event")
    assert change.event is not None and "%CRYPTO-5-SESSION_STATUS" in change.reason
    tunnel.refresh_from_db()
    assert tunnel.status == TunnelStatus.DOWN


def test_a_down_confirmed_by_both_ends_after_a_loss_event_fires_at_once() -> None:
    a, b, tunnel = _pair()
    poll(a, at=timezone.now() - timedelta(minutes=1)), poll(b, at=timezone.now() - timedelta(minutes=1))
    tunnel.status = TunnelStatus.DOWN
    tunnel.save()
    a.ipsec_sas.update(active=False)
    b.ipsec_sas.update(active=False)
    (cand,) = tunnel_rules.tunnel_down(build_context(timezone.now()))
    assert cand.needs == 2  # polls alone: the pending polls
    store_events(
        [_received(a.pk, b"<189>%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer 10.0.0.2:500")]
    )
    poll(a)
    (cand,) = tunnel_rules.tunnel_down(build_context(timezone.now()))
    assert cand.needs == 2  # one end polled since the event is not a confirmation
    poll(b)
    (cand,) = tunnel_rules.tunnel_down(build_context(timezone.now()))
    assert cand.needs == 1


def test_a_down_event_the_polls_contradict_raises_nothing() -> None:
    a, b, tunnel = _pair()
    store_events(
        [_received(a.pk, b"<189>%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer 10.0.0.2:500")]
    )
    poll(a), poll(b)
    correlate_tunnels()
    tunnel.refresh_from_db()
    assert tunnel.status == TunnelStatus.UP
    assert tunnel_rules.tunnel_down(build_context(timezone.now())) == []


def test_it_prunes_old_events_and_changes_but_keeps_each_tunnels_latest(settings: Any) -> None:
    settings.HISTORY_RAW_DAYS = 7
    a, _, tunnel = _pair()
    old = timezone.now() - timedelta(days=8)
    store_events([_received(a.pk, b"<189>%SYS-5-RESTART: System restarted --", old)])
    TunnelStatusChange.objects.create(tunnel=tunnel, at=old, status="up")
    TunnelStatusChange.objects.create(tunnel=tunnel, at=old + timedelta(hours=1), status="down")
    assert prune_events() == {"events": 1, "status_changes": 1}
    assert list(TunnelStatusChange.objects.values_list("status", flat=True)) == ["down"]


def test_an_event_never_polls_a_device_over_its_running_poll(settings: Any) -> None:
    from devices.models import Poll
    from events.tasks import busy_devices

    settings.POLL_LEASE_SECONDS = 420
    a, b, _ = _pair()
    Poll.objects.create(device=a, slot=timezone.now())  # running, as a scheduled poll just claimed
    assert busy_devices([a.pk, b.pk]) == {a.pk}
    Poll.objects.filter(device=a).update(started_at=timezone.now() - timedelta(minutes=10))  # lease over
    assert busy_devices([a.pk, b.pk]) == set()
