"""What several device rules read from one device's outputs: certificates by serial, trustpoints, the clock."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from devices.diagnosis.model import CERTIFICATES, CLOCK, CONFIG, DeviceOutputs, Phrase
from devices.parsers.common import aware_time
from vpnportal.translated_text import deferred


def version(dev: DeviceOutputs) -> str | None:
    """The software version the configuration names, for version-dependent fix commands."""
    value = dev.get(CONFIG).get("version")
    return str(value) if value else None


def trustpoint_names(dev: DeviceOutputs) -> list[str]:
    """The configured trustpoints' names, in configuration order."""
    return [str(tp.get("name")) for tp in dev.get(CONFIG).get("trustpoints") or [] if tp.get("name")]


def first_trustpoint(dev: DeviceOutputs) -> str:
    """The trustpoint a fix names when the finding does not say (a placeholder when none is configured)."""
    names = trustpoint_names(dev)
    return names[0] if names else "<trustpoint>"


def certificates(dev: DeviceOutputs) -> list[dict[str, Any]]:
    """Certificates from the certificates output merged with the config chain's X.509 facts, by serial."""
    merged: dict[str, dict[str, Any]] = {}
    for cert in dev.get(CERTIFICATES).get("certificates") or []:
        if str(cert.get("status") or "").lower() not in ("available", ""):
            continue
        serial = str(cert.get("serial") or "").upper().lstrip("0")
        merged[serial or f"#{len(merged)}"] = dict(cert)
    for chain in dev.get(CONFIG).get("certificate_chains") or []:
        for cert in chain.get("certificates") or []:
            serial = str(cert.get("serial") or "").upper().lstrip("0")
            record = merged.setdefault(serial or f"#{len(merged)}", {})
            for key, value in cert.items():
                if value is not None and (
                    record.get(key) is None or key in ("signature_algorithm", "key_bits")
                ):
                    record[key] = value
            record.setdefault("valid_from", cert.get("not_before"))
            record.setdefault("valid_to", cert.get("not_after"))
            record.setdefault("trustpoint", chain.get("trustpoint"))
            record["in_chain"] = True
    return list(merged.values())


def cert_lines(dev: DeviceOutputs, serial: str, *needles: str) -> list[str]:
    """Evidence lines of one certificate's block in the certificates output (blank-line separated)."""
    text = dev.raw.get(CERTIFICATES, "")
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    want = serial.upper().lstrip("0")
    for block in blocks:
        numbers = re.findall(r"Serial Number(?: \(hex\))?:\s*([0-9A-Fa-f]+)", block)
        if any(n.upper().lstrip("0") == want for n in numbers):
            lowered = [n.lower() for n in needles]
            return [
                dev.quote(CERTIFICATES, line)
                for line in block.split("\n")
                if "serial number" in line.lower() or any(n in line.lower() for n in lowered)
            ]
    return []


def chain_lines(dev: DeviceOutputs, serial: str) -> list[str]:
    """The configuration's `certificate SERIAL` lines of one certificate, quoted as evidence."""
    want = serial.upper().lstrip("0")
    out = []
    for line in dev.lines(CONFIG):
        words = line.split()
        if len(words) >= 2 and words[0] == "certificate" and words[-1].upper().lstrip("0") == want:
            out.append(dev.quote(CONFIG, line))
    return out


def cert_label(cert: dict[str, Any]) -> str:
    """How a finding names a certificate: its role and serial ("CA certificate 01")."""
    role = str(cert.get("role") or "identity").replace("_", " ")
    role = {"ca": "CA", "ra signature": "RA signature", "ra encryption": "RA encryption"}.get(role, role)
    return f"{role} certificate {cert.get('serial') or '?'}"


def cert_phrase(cert: dict[str, Any], by_role: dict[str, str], **params: Any) -> Phrase:
    """A text that names a certificate by its role and serial, from its role's own message: the role words
    do not translate alone ("CA certificate 01", "RA signature certificate 02" read differently in
    Japanese). by_role: role -> message with %(serial)s, one for each role of pki.choices.CertificateRole."""
    role = str(cert.get("role") or "identity")
    serial = str(cert.get("serial") or "?")
    if role in by_role:
        return Phrase(deferred(by_role[role], serial=serial, **params))
    # The parsers know only those roles; another one reads as cert_label says it, in English only.
    label = cert_label(cert)
    template = (
        by_role["identity"]
        .replace("Identity certificate %(serial)s", sentence(label))
        .replace("identity certificate %(serial)s", label)
    )
    return Phrase(deferred(template, **params))


def sentence(text: str) -> str:
    """The text with its first letter capitalised, to open a finding's title."""
    return text[:1].upper() + text[1:]


def clock_reading(dev: DeviceOutputs) -> tuple[datetime | None, list[str]]:
    """The device clock as an aware instant (None when unreadable) and the line that shows it."""
    clock = aware_time(dev.get(CLOCK).get("clock"))
    lines = [dev.quote(CLOCK, line) for line in dev.lines(CLOCK) if line.strip()][:1]
    return clock, lines
