"""Pure parts of the channels: the signature, the bodies, references to the environment and files."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from vpnportal.alerting.payloads import canonical_json, signature, slack_body, teams_body, webhook_body
from vpnportal.references import (
    UnresolvedReference,
    reference_text,
    resolve,
    resolve_reference,
    split_reference,
)

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


def test_it_resolves_environment_and_file_references(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAN_TOKEN", "abc")
    secret = tmp_path / "secret"
    secret.write_text("line1\n\n")  # only one trailing newline is the file's, the other is the secret's
    assert resolve_reference("env:CHAN_TOKEN") == "abc"
    assert resolve_reference(f"file:{secret}") == "line1\n"
    assert resolve("literal", "") == "literal"
    assert resolve("literal", "env:CHAN_TOKEN") == "abc"


def test_it_names_a_missing_reference_never_a_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAN_MISSING", raising=False)
    with pytest.raises(UnresolvedReference, match="environment variable CHAN_MISSING is not set"):
        resolve_reference("env:CHAN_MISSING")
    with pytest.raises(UnresolvedReference, match=f"file {tmp_path}/nope cannot be read"):
        resolve_reference(f"file:{tmp_path}/nope")


@pytest.mark.parametrize(
    ("kind", "target"),
    [("env", "1BAD"), ("env", "A B"), ("file", "relative/path"), ("vault", "x"), ("env", "")],
)
def test_it_refuses_malformed_references(kind: str, target: str) -> None:
    with pytest.raises(ValueError):
        reference_text(kind, target)
    with pytest.raises(ValueError):
        split_reference(f"{kind}:{target}")
