"""Reachability rules: poll failed, host key changed; and weak crypto from the stored findings."""

from __future__ import annotations

import pytest

from devices.choices import PollStatus
from devices.diagnosis.model import Code
from devices.models import Device, Finding
from tests.alerts.factories import make_device, make_tunnel, poll
from tests.alerts.helpers import ctx
from vpnportal.alerting import device_rules, tunnel_rules
from vpnportal.choices import AlertKind, Severity

pytestmark = pytest.mark.django_db


def test_it_reports_the_latest_poll_failing() -> None:
    device = make_device()
    poll(device)
    p = poll(device, status=PollStatus.FAILED, reason="authentication failed (wrong password)")
    (cand,) = device_rules.poll_failed(ctx())
    assert (cand.kind, cand.severity, cand.key) == (
        AlertKind.POLL_FAILED,
        Severity.CRITICAL,
        "poll_failed:1720-1:",
    )
    assert "wrong password" in cand.summary
    assert cand.observed == str(p.pk)
    assert device_rules.host_key_changed(ctx()) == []


def test_it_forgets_a_failure_once_a_poll_succeeds() -> None:
    device = make_device()
    poll(device, status=PollStatus.FAILED, reason="connection refused")
    poll(device)
    assert device_rules.poll_failed(ctx()) == []


def test_it_reports_a_changed_host_key_instead_of_a_plain_failure() -> None:
    device = make_device()
    poll(
        device, status=PollStatus.FAILED, reason="host key changed: ssh-rsa SHA256:abc is not the pinned key"
    )
    (cand,) = device_rules.host_key_changed(ctx())
    assert cand.needs == 1
    assert device_rules.poll_failed(ctx()) == []


def _finding(
    device: Device, code: str = Code.WEAK_CIPHER, subject: str = "isakmp policy 10", **fields
) -> Finding:  # type: ignore[no-untyped-def]
    """A diagnosis finding as refresh stores it."""
    fields.setdefault("title", "IKE policy uses DES")
    return Finding.objects.create(
        device=device, code=code, subject=subject, severity=Severity.WARNING, **fields
    )


def test_it_raises_weak_crypto_only_where_enabled(settings) -> None:  # type: ignore[no-untyped-def]
    device = make_device()
    poll(device)
    _finding(device)
    settings.ALERT_WEAK_CRYPTO = False
    assert tunnel_rules.weak_crypto(ctx()) == []
    settings.ALERT_WEAK_CRYPTO = True
    (cand,) = tunnel_rules.weak_crypto(ctx())
    assert cand.key == "weak_crypto:1720-1:weak_cipher:isakmp policy 10"
    assert cand.summary == "1720-1: IKE policy uses DES"
    assert cand.details["code"] == Code.WEAK_CIPHER


def test_it_reads_the_stored_hygiene_findings_of_diagnosis(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ALERT_WEAK_CRYPTO = True
    device, peer = make_device(), make_device("pix520-1", platform="cisco_pix")
    for d in (device, peer):
        poll(d)
    _finding(device, Code.WEAK_RSA_KEY, "rsa key", title="RSA-512 key")
    _finding(device, Code.WEAK_HASH, "isakmp policy 10", title="MD5", active=False)  # no longer holds
    _finding(device, Code.CLEARTEXT_MANAGEMENT, "telnet", title="telnet")  # not cryptography
    Finding.objects.create(
        tunnel=make_tunnel(device, peer), code=Code.NO_COMMON_TRANSFORM, subject="x", severity="critical"
    )
    assert [c.subject for c in tunnel_rules.weak_crypto(ctx())] == ["weak_rsa_key:rsa key"]


def test_a_device_switch_overrides_the_weak_crypto_setting(settings) -> None:  # type: ignore[no-untyped-def]
    legacy = make_device("1720-1")
    watched = make_device("pix520-1", platform="cisco_pix")
    for device in (legacy, watched):
        poll(device)
        _finding(device)
    # Everything on, except the legacy site known to run DES.
    settings.ALERT_WEAK_CRYPTO = True
    legacy.weak_crypto_alerts = False
    legacy.save()
    assert [c.key for c in tunnel_rules.weak_crypto(ctx())] == [
        "weak_crypto:pix520-1:weak_cipher:isakmp policy 10"
    ]
    # Off by default, on for one device.
    settings.ALERT_WEAK_CRYPTO = False
    legacy.weak_crypto_alerts = True
    legacy.save()
    assert [c.key for c in tunnel_rules.weak_crypto(ctx())] == [
        "weak_crypto:1720-1:weak_cipher:isakmp policy 10"
    ]
