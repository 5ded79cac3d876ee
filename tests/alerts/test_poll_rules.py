"""Reachability rules: poll failed, host key changed; and the weak-crypto hook."""

from __future__ import annotations

import pytest

from devices.choices import PollStatus
from tests.alerts.factories import make_device, poll
from tests.alerts.helpers import ctx
from vpnportal.alerting import core, device_rules, tunnel_rules
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


def test_it_raises_weak_crypto_only_where_enabled(settings) -> None:  # type: ignore[no-untyped-def]
    device = make_device()
    poll(device)
    finding = core.CryptoFinding(device=device, subject="isakmp policy 10", summary="IKE policy uses DES")
    settings.ALERT_WEAK_CRYPTO = False
    context = ctx()
    context.findings = [finding]
    assert tunnel_rules.weak_crypto(context) == []
    settings.ALERT_WEAK_CRYPTO = True
    (cand,) = tunnel_rules.weak_crypto(context)
    assert cand.key == "weak_crypto:1720-1:isakmp policy 10"


def test_it_takes_findings_from_registered_providers(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ALERT_WEAK_CRYPTO = True
    device = make_device()
    poll(device)

    def provider(context: core.RuleContext) -> list[core.CryptoFinding]:
        return [core.CryptoFinding(device=device, subject="rsa key", summary="RSA-512 key")]

    tunnel_rules.register_findings_provider(provider)
    try:
        assert [c.subject for c in tunnel_rules.weak_crypto(ctx())] == ["rsa key"]
    finally:
        tunnel_rules._FINDINGS_PROVIDERS.remove(provider)


def test_a_device_switch_overrides_the_weak_crypto_setting(settings) -> None:  # type: ignore[no-untyped-def]
    legacy = make_device("1720-1")
    watched = make_device("pix520-1", platform="cisco_pix")
    for device in (legacy, watched):
        poll(device)

    def findings() -> core.RuleContext:
        context = ctx()
        context.findings = [
            core.CryptoFinding(device=d, subject="isakmp policy 10", summary="IKE policy uses DES")
            for d in (legacy, watched)
        ]
        return context

    # Everything on, except the legacy site known to run DES.
    settings.ALERT_WEAK_CRYPTO = True
    legacy.weak_crypto_alerts = False
    legacy.save()
    assert [c.key for c in tunnel_rules.weak_crypto(findings())] == ["weak_crypto:pix520-1:isakmp policy 10"]
    # Off by default, on for one device.
    settings.ALERT_WEAK_CRYPTO = False
    legacy.weak_crypto_alerts = True
    legacy.save()
    assert [c.key for c in tunnel_rules.weak_crypto(findings())] == ["weak_crypto:1720-1:isakmp policy 10"]
