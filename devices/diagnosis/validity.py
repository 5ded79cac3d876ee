"""Validity: the device clock outside a certificate's or a CRL's dates, and no CRL where a trustpoint needs one."""

from __future__ import annotations

from typing import Any

from devices.diagnosis import facts, fixes
from devices.diagnosis.model import CONFIG, CRLS, Code, DeviceOutputs, Finding, Severity
from devices.parsers.common import aware_time

RA_ROLES = ("ra_signature", "ra_encryption")


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
            problem = f"before the start of {facts.cert_label(cert)}"
        elif end is not None and clock > end:
            problem = f"after the end of {facts.cert_label(cert)}"
        else:
            continue
        severity = Severity.WARNING if cert.get("role") in RA_ROLES else Severity.CRITICAL
        evidence = clock_lines + facts.cert_lines(dev, serial, "start date", "end date", "end   date")
        fix = fixes.set_clock(dev.platform)
        if end is not None and clock > end and start is not None and clock >= start:
            fix += ["! if the clock is right, the certificate has expired: enroll again"]
            fix += fixes.enroll(
                dev.platform, str(cert.get("trustpoint") or facts.first_trustpoint(dev)), facts.version(dev)
            )
        out.append(
            Finding(
                Code.CLOCK_OUTSIDE_CERT,
                severity,
                f"Device clock is {problem}",
                f"certificate {serial}",
                tuple(evidence),
                tuple(fix),
            )
        )
    optional = _crl_optional_everywhere(dev)
    for crl in dev.get(CRLS).get("crls") or []:
        last, nxt = aware_time(crl.get("last_update")), aware_time(crl.get("next_update"))
        if last is not None and clock < last:
            title = "Device clock is before the CRL's LastUpdate (CRL not yet valid)"
            fix = fixes.set_clock(dev.platform)
        elif nxt is not None and clock > nxt:
            title = "Device clock is after the CRL's NextUpdate (CRL expired)"
            fix = fixes.crl_request(dev.platform, facts.first_trustpoint(dev), facts.version(dev))
            fix += ["! or, if the clock is ahead, set it:", *fixes.set_clock(dev.platform)]
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
        evidence.append(f"{dev.command(CRLS)}: (no CRL)")
        fix = fixes.crl_request(dev.platform, name, facts.version(dev))
        fix += [
            "! or accept peers while no CRL can be fetched:",
            *fixes.crl_optional(dev.platform, name, facts.version(dev)),
        ]
        out.append(
            Finding(
                Code.CRL_MISSING,
                Severity.CRITICAL,
                f"No CRL held and trustpoint {name} has no `crl optional`",
                f"trustpoint {name}",
                tuple(evidence),
                tuple(fix),
            )
        )
    return out
