"""The overview orders what needs action first; long-standing and acknowledged conditions apart (issue 18)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tests.pages.seed import Seed
from vpnportal.alert_triage import condition_since, impact_at, triage
from vpnportal.choices import AlertKind, AlertState, Severity
from vpnportal.models import Alert


def _alert(kind: str, severity: str, state: str = AlertState.FIRING, **details: str) -> Alert:
    return Alert(
        kind=kind,
        severity=severity,
        state=state,
        details=details,
        opened_at=timezone.now() - timedelta(hours=1),
    )


def test_it_orders_firing_by_severity_then_time_to_impact() -> None:
    now = timezone.now()
    soon = _alert(AlertKind.CERT_EXPIRING, Severity.WARNING, valid_to=(now + timedelta(days=6)).isoformat())
    later = _alert(AlertKind.CERT_EXPIRING, Severity.WARNING, valid_to=(now + timedelta(days=25)).isoformat())
    down = _alert(AlertKind.TUNNEL_DOWN, Severity.CRITICAL)
    pending = _alert(AlertKind.TUNNEL_DOWN, Severity.CRITICAL, state=AlertState.PENDING)
    ancient = _alert(
        AlertKind.CERT_EXPIRED, Severity.CRITICAL, valid_to=(now - timedelta(days=7300)).isoformat()
    )
    acked = _alert(AlertKind.POLL_FAILED, Severity.CRITICAL)
    acked.acknowledged_at = now
    result = triage([later, ancient, pending, soon, acked, down], now)
    assert result.act == [down, soon, later, pending]
    assert result.long_standing == [ancient] and result.acknowledged == [acked]
    assert impact_at(soon, now) < impact_at(later, now)
    assert condition_since(ancient) < now - timedelta(days=7000)


@pytest.mark.django_db
def test_the_overview_puts_the_real_warning_before_decades_old_expiries(seed: Seed, viewer: User) -> None:
    now = timezone.now()
    for n in range(10):
        Alert.objects.create(
            kind=AlertKind.CERT_EXPIRED,
            key=f"cert_expired:1720-1:OLD{n}",
            device=seed.router,
            subject=f"OLD{n}",
            severity=Severity.CRITICAL,
            state=AlertState.FIRING,
            summary=f"old certificate {n} expired",
            details={"valid_to": (now - timedelta(days=7000 + n)).isoformat()},
        )
    client = Client()
    client.force_login(viewer)
    html = client.get("/").content.decode()
    act = html[html.index('id="open-alerts"') : html.index('id="long-standing-alerts"')]
    assert f'data-alert-id="{seed.alert.pk}"' in act and "OLD" not in act
    assert "10 long-standing conditions" in html
