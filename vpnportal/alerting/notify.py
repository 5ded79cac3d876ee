"""Notifications: one digest per recipient per cycle, written before it is sent, its outcome after.

1. `build_notifications` claims the unprocessed `AlertEvent`s (row locks + a conditional UPDATE, so two
   workers never build the same digest) and writes one `Notification` per recipient in the same
   transaction.
2. `send_due_notifications` claims each due notification with a conditional UPDATE (exactly one row
   changed, or another worker has it), sends it through its transport (`vpnportal.alerting.transports`)
   and records the outcome; a temporary failure pushes `next_attempt_at` forward with exponential backoff.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext, pgettext

from devices.contacts import email_list
from devices.models import Contact
from vpnportal.alerting.channels import enabled_channels, idempotency_key, queue_refreshes, route
from vpnportal.alerting.event_notes import note_text
from vpnportal.alerting.payloads import alert_record, headline
from vpnportal.alerting.transports import Transport, TransportError, transport_for
from vpnportal.choices import AlertEventKind, AlertKind, AlertState, ChannelKind, NotificationStatus, Severity
from vpnportal.models import Alert, AlertChannel, AlertEvent, Notification

log = logging.getLogger(__name__)

# A claimed notification not finished within this time is taken as abandoned (the worker died).
CLAIM_LEASE = timedelta(minutes=5)
MAX_BACKOFF_SECONDS = 3600
# Bounds one call, so a backlog after a long SMTP outage is sent over a few beats, not in one task.
SEND_BATCH = 200
BUILD_BATCH = 1000
SUBJECT_MAX = 255


def backoff_seconds(attempts: int) -> float:
    """Delay after the n-th failed attempt: base * 2^(n-1), capped at an hour."""
    base = max(1, int(settings.NOTIFY_RETRY_BASE_SECONDS))
    return float(min(MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempts - 1)))


# -- digests -------------------------------------------------------------------------------------------
# The digest section of each kind of notable event; anything else announced reads as fired.
DIGEST_SECTION: dict[str, str] = {
    AlertEventKind.WORSE: "worse",
    AlertEventKind.REMINDER: "reminder",
    AlertEventKind.RESOLVED: "resolved",
    AlertEventKind.SUPERSEDED: "resolved",
}


def classify(event: AlertEvent) -> str:
    """What a notable event says in a digest: fired, worse, reminder or resolved."""
    return DIGEST_SECTION.get(event.kind, "fired")


def _what(alert: Alert, event: AlertEvent) -> str:
    what = classify(event)
    if alert.state == AlertState.RESOLVED and what != "resolved":
        # It fired and cleared before a digest went out: say where it stands now, not "firing".
        what = "resolved"
    return what


def _latest(events: list[AlertEvent]) -> list[AlertEvent]:
    latest: dict[int, AlertEvent] = {}
    for event in sorted(events, key=lambda e: (e.at, e.pk)):
        latest[event.alert_id] = event
    return list(latest.values())


def channel_records(events: list[AlertEvent]) -> list[dict[str, Any]]:
    """What a non-email channel is told: per alert its latest notable event, gravest first."""
    records = [
        alert_record(event.alert, _what(event.alert, event), event.at, settings.VPNPORTAL_SITE_URL)
        for event in _latest(events)
    ]
    return sorted(
        records, key=lambda r: (-Severity.rank_of(r["severity"]), r["kind"], r["device"], r["subject"])
    )


def _entry(alert: Alert, event: AlertEvent) -> dict[str, Any]:
    """One alert of a digest, its words in the active language (the summary, kind, severity, note)."""
    what = _what(alert, event)
    known = alert.severity in Severity.values
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "kind_label": str(AlertKind(alert.kind).label) if alert.kind in AlertKind.values else alert.kind,
        "severity": alert.severity,
        # "CRITICAL" in English, 重大 in Japanese.
        "severity_word": (str(Severity(alert.severity).label) if known else alert.severity).upper(),
        "device": str(alert.device) if alert.device_id else "",
        "tunnel": str(alert.tunnel) if alert.tunnel_id else "",
        "subject": alert.subject,
        "summary": alert.display_summary,
        "since": alert.fired_at or alert.opened_at,
        "resolved_at": alert.resolved_at,
        "note": note_text(event.note),
        "what": what,
    }


def zone_label(now: datetime) -> str:
    """The zone a digest's times are rendered in, as the reader needs it: `Asia/Tokyo (UTC+09:00)`.

    Times are shown in TIME_ZONE, the zone the portal's pages use, so an engineer can match the email
    to the dashboard; the offset is the one in force at `now` (each time also carries its abbreviation,
    which follows daylight saving)."""
    name = timezone.get_current_timezone_name()
    offset = timezone.localtime(now).utcoffset() or timedelta(0)
    if name in ("UTC", "Etc/UTC") and not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{name} (UTC{sign}{hours:02d}:{rest:02d})"


def digest_context(events: list[AlertEvent], now: datetime) -> dict[str, Any]:
    """Template context: per alert its latest notable event, sorted into firing, still firing, resolved."""
    entries = sorted(
        (_entry(event.alert, event) for event in _latest(events)),
        key=lambda e: (-Severity.rank_of(e["severity"]), e["kind"], e["device"], e["subject"]),
    )
    firing = [e for e in entries if e["what"] in ("fired", "worse")]
    reminders = [e for e in entries if e["what"] == "reminder"]
    resolved = [e for e in entries if e["what"] == "resolved"]
    headline = (firing or reminders or resolved)[0]["summary"] if entries else ""
    return {
        "counts": _counts(len(firing), len(reminders), len(resolved)),
        "now": now,
        "zone": zone_label(now),
        "firing": firing,
        "still_firing": reminders,
        "resolved": resolved,
        "headline": headline,
        "site_url": settings.VPNPORTAL_SITE_URL,
    }


def _counts(firing: int, reminders: int, resolved: int) -> str:
    """The subject's "2 firing, 1 still firing, 1 resolved" (the parts there are)."""
    parts = []
    if firing:
        parts.append(ngettext("%(n)s firing", "%(n)s firing", firing) % {"n": firing})
    if reminders:
        parts.append(ngettext("%(n)s still firing", "%(n)s still firing", reminders) % {"n": reminders})
    if resolved:
        parts.append(ngettext("%(n)s resolved", "%(n)s resolved", resolved) % {"n": resolved})
    return pgettext("email subject", ", ").join(parts)


def render_digest(
    events: list[AlertEvent], now: datetime, language: str | None = None
) -> tuple[str, str, str]:
    """Subject, text and HTML of a digest (templates/emails/alert_digest*), in `language` (default
    LANGUAGE_CODE): its words, its summaries and its date format; times in TIME_ZONE either way."""
    with translation.override(language or settings.LANGUAGE_CODE):
        context = digest_context(events, now)
        subject = " ".join(render_to_string("emails/alert_digest_subject.txt", context).split())
        text = render_to_string("emails/alert_digest.txt", context)
        html = render_to_string("emails/alert_digest.html", context)
    return subject[:SUBJECT_MAX], text, html


def build_notifications(now: datetime | None = None) -> int:
    """Turn unprocessed alert events into one digest Notification per recipient and one per non-email
    channel, and queue the due Alertmanager refreshes; returns how many notifications were written."""
    now = now or timezone.now()
    return queue_refreshes(now) + _build_from_events(now)


def _build_from_events(now: datetime) -> int:
    with transaction.atomic():
        # skip_locked: a second worker building at the same time gets nothing instead of waiting.
        ids = list(
            AlertEvent.objects.select_for_update(skip_locked=True)
            .filter(processed=False)
            .order_by("at", "pk")
            .values_list("pk", flat=True)[:BUILD_BATCH]
        )
        if not ids:
            return 0
        claimed = AlertEvent.objects.filter(pk__in=ids, processed=False).update(processed=True)
        if claimed != len(ids):
            # Someone else processed part of them: leave the whole batch to the one that did.
            transaction.set_rollback(True)
            return 0
        events = list(
            AlertEvent.objects.filter(pk__in=ids, notify=True).select_related(
                "alert", "alert__device", "alert__tunnel", "alert__tunnel__end_a", "alert__tunnel__end_b"
            )
        )
        if not events:
            return 0
        Alert.objects.filter(pk__in={e.alert_id for e in events}).update(last_notified_at=now)
        channels = enabled_channels()
        routed = route(events, channels)
        digests = recipients_of(events, channels, routed)
        labels = email_labels(channels)
        # Each recipient reads the digest in their contact's language (devices.Contact), else LANGUAGE_CODE;
        # recipients with the same events and language share one rendering.
        languages = Contact.languages_of(digests)
        rendered: dict[tuple[str, tuple[int, ...]], tuple[str, str, str]] = {}
        for recipient, theirs in digests.items():
            language = languages[recipient]
            key = tuple(event.pk for event in theirs)
            if (language, key) not in rendered:
                rendered[(language, key)] = render_digest(theirs, now, language)
            subject, text, html = rendered[(language, key)]
            channel = labels.get(recipient)
            notification = Notification.objects.create(
                recipient=recipient,
                channel=channel,
                channel_name=channel.name if channel else "",
                subject=subject,
                body_text=text,
                body_html=html,
                idempotency_key=idempotency_key("email", recipient, *sorted(key)),
                created_at=now,
                next_attempt_at=now,
            )
            notification.events.set(theirs)
        queued = len(digests) + _channel_notifications(channels, routed, now)
        if not queued:
            log.warning(
                "alert events to announce but no channel, ALERT_EMAIL_TO or alert_emails takes them: %d events",
                len(events),
            )
        return queued


def _channel_notifications(
    channels: list[AlertChannel], routed: dict[int, list[AlertEvent]], now: datetime
) -> int:
    """One notification per non-email channel with its events; returns how many."""
    queued = 0
    for channel in channels:
        theirs = routed.get(channel.pk)
        if channel.kind == ChannelKind.EMAIL or not theirs:
            continue
        records = channel_records(theirs)
        notification = Notification.objects.create(
            channel=channel,
            channel_kind=channel.kind,
            channel_name=channel.name,
            subject=headline(records)[:SUBJECT_MAX],
            body_text="",
            payload={"alerts": records},
            idempotency_key=idempotency_key(channel.kind, channel.pk, *sorted(e.pk for e in theirs)),
            created_at=now,
            next_attempt_at=now,
        )
        notification.events.set(theirs)
        queued += 1
    return queued


def email_labels(channels: list[AlertChannel]) -> dict[str, AlertChannel]:
    """The email channel each address belongs to (the first by name), for the alert page."""
    labels: dict[str, AlertChannel] = {}
    for channel in channels:
        if channel.kind == ChannelKind.EMAIL:
            for address in email_list(channel.to):
                labels.setdefault(address, channel)
    return labels


def recipients_of(
    events: list[AlertEvent],
    channels: list[AlertChannel] | None = None,
    routed: dict[int, list[AlertEvent]] | None = None,
) -> dict[str, list[AlertEvent]]:
    """Each recipient and the events of their digest: ALERT_EMAIL_TO gets every event; the addresses in
    a device's `alert_emails` get the events of that device and of the tunnels it ends; the addresses of
    an email channel get the channel's events. An address in several gets one digest of them all."""
    everyone = email_list(settings.ALERT_EMAIL_TO)
    digests: dict[str, list[AlertEvent]] = {address: list(events) for address in everyone}
    for event in events:
        alert = event.alert
        devices = [alert.device] if alert.device is not None else []
        if alert.tunnel is not None:
            devices += [alert.tunnel.end_a, alert.tunnel.end_b]
        contacts = email_list([a for device in devices for a in email_list(device.alert_emails)])
        for address in contacts:
            if address not in everyone:
                digests.setdefault(address, []).append(event)
    for channel in channels or []:
        theirs = (routed or {}).get(channel.pk, [])
        if channel.kind != ChannelKind.EMAIL or not theirs:
            continue
        for address in email_list(channel.to):
            if address in everyone:
                continue
            mine = digests.setdefault(address, [])
            seen = {event.pk for event in mine}
            mine.extend(event for event in theirs if event.pk not in seen)
            mine.sort(key=lambda e: (e.at, e.pk))
    return digests


# -- delivery ------------------------------------------------------------------------------------------
def _free(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)


def due_notifications(now: datetime) -> QuerySet[Notification]:
    """Queued notifications whose time has come, and claimed ones whose worker died (lease over)."""
    return Notification.objects.filter(
        _free(now),
        status__in=(NotificationStatus.QUEUED, NotificationStatus.SENDING),
        next_attempt_at__lte=now,
    ).order_by("next_attempt_at", "pk")


def claim(notification_id: int, now: datetime) -> bool:
    """Take one notification for sending; exactly one row changed means this worker has it."""
    changed = (
        due_notifications(now)
        .filter(pk=notification_id)
        .update(
            status=NotificationStatus.SENDING,
            claimed_until=now + CLAIM_LEASE,
            attempts=F("attempts") + 1,
        )
    )
    return changed == 1


def deliver(notification_id: int, now: datetime, transport: Transport | None = None) -> str:
    """Claim, send (through `transport`, else the notification's own) and record one notification;
    returns sent, retry, unreachable, failed or skipped."""
    if not claim(notification_id, now):
        return "skipped"
    notification = Notification.objects.get(pk=notification_id)
    try:
        (transport or transport_for(notification)).send(notification)
    except TransportError as exc:
        give_up = exc.permanent or notification.attempts >= int(settings.NOTIFY_MAX_ATTEMPTS)
        Notification.objects.filter(pk=notification_id, status=NotificationStatus.SENDING).update(
            status=NotificationStatus.FAILED if give_up else NotificationStatus.QUEUED,
            next_attempt_at=now + timedelta(seconds=backoff_seconds(notification.attempts)),
            claimed_until=None,
            last_error=exc.message[:2000],
        )
        log.warning(
            "notification %s to %s attempt %s failed%s: %s",
            notification_id,
            notification.recipient or notification.channel_name,
            notification.attempts,
            " permanently" if give_up else "",
            exc.message,
        )
        if give_up:
            return "failed"
        return "unreachable" if exc.unreachable else "retry"
    Notification.objects.filter(pk=notification_id).update(
        status=NotificationStatus.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
    )
    return "sent"


def send_due_notifications(now: datetime | None = None, transport: Transport | None = None) -> dict[str, int]:
    """Send every due notification once (through `transport`, else each one's own); returns counts of
    sent, retry and failed."""
    now = now or timezone.now()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    dead: set[str] = set()
    due = due_notifications(now).values_list("pk", "channel_kind", "channel_id")[:SEND_BATCH]
    for notification_id, kind, channel_id in list(due):
        # Every email goes through the one SMTP server; every other channel is its own server.
        destination = "email" if kind == ChannelKind.EMAIL else f"{kind}:{channel_id}"
        if destination in dead:
            continue
        outcome = deliver(notification_id, now, transport)
        if outcome == "unreachable":
            # That server is down: leave its rest for their own next attempt instead of waiting out
            # timeouts; the other channels still go out.
            counts["retry"] += 1
            dead.add(destination)
            continue
        if outcome in counts:
            counts[outcome] += 1
    return counts


def notify_now(now: datetime | None = None) -> dict[str, int]:
    """Build digests from pending events, then send what is due (the send-notifications task)."""
    now = now or timezone.now()
    result = {"notifications_queued": build_notifications(now)}
    result.update(send_due_notifications(now))
    return result
