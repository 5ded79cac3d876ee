"""Every AlertEvent says what happened in its `kind`; the digest sorts by it, never by the note's text."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from devices.choices import PollStatus
from tests.alerts.factories import make_cert, make_device, poll
from vpnportal.alerting.actions import acknowledge_alert
from vpnportal.alerting.evaluate import evaluate_rules
from vpnportal.alerting.notify import build_notifications, classify
from vpnportal.choices import AlertEventKind, AlertKind, AlertState
from vpnportal.models import Alert, AlertEvent

pytestmark = pytest.mark.django_db

fill_kinds = importlib.import_module("vpnportal.migrations.0004_alertevent_kind_from_note").fill_kinds


def _live_through_every_kind(operator) -> None:  # type: ignore[no-untyped-def]
    """An expiring certificate that gets worse, is reminded of, acknowledged, muted by a failed poll,
    back, then replaced by the expired alert; and a failed poll that clears before it fires."""
    t0 = timezone.now()
    device = make_device()
    poll(device, at=t0)
    make_cert(device, t0 + timedelta(days=8), serial="3B2FD652")
    evaluate_rules(t0)  # opened, fired (30-day stage)
    build_notifications(t0)
    evaluate_rules(t0 + timedelta(hours=25))  # worse: within 7 days
    build_notifications(t0 + timedelta(hours=25))
    evaluate_rules(t0 + timedelta(hours=50))  # reminder
    acknowledge_alert(Alert.objects.get(kind=AlertKind.CERT_EXPIRING), operator)
    poll(device, status=PollStatus.FAILED, reason="timeout", at=t0 + timedelta(hours=51))
    evaluate_rules(t0 + timedelta(hours=51))  # cert: unknown; poll_failed: opened
    poll(device, at=t0 + timedelta(hours=52))
    evaluate_rules(t0 + timedelta(hours=52))  # cert: back; poll_failed: resolved
    evaluate_rules(t0 + timedelta(days=8, hours=1))  # cert_expired fires, cert_expiring superseded


def test_it_writes_each_event_with_its_kind(operator) -> None:  # type: ignore[no-untyped-def]
    _live_through_every_kind(operator)
    expiring = Alert.objects.get(kind=AlertKind.CERT_EXPIRING)
    assert list(expiring.events.order_by("pk").values_list("kind", flat=True)) == [
        AlertEventKind.OPENED,
        AlertEventKind.FIRED,
        AlertEventKind.WORSE,
        AlertEventKind.REMINDER,
        AlertEventKind.ACKNOWLEDGED,
        AlertEventKind.UNKNOWN,
        AlertEventKind.BACK,
        AlertEventKind.SUPERSEDED,
    ]
    blip = Alert.objects.get(kind=AlertKind.POLL_FAILED)
    assert list(blip.events.order_by("pk").values_list("kind", flat=True)) == [
        AlertEventKind.OPENED,
        AlertEventKind.RESOLVED,
    ]
    assert set(AlertEvent.objects.values_list("kind", flat=True)) == set(AlertEventKind.values)


def test_the_data_migration_gives_old_events_the_kind_the_code_writes(operator) -> None:  # type: ignore[no-untyped-def]
    _live_through_every_kind(operator)
    written = dict(AlertEvent.objects.values_list("pk", "kind"))
    AlertEvent.objects.update(kind="")
    fill_kinds(apps, None)
    assert dict(AlertEvent.objects.values_list("pk", "kind")) == written


def test_the_digest_sorts_by_kind_not_by_note() -> None:
    alert = Alert.objects.create(kind=AlertKind.TUNNEL_DOWN, key="tunnel_down::hq-branch", state="firing")

    def event(kind: str, new_state: str = AlertState.FIRING) -> AlertEvent:
        return AlertEvent(alert=alert, kind=kind, old_state=AlertState.FIRING, new_state=new_state, note="x")

    assert classify(event(AlertEventKind.FIRED)) == "fired"
    assert classify(event(AlertEventKind.WORSE)) == "worse"
    assert classify(event(AlertEventKind.REMINDER)) == "reminder"
    assert classify(event(AlertEventKind.RESOLVED, AlertState.RESOLVED)) == "resolved"
    assert classify(event(AlertEventKind.SUPERSEDED, AlertState.RESOLVED)) == "resolved"
