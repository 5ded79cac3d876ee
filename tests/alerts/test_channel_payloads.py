"""Pure parts of the channels: the signature, the bodies, references to the environment and files."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from devices.secret_refs import UnresolvedReference, parse_reference, resolve
from vpnportal.alerting.http_post import MAX_CHANNEL_VALUE
from vpnportal.alerting.payloads import canonical_json, signature, slack_body, teams_body, webhook_body

RECORD = {
    "id": 7,
    "kind": "tunnel_down",
    "kind_label": "Tunnel down",
    "severity": "critical",
    "state": "firing",
    "event": "fired",
    "device": "",
    "tunnel": "hq-branch",
    "subject": "hq-branch",
    "summary": "tunnel hq-branch is down <both ends> & no SAs",
    "started_at": "2026-01-02T03:04:05+00:00",
    "resolved_at": None,
    "event_at": "2026-01-02T03:04:05+00:00",
    "link": "https://vpn.example.net/alerts/7/",
}


def test_it_signs_the_raw_body_with_hmac_sha256() -> None:
    body = canonical_json({"b": 1, "a": "é"})
    assert body == '{"a":"é","b":1}'.encode()
    expected = hmac.new(b"key", body, hashlib.sha256).hexdigest()
    assert signature("key", body) == f"sha256={expected}"


def test_it_builds_the_same_webhook_bytes_on_every_retry() -> None:
    payload = {"alerts": [RECORD]}
    first = canonical_json(
        webhook_body(payload, notification_id=3, key="k", channel="hook", purpose="events")
    )
    again = canonical_json(
        webhook_body(payload, notification_id=3, key="k", channel="hook", purpose="events")
    )
    assert first == again
    doc = json.loads(first)
    assert (doc["version"], doc["alerts"][0]["kind"], doc["idempotency_key"]) == (1, "tunnel_down", "k")


def test_it_escapes_slack_mrkdwn_and_keeps_a_fallback_text() -> None:
    body = slack_body({"alerts": [RECORD]})
    text = body["blocks"][0]["text"]["text"]
    assert "&lt;both ends&gt; &amp; no SAs" in text
    assert "<https://vpn.example.net/alerts/7/|Open in vpnportal>" in text
    assert body["text"].startswith("[FIRING] Tunnel down")


def test_it_makes_a_teams_adaptive_card() -> None:
    body = teams_body({"alerts": [RECORD, {**RECORD, "id": 8, "event": "resolved"}]})
    card = body["attachments"][0]["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert "(+1 more)" in card["body"][0]["text"]
    assert card["body"][2]["items"][0]["text"].startswith("RESOLVED")


def test_it_reads_a_channel_url_longer_than_a_device_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # Teams webhook URLs run to a few hundred characters; device secrets stop at 128.
    url = "https://example.webhook.office.com/webhookb2/" + "a" * 300
    monkeypatch.setenv("CHAN_TEAMS_URL", url)
    ref = parse_reference("env:CHAN_TEAMS_URL")
    with pytest.raises(UnresolvedReference, match="longer than 128"):
        resolve(ref)
    assert resolve(ref, max_value=MAX_CHANNEL_VALUE) == url
