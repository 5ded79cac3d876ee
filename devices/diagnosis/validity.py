"""Validity: the device clock outside a certificate's or a CRL's dates, and no CRL where a trustpoint needs one."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from devices.diagnosis import facts, fixes
from devices.diagnosis.model import CONFIG, CRLS, Code, DeviceOutputs, Finding, Phrase, Severity
from devices.parsers.common import aware_time
from vpnportal.translated_text import deferred

RA_ROLES = ("ra_signature", "ra_encryption")
# One message per certificate role (facts.cert_phrase).
CLOCK_BEFORE_START = {
    "identity": gettext_noop("Device clock is before the start of identity certificate %(serial)s"),
    "ca": gettext_noop("Device clock is before the start of CA certificate %(serial)s"),
    "ra_signature": gettext_noop("Device clock is before the start of RA signature certificate %(serial)s"),
    "ra_encryption": gettext_noop("Device clock is before the start of RA encryption certificate %(serial)s"),
}
CLOCK_AFTER_END = {
    "identity": gettext_noop("Device clock is after the end of identity certificate %(serial)s"),
    "ca": gettext_noop("Device clock is after the end of CA certificate %(serial)s"),
    "ra_signature": gettext_noop("Device clock is after the end of RA signature certificate %(serial)s"),
    "ra_encryption": gettext_noop("Device clock is after the end of RA encryption certificate %(serial)s"),
}


def clock_validity(dev: DeviceOutputs) -> list[Finding]:
    """The device clock outside a certificate's or a CRL's validity (the guide's router set to 1993)."""
    clock, clock_lines = facts.clock_reading(dev)
    if clock is None:
        return []
    out: list[Finding] = []
    for cert in facts.certificates(dev):
        start, end = aware_time(cert.get("valid_from")), aware_time(cert.get("valid_to"))
        serial = str(cert.get("serial") or "?")
        if start is not None and clock < start:
            title = facts.cert_phrase(cert, CLOCK_BEFORE_START)
        elif end is not None and clock > end:
            title = facts.cert_phrase(cert, CLOCK_AFTER_END)
        else:
            continue
        severity = Severity.WARNING if cert.get("role") in RA_ROLES else Severity.CRITICAL
        evidence = clock_lines + facts.cert_lines(dev, serial, "start date", "end date", "end   date")
        fix = fixes.set_clock(dev.platform)
        if end is not None and clock > end and start is not None and clock >= start:
            fix += [Phrase(deferred("! if the clock is right, the certificate has expired: enroll again"))]
            fix += fixes.enroll(
                dev.platform, str(cert.get("trustpoint") or facts.first_trustpoint(dev)), facts.version(dev)
            )
        out.append(
            Finding(
                Code.CLOCK_OUTSIDE_CERT,
                severity,
                title,
                f"certificate {serial}",
                tuple(evidence),
                tuple(fix),
            )
        )
    optional = _crl_optional_everywhere(dev)
    for crl in dev.get(CRLS).get("crls") or []:
        last, nxt = aware_time(crl.get("last_update")), aware_time(crl.get("next_update"))
        if last is not None and clock < last:
            title = Phrase(deferred("Device clock is before the CRL's LastUpdate (CRL not yet valid)"))
            fix = fixes.set_clock(dev.platform)
        elif nxt is not None and clock > nxt:
            title = Phrase(deferred("Device clock is after the CRL's NextUpdate (CRL expired)"))
            fix = fixes.crl_request(dev.platform, facts.first_trustpoint(dev), facts.version(dev))
            fix += [Phrase(deferred("! or, if the clock is ahead, set it:")), *fixes.set_clock(dev.platform)]
        else:
            continue
        evidence = clock_lines + dev.find_lines(CRLS, "lastupdate", "nextupdate")
        out.append(
            Finding(
                Code.CLOCK_OUTSIDE_CRL,
                Severity.WARNING if optional else Severity.CRITICAL,
                title,
                f"CRL {crl.get('issuer') or '?'}",
                tuple(evidence),
                tuple(fix),
            )
        )
    return out


# -- CRL availability ----------------------------------------------------------------------------------------


def _crl_required(trustpoint: dict[str, Any]) -> bool:
    if trustpoint.get("crl_optional"):
        return False
    check = str(trustpoint.get("revocation_check") or "").lower().split()
    # `revocation-check none` checks nothing; `revocation-check crl none` falls back to accepting.
    return not (check and check[-1] == "none")


def _crl_optional_everywhere(dev: DeviceOutputs) -> bool:
    trustpoints = dev.get(CONFIG).get("trustpoints") or []
    return bool(trustpoints) and not any(_crl_required(tp) for tp in trustpoints)


def crl_missing(dev: DeviceOutputs) -> list[Finding]:
    """No CRL held while a trustpoint requires one: phase 1 fails with "failed to insert CRL"."""
    if CRLS not in dev.raw or not dev.get(CONFIG) or dev.get(CRLS).get("crls"):
        return []
    if not any(c.get("role") in ("identity", "ca") for c in facts.certificates(dev)):
        return []
    out: list[Finding] = []
    for trustpoint in dev.get(CONFIG).get("trustpoints") or []:
        if not _crl_required(trustpoint):
            continue
        name = str(trustpoint.get("name") or "?")
        evidence = [
            line
            for line in dev.find_lines(CONFIG, f"identity {name}", f"trustpoint {name}", f"configure {name}")
            if "set trustpoint" not in line and "trust-point" not in line
        ]
        evidence.append(Phrase(deferred("%(command)s: (no CRL)", command=dev.command(CRLS))))
        fix = fixes.crl_request(dev.platform, name, facts.version(dev))
        fix += [
            Phrase(deferred("! or accept peers while no CRL can be fetched:")),
            *fixes.crl_optional(dev.platform, name, facts.version(dev)),
        ]
        out.append(
            Finding(
                Code.CRL_MISSING,
                Severity.CRITICAL,
                Phrase(deferred("No CRL held and trustpoint %(name)s has no `crl optional`", name=name)),
                f"trustpoint {name}",
                tuple(evidence),
                tuple(fix),
            )
        )
    return out
