"""What needs action first: open alerts ordered by severity and time to impact, long-standing ones apart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.dateparse import parse_datetime

from vpnportal.choices import AlertKind, AlertState, Severity
from vpnportal.models import Alert

# A condition that has held this long is known and lived with: it is listed apart, not among today's work.
LONG_STANDING = timedelta(days=30)

# Where each kind keeps the moment its condition began (expired: NotAfter) or will hit (expiring: NotAfter).
_SINCE_KEY: dict[str, str] = {AlertKind.CERT_EXPIRED: "valid_to", AlertKind.CRL_EXPIRED: "next_update"}
_IMPACT_KEY: dict[str, str] = {
    AlertKind.CERT_EXPIRING: "valid_to",
    AlertKind.CRL_NEXT_UPDATE_SOON: "next_update",
}


def _detail_time(alert: Alert, key: str | None) -> datetime | None:
    if not key or not isinstance(alert.details, dict):
        return None
    value = alert.details.get(key)
    return parse_datetime(value) if isinstance(value, str) else None


def condition_since(alert: Alert) -> datetime:
    """When the alert's condition began: an expiry's date for expired certificates and CRLs, else when it opened."""
    return _detail_time(alert, _SINCE_KEY.get(alert.kind)) or alert.opened_at


def impact_at(alert: Alert, now: datetime) -> datetime:
    """When the condition hurts: the expiry still ahead for an expiring certificate or CRL, else now."""
    return _detail_time(alert, _IMPACT_KEY.get(alert.kind)) or now


def is_long_standing(alert: Alert, now: datetime) -> bool:
    """The condition has held for LONG_STANDING or more (a certificate that expired years ago)."""
    return now - condition_since(alert) >= LONG_STANDING


@dataclass
class Triage:
    """The overview's open alerts in three groups: act now (ordered), long-standing, acknowledged."""

    act: list[Alert] = field(default_factory=list)
    long_standing: list[Alert] = field(default_factory=list)
    acknowledged: list[Alert] = field(default_factory=list)


def triage(alerts: Iterable[Alert], now: datetime) -> Triage:
    """Split and order open alerts: firing before pending/unknown, then by severity, then soonest impact."""
    out = Triage()
    for alert in alerts:
        if alert.acknowledged_at is not None:
            out.acknowledged.append(alert)
        elif is_long_standing(alert, now):
            out.long_standing.append(alert)
        else:
            out.act.append(alert)

    def key(alert: Alert) -> tuple[int, int, datetime, float]:
        return (
            0 if alert.state == AlertState.FIRING else 1,
            -Severity.rank_of(alert.severity),
            impact_at(alert, now),
            -alert.opened_at.timestamp(),
        )

    out.act.sort(key=key)
    out.long_standing.sort(key=lambda a: (-Severity.rank_of(a.severity), condition_since(a)))
    out.acknowledged.sort(key=key)
    return out
