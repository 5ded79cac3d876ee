"""Every alert rule, in one list, and the run of all of them against one context."""

from __future__ import annotations

from collections.abc import Callable

from vpnportal.alerting.certificate_rules import (
    cert_expired,
    cert_expiring,
    cert_pending,
    clock_outside_validity,
    crl_expired,
    crl_next_update_soon,
)
from vpnportal.alerting.core import Candidate, RuleContext
from vpnportal.alerting.device_rules import clock_skew, host_key_changed, poll_failed
from vpnportal.alerting.tunnel_rules import sa_errors, spi_mismatch, tunnel_down, tunnel_one_way, weak_crypto
from vpnportal.choices import Severity

RULES: tuple[Callable[[RuleContext], list[Candidate]], ...] = (
    cert_expiring,
    cert_expired,
    cert_pending,
    crl_next_update_soon,
    crl_expired,
    clock_skew,
    clock_outside_validity,
    tunnel_down,
    tunnel_one_way,
    sa_errors,
    spi_mismatch,
    poll_failed,
    host_key_changed,
    weak_crypto,
)


def collect_candidates(ctx: RuleContext) -> dict[str, Candidate]:
    """Run every rule; one candidate per key (the more severe wins if two rules collide)."""
    found: dict[str, Candidate] = {}
    for rule in RULES:
        for cand in rule(ctx):
            seen = found.get(cand.key)
            if seen is None or Severity.rank_of(cand.severity) > Severity.rank_of(seen.severity):
                found[cand.key] = cand
    return found
