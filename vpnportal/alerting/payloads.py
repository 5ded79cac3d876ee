"""What the webhook, Slack and Teams channels post: pure functions of the stored alert records.

A notification for a non-email channel stores `payload = {"alerts": [record, ...]}` when it is written
(one record per alert, `alert_record`); the bodies below are built from that alone, so every retry
posts the same bytes under the same signature. The schemas are documented in docs/alerts.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from django.utils import translation

from vpnportal.models import Alert

WEBHOOK_VERSION = 1
SIGNATURE_HEADER = "X-Vpnportal-Signature"
IDEMPOTENCY_HEADER = "X-Vpnportal-Idempotency-Key"
# What each kind of news is called in chat messages.
HEADINGS = {
    "fired": "FIRING",
    "worse": "WORSE",
    "reminder": "STILL FIRING",
    "resolved": "RESOLVED",
    "test": "TEST",
}
# Slack attachment / Teams colours by severity.
COLOURS = {"critical": "#d9534f", "warning": "#f0ad4e", "info": "#5bc0de"}
RESOLVED_COLOUR = "#5cb85c"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def alert_record(alert: Alert, what: str, at: datetime, site_url: str) -> dict[str, Any]:
    """One alert as channels see it: kind code, severity, state, device, tunnel, subject, times, link.

    In English whatever language is active: receivers are programs and shared chat rooms, and the
    payload is the contract of docs/alerts.md (the `summary` column is English too)."""
    with translation.override("en"):
        kind_label = str(alert.get_kind_display())
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "kind_label": kind_label,
        "severity": alert.severity,
        "state": alert.state,
        "event": what,
        "device": alert.device.name if alert.device_id and alert.device else "",
        "tunnel": alert.tunnel.name if alert.tunnel_id and alert.tunnel else "",
        "subject": alert.subject,
        "summary": alert.summary,
        "started_at": _iso(alert.fired_at or alert.opened_at),
        "resolved_at": _iso(alert.resolved_at),
        "event_at": _iso(at),
        "link": f"{site_url.rstrip('/')}/alerts/{alert.pk}/",
    }


def test_record(now: datetime, site_url: str) -> dict[str, Any]:
    """The one alert a "Send test" carries (kind `test`, id 0)."""
    return {
        "id": 0,
        "kind": "test",
        "kind_label": "Test notification",
        "severity": "info",
        "state": "firing",
        "event": "test",
        "device": "",
        "tunnel": "",
        "subject": "test",
        "summary": "Test notification from vpnportal: this channel works.",
        "started_at": _iso(now),
        "resolved_at": None,
        "event_at": _iso(now),
        "link": f"{site_url.rstrip('/')}/alerts/",
    }


def canonical_json(value: Any) -> bytes:
    """The raw body: compact, keys sorted, UTF-8 (the bytes the signature covers)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """The signature header value: `sha256=` and the hex HMAC-SHA256 of the raw body under the secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def webhook_body(
    payload: dict[str, Any], *, notification_id: int, key: str, channel: str, purpose: str
) -> dict[str, Any]:
    """The webhook's JSON document (version 1)."""
    return {
        "version": WEBHOOK_VERSION,
        "source": "vpnportal",
        "purpose": purpose,
        "notification_id": notification_id,
        "idempotency_key": key,
        "channel": channel,
        "alerts": payload.get("alerts", []),
    }


def headline(records: list[dict[str, Any]]) -> str:
    """One line for a chat message and its notification preview."""
    if not records:
        return "vpnportal: no alerts"
    first = records[0]
    more = f" (+{len(records) - 1} more)" if len(records) > 1 else ""
    return f"[{HEADINGS.get(first['event'], 'FIRING')}] {first['kind_label']}: {first['summary'] or first['subject']}{more}"


def _where(record: dict[str, Any]) -> str:
    return " / ".join(part for part in (record["device"], record["tunnel"]) if part) or "-"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(payload: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message: `text` (notification fallback) and one section block per alert."""
    records = payload.get("alerts", [])
    blocks: list[dict[str, Any]] = []
    for record in records:
        heading = HEADINGS.get(record["event"], "FIRING")
        lines = [
            f"*{heading}* {_slack_escape(record['kind_label'])} ({record['severity']})",
            _slack_escape(record["summary"] or record["subject"]),
            f"{_slack_escape(_where(record))} · since {record['started_at']}",
            f"<{record['link']}|Open in vpnportal>",
        ]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    return {"text": _slack_escape(headline(records)), "blocks": blocks}


def teams_body(payload: dict[str, Any]) -> dict[str, Any]:
    """A Microsoft Teams incoming-webhook message carrying an Adaptive Card, one container per alert."""
    records = payload.get("alerts", [])
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": True, "text": headline(records)}
    ]
    for record in records:
        heading = HEADINGS.get(record["event"], "FIRING")
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    {
                        "type": "TextBlock",
                        "weight": "Bolder",
                        "wrap": True,
                        "color": "Good" if record["event"] == "resolved" else "Attention",
                        "text": f"{heading}: {record['kind_label']}",
                    },
                    {"type": "TextBlock", "wrap": True, "text": record["summary"] or record["subject"]},
                    {
                        "type": "FactSet",
                        "facts": [
                            {"title": "Kind", "value": record["kind"]},
                            {"title": "Severity", "value": record["severity"]},
                            {"title": "Where", "value": _where(record)},
                            {"title": "Since", "value": record["started_at"] or "-"},
                        ],
                    },
                    {"type": "TextBlock", "wrap": True, "text": f"[Open in vpnportal]({record['link']})"},
                ],
            }
        )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }
