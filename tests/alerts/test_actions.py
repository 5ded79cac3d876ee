"""Operator actions: acknowledging and silencing are audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.alerts.factories import make_cert, make_device, make_tunnel
from tests.alerts.helpers import open_alerts
from vpnportal.alerting.actions import ActionError, acknowledge_alert, end_silence, silence
from vpnportal.alerting.evaluate import evaluate_rules
from vpnportal.choices import AlertState
from vpnportal.models import Alert, AuditEntry, MaintenanceWindow

pytestmark = pytest.mark.django_db


def test_it_audits_an_acknowledgement(operator) -> None:  # type: ignore[no-untyped-def]
    make_cert(make_device(), timezone.now() + timedelta(days=3))
    evaluate_rules()
    (alert,) = open_alerts()
    acknowledge_alert(alert, operator, note="renewal booked")
    alert.refresh_from_db()
    assert alert.acknowledged_by == operator
    entry = AuditEntry.objects.get(verb="acknowledge")
    assert (entry.username, entry.object_type, entry.object_id) == (
        "otto-operator",
        "vpnportal.alert",
        str(alert.pk),
    )
    assert entry.message == "renewal booked"
    assert alert.events.filter(note__startswith="acknowledged by otto-operator").exists()
    acknowledge_alert(alert, operator)  # twice is harmless and not audited twice
    assert AuditEntry.objects.filter(verb="acknowledge").count() == 1


def test_it_refuses_to_acknowledge_a_resolved_alert(operator) -> None:  # type: ignore[no-untyped-def]
    make_cert(make_device(), timezone.now() + timedelta(days=3))
    evaluate_rules()
    Alert.objects.update(state=AlertState.RESOLVED)
    with pytest.raises(ActionError):
        acknowledge_alert(Alert.objects.get(), operator)
    assert not AuditEntry.objects.exists()


def test_it_audits_silencing_a_device_and_a_tunnel(operator) -> None:  # type: ignore[no-untyped-def]
    a, b = make_device("1720-1"), make_device("pix520-1")
    tunnel = make_tunnel(a, b)
    until = timezone.now() + timedelta(hours=2)
    window = silence(a, until, operator, reason="IOS upgrade")
    silence(tunnel, until, operator, reason="carrier work")
    a.refresh_from_db()
    assert a.silenced_until == until
    assert (window.device, window.reason, window.created_by) == (a, "IOS upgrade", operator)
    entries = list(AuditEntry.objects.filter(verb="silence").order_by("pk"))
    assert [e.object_repr for e in entries] == ["1720-1", "hq-branch"]
    assert entries[0].after == {
        "silenced_until": until.isoformat(),
        "starts_at": entries[0].after["starts_at"],  # type: ignore[index]
        "maintenance_window": window.pk,
    }
    assert end_silence(a, operator) == 1
    a.refresh_from_db()
    assert a.silenced_until is None
    assert AuditEntry.objects.filter(verb="end_silence").count() == 1
    assert MaintenanceWindow.objects.filter(ends_at__gt=timezone.now()).count() == 1


def test_it_refuses_a_silence_that_ends_before_it_starts(operator) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ActionError):
        silence(make_device(), timezone.now() - timedelta(minutes=1), operator)
    assert not AuditEntry.objects.exists()
