"""Alert bookkeeping: pending -> firing -> resolved, unknown while a device is unreachable, quiet periods.

Every state change is an `AlertEvent` row (the Healthchecks `Flip`); `vpnportal.alerting.notify` turns
the unprocessed ones into digests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from devices.models import Device
from vpnportal.alerting.core import (
    DEVICE_HEALTH_KINDS,
    Candidate,
    RuleContext,
    build_context,
)
from vpnportal.alerting.rules import collect_candidates
from vpnportal.choices import OPEN_ALERT_STATES, AlertEventKind, AlertKind, AlertState, Severity
from vpnportal.models import Alert, AlertEvent, MaintenanceWindow

# Serialises evaluations across workers (PostgreSQL advisory lock id: "vpnalert" in ASCII-ish digits).
EVALUATION_LOCK_ID = 7_716_711_697_108
# A kind that replaces another for the same subject: the replaced one resolves without a recovery mail.
SUPERSEDES = {
    AlertKind.CERT_EXPIRED: AlertKind.CERT_EXPIRING,
    AlertKind.CRL_EXPIRED: AlertKind.CRL_NEXT_UPDATE_SOON,
}


@dataclass
class CycleSummary:
    """Counts of what one evaluation changed."""

    evaluated: int = 0
    opened: int = 0
    fired: int = 0
    worse: int = 0
    resolved: int = 0
    unknown: int = 0
    reminders: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain values (for the command's output and the task result)."""
        return {
            "evaluated": self.evaluated,
            "opened": self.opened,
            "fired": self.fired,
            "worse": self.worse,
            "resolved": self.resolved,
            "unknown": self.unknown,
            "reminders": self.reminders,
        }


# -- quiet periods -------------------------------------------------------------------------------------
def in_maintenance(alert: Alert, now: datetime) -> bool:
    """Whether the alert itself, its device or tunnel (or one of the tunnel's ends) is silenced now."""
    if alert.silenced_until and alert.silenced_until > now:
        return True
    if alert.tunnel is not None and alert.tunnel.silenced_until and alert.tunnel.silenced_until > now:
        return True
    device_ids = _alert_device_ids(alert)
    if device_ids and Device.objects.filter(pk__in=device_ids, silenced_until__gt=now).exists():
        return True
    targets = Q(device_id__in=device_ids)
    if alert.tunnel_id is not None:
        targets |= Q(tunnel_id=alert.tunnel_id)
    return MaintenanceWindow.objects.filter(targets, starts_at__lte=now, ends_at__gt=now).exists()


def is_quiet(alert: Alert, now: datetime) -> bool:
    """Whether news about this alert should stay out of mail: acknowledged or in a maintenance window."""
    return alert.acknowledged_at is not None or in_maintenance(alert, now)


# -- bookkeeping ---------------------------------------------------------------------------------------
def _event(
    alert: Alert, kind: AlertEventKind, old: str, new: str, now: datetime, note: str, notify: bool
) -> AlertEvent:
    return AlertEvent.objects.create(
        alert=alert, kind=kind, at=now, old_state=old, new_state=new, note=note[:500], notify=notify
    )


def _fire(alert: Alert, now: datetime, summary: CycleSummary) -> None:
    old = alert.state
    alert.state = AlertState.FIRING
    alert.fired_at = now
    _event(alert, AlertEventKind.FIRED, old, AlertState.FIRING, now, "fired", notify=not is_quiet(alert, now))
    summary.fired += 1


def _open(cand: Candidate, now: datetime, summary: CycleSummary) -> Alert:
    alert = Alert(
        kind=cand.kind,
        key=cand.key,
        device=cand.device,
        tunnel=cand.tunnel,
        subject=cand.subject[:255],
        severity=cand.severity,
        state=AlertState.PENDING,
        summary=cand.summary[:500],
        details=cand.stored_details(),
        stage=cand.stage,
        consecutive=1,
        observed=cand.observed,
        opened_at=now,
        last_evaluated_at=now,
    )
    alert.save()
    _event(alert, AlertEventKind.OPENED, "", AlertState.PENDING, now, "condition seen", notify=False)
    summary.opened += 1
    if cand.needs <= 1:
        _fire(alert, now, summary)
        alert.save(update_fields=["state", "fired_at"])
    return alert


def _update(alert: Alert, cand: Candidate, now: datetime, summary: CycleSummary) -> None:
    """The condition still holds: count the observation, fire when held long enough, notice worsening."""
    if alert.state == AlertState.UNKNOWN:
        back = AlertState.FIRING if alert.fired_at else AlertState.PENDING
        _event(
            alert, AlertEventKind.BACK, AlertState.UNKNOWN, back, now, "device answers again", notify=False
        )
        alert.state = back
    if cand.observed != alert.observed:
        alert.consecutive += 1
        alert.observed = cand.observed
    worse_reasons = []
    if Severity.rank_of(cand.severity) > Severity.rank_of(alert.severity):
        worse_reasons.append(f"severity {alert.severity} -> {cand.severity}")
    if cand.stage is not None and alert.stage is not None and cand.stage < alert.stage:
        worse_reasons.append(f"within {cand.stage} day{'s' if cand.stage != 1 else ''}")
    fields = ["state", "consecutive", "observed", "severity", "summary", "details", "stage"]
    fields += ["last_evaluated_at", "fired_at"]
    alert.severity = cand.severity
    alert.summary = cand.summary[:500]
    alert.details = cand.stored_details()
    alert.last_evaluated_at = now
    if alert.state == AlertState.PENDING:
        if alert.consecutive >= cand.needs:
            alert.stage = cand.stage
            _fire(alert, now, summary)
    elif alert.state == AlertState.FIRING and worse_reasons:
        # Acknowledged means "quiet until it clears or gets worse": worse, so speak again.
        alert.acknowledged_at = None
        alert.acknowledged_by = None
        fields += ["acknowledged_at", "acknowledged_by"]
        alert.stage = cand.stage
        _event(
            alert,
            AlertEventKind.WORSE,
            AlertState.FIRING,
            AlertState.FIRING,
            now,
            f"worse: {', '.join(worse_reasons)}",
            notify=not in_maintenance(alert, now),
        )
        summary.worse += 1
    elif cand.stage is not None and alert.stage is None:
        alert.stage = cand.stage
    # Only the fields evaluation owns: an acknowledgement written meanwhile must survive.
    alert.save(update_fields=fields)


def _to_unknown(alert: Alert, now: datetime, summary: CycleSummary) -> None:
    if alert.state == AlertState.UNKNOWN:
        return
    _event(
        alert,
        AlertEventKind.UNKNOWN,
        alert.state,
        AlertState.UNKNOWN,
        now,
        "device unreachable",
        notify=False,
    )
    alert.state = AlertState.UNKNOWN
    alert.last_evaluated_at = now
    alert.save(update_fields=["state", "last_evaluated_at"])
    summary.unknown += 1


def _resolve(
    alert: Alert, now: datetime, summary: CycleSummary, kind: AlertEventKind, note: str, notify: bool
) -> None:
    old = alert.state
    alert.state = AlertState.RESOLVED
    alert.resolved_at = now
    alert.last_evaluated_at = now
    alert.save(update_fields=["state", "resolved_at", "last_evaluated_at"])
    _event(alert, kind, old, AlertState.RESOLVED, now, note, notify=notify)
    summary.resolved += 1


def _recovery_worth_mail(alert: Alert, now: datetime, superseded: bool) -> bool:
    # Only what was announced gets a recovery mail; a pending blip that cleared stays silent.
    return (
        bool(settings.ALERT_RECOVERY_EMAILS)
        and alert.last_notified_at is not None
        and not superseded
        and not in_maintenance(alert, now)
    )


def _alert_device_ids(alert: Alert) -> set[int]:
    ids = {alert.device_id} if alert.device_id else set()
    if alert.tunnel is not None:
        ids |= {alert.tunnel.end_a_id, alert.tunnel.end_b_id}
    return ids


def _remind(alerts: list[Alert], now: datetime, summary: CycleSummary) -> None:
    """Firing alerts never announced (silenced then) or not announced for ALERT_REMINDER_HOURS."""
    hours = int(settings.ALERT_REMINDER_HOURS)
    waiting = set(
        AlertEvent.objects.filter(
            alert__in=[a for a in alerts if a.state == AlertState.FIRING], processed=False, notify=True
        ).values_list("alert_id", flat=True)
    )
    for alert in alerts:
        if alert.state != AlertState.FIRING or alert.pk in waiting or alert.acknowledged_at is not None:
            continue
        if alert.last_notified_at is None:
            note = "still firing (not announced before: it fired during a maintenance window)"
        elif hours > 0 and alert.last_notified_at <= now - timedelta(hours=hours):
            note = f"still firing since {alert.fired_at:%Y-%m-%d %H:%M} UTC"
        else:
            continue
        if in_maintenance(alert, now):
            continue
        _event(alert, AlertEventKind.REMINDER, AlertState.FIRING, AlertState.FIRING, now, note, notify=True)
        summary.reminders += 1


def _lock() -> None:
    # Two workers evaluating at once would each write the same events; PostgreSQL serialises them.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVALUATION_LOCK_ID])


def evaluate_rules(now: datetime | None = None) -> CycleSummary:
    """Evaluate every rule and record the state changes as AlertEvent rows.

    1. Run the rules (`vpnportal.alerting.rules`) against the stored state.
    2. For each condition that holds: open a pending alert, count a new observation, fire after
       enough polls, notice a worse stage or severity; a device that is unreachable mutes it (unknown).
    3. For each open alert whose condition is gone: unknown if its device is unreachable (a failed
       poll resolves nothing), else resolved.
    4. Remind of alerts still firing (bounded by ALERT_REMINDER_HOURS), and of those that fired
       while silenced once the silence ends.
    """
    now = now or timezone.now()
    summary = CycleSummary()
    with transaction.atomic():
        _lock()
        ctx: RuleContext = build_context(now)
        candidates = collect_candidates(ctx)
        summary.evaluated = len(candidates)
        open_alerts = {
            a.key: a
            for a in Alert.objects.select_for_update(of=("self",))
            .select_related("device", "tunnel")
            .filter(state__in=OPEN_ALERT_STATES)
        }
        unreachable = {device_id for device_id in ctx.devices if ctx.unreachable(device_id)}
        for key, cand in candidates.items():
            alert = open_alerts.get(key)
            muted = cand.kind not in DEVICE_HEALTH_KINDS and bool(cand.device_ids & unreachable)
            if muted:
                if alert is not None:
                    _to_unknown(alert, now, summary)
                continue
            if alert is None:
                open_alerts[key] = _open(cand, now, summary)
            else:
                _update(alert, cand, now, summary)
        held_subjects = {(c.kind, c.device.pk if c.device else None, c.subject) for c in candidates.values()}
        for key, alert in list(open_alerts.items()):
            if key in candidates:
                continue
            device_ids = _alert_device_ids(alert)
            if any(d not in ctx.devices for d in device_ids):
                _resolve(
                    alert, now, summary, AlertEventKind.RESOLVED, "resolved: device disabled", notify=False
                )
                continue
            if alert.kind not in DEVICE_HEALTH_KINDS and device_ids & unreachable:
                _to_unknown(alert, now, summary)
                continue
            superseded = any(
                replaced == alert.kind and (kind, alert.device_id, alert.subject) in held_subjects
                for kind, replaced in SUPERSEDES.items()
            )
            kind, note = (
                (AlertEventKind.SUPERSEDED, "resolved: superseded")
                if superseded
                else (AlertEventKind.RESOLVED, "resolved")
            )
            _resolve(alert, now, summary, kind, note, notify=_recovery_worth_mail(alert, now, superseded))
        still_open = [a for a in open_alerts.values() if a.state in OPEN_ALERT_STATES]
        _remind(still_open, now, summary)
    return summary
