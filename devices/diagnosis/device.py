"""Rules on one device's outputs: identity, clock and CRL validity, crypto hygiene, chain, management."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from devices.diagnosis import fixes
from devices.diagnosis.model import (
    CERTIFICATES,
    CLOCK,
    CONFIG,
    CRLS,
    KEYS,
    Code,
    DeviceOutputs,
    Finding,
    Severity,
)
from devices.diagnosis.text import (
    ASA,
    IOS,
    PIX,
    config_block,
    declared_modulus_bits,
    has_ipv4,
    identity_certificate_hex,
    when,
)

MIN_RSA_BITS = 2048
WEAK_CIPHERS = {"des": "DES", "3des": "3DES"}
WEAK_HASHES = {"md5": "MD5", "sha": "SHA-1", "sha1": "SHA-1"}
WEAK_GROUPS = {1: "768-bit", 2: "1024-bit", 5: "1536-bit"}
WEAK_TRANSFORMS = {
    "esp-des": (Code.WEAK_CIPHER, "DES"),
    "esp-3des": (Code.WEAK_CIPHER, "3DES"),
    "esp-md5-hmac": (Code.WEAK_HASH, "MD5"),
    "ah-md5-hmac": (Code.WEAK_HASH, "MD5"),
    "esp-sha-hmac": (Code.WEAK_HASH, "SHA-1"),
    "ah-sha-hmac": (Code.WEAK_HASH, "SHA-1"),
}
# What IKE identifies itself by when the configuration says nothing: address on IOS and PIX 6, and
# ASA picks by authentication (auto).
DEFAULT_IDENTITY = {IOS: "address", PIX: "address", ASA: "auto"}
RA_ROLES = ("ra_signature", "ra_encryption")

Rule = Callable[[DeviceOutputs], list[Finding]]


def _version(dev: DeviceOutputs) -> str | None:
    value = dev.get(CONFIG).get("version")
    return str(value) if value else None


def _trustpoint_names(dev: DeviceOutputs) -> list[str]:
    return [str(tp.get("name")) for tp in dev.get(CONFIG).get("trustpoints") or [] if tp.get("name")]


def _first_trustpoint(dev: DeviceOutputs) -> str:
    names = _trustpoint_names(dev)
    return names[0] if names else "<trustpoint>"


def _certificates(dev: DeviceOutputs) -> list[dict[str, Any]]:
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


def _cert_lines(dev: DeviceOutputs, serial: str, *needles: str) -> list[str]:
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


def _chain_line(dev: DeviceOutputs, serial: str) -> list[str]:
    want = serial.upper().lstrip("0")
    out = []
    for line in dev.lines(CONFIG):
        words = line.split()
        if len(words) >= 2 and words[0] == "certificate" and words[-1].upper().lstrip("0") == want:
            out.append(dev.quote(CONFIG, line))
    return out


def _cert_label(cert: dict[str, Any]) -> str:
    role = str(cert.get("role") or "identity").replace("_", " ")
    role = {"ca": "CA", "ra signature": "RA signature", "ra encryption": "RA encryption"}.get(role, role)
    return f"{role} certificate {cert.get('serial') or '?'}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _clock(dev: DeviceOutputs) -> tuple[datetime | None, list[str]]:
    clock = when(dev.get(CLOCK).get("clock"))
    lines = [dev.quote(CLOCK, line) for line in dev.lines(CLOCK) if line.strip()][:1]
    return clock, lines


# -- ISAKMP identity ------------------------------------------------------------------------------------


def isakmp_identity(dev: DeviceOutputs) -> list[Finding]:
    """Identity `address` while the certificate carries only the FQDN (the guide's "Addr not in Cert")."""
    config = dev.get(CONFIG)
    if not config:
        return []
    configured = config.get("isakmp_identity")
    identity = configured or DEFAULT_IDENTITY.get(dev.platform)
    if identity != "address":
        return []
    identities = [c for c in _certificates(dev) if c.get("role") == "identity"]
    if not identities:
        return []
    for cert in identities:
        names = [str(cert.get(k) or "") for k in ("subject", "subject_name")]
        names += [str(n) for n in cert.get("subject_alt_names") or []]
        if any(has_ipv4(n) for n in names):
            return []
    if configured:
        evidence = dev.find_lines(CONFIG, "isakmp identity")
        severity = Severity.CRITICAL
    else:
        evidence = [
            f"{dev.command(CONFIG)}: (no `isakmp identity` line: this platform then identifies by address)"
        ]
        # Only the peer's check fails (IKMP_NO_ID_CERT_ADDR_MATCH); the seed's tunnel still came up.
        severity = Severity.WARNING
    for cert in identities:
        evidence += _cert_lines(dev, str(cert.get("serial") or ""), "name:", "hostname=", "subject")
    return [
        Finding(
            Code.ISAKMP_IDENTITY_ADDRESS,
            severity,
            "ISAKMP identity is the address but the certificate carries only the FQDN",
            "isakmp identity",
            tuple(evidence),
            tuple(fixes.identity_hostname(dev.platform)),
        )
    ]


# -- clock against certificate and CRL validity ------------------------------------------------------------


def clock_validity(dev: DeviceOutputs) -> list[Finding]:
    """The device clock outside a certificate's or a CRL's validity (the guide's router set to 1993)."""
    clock, clock_lines = _clock(dev)
    if clock is None:
        return []
    out: list[Finding] = []
    for cert in _certificates(dev):
        start, end = when(cert.get("valid_from")), when(cert.get("valid_to"))
        serial = str(cert.get("serial") or "?")
        if start is not None and clock < start:
            problem = f"before the start of {_cert_label(cert)}"
        elif end is not None and clock > end:
            problem = f"after the end of {_cert_label(cert)}"
        else:
            continue
        severity = Severity.WARNING if cert.get("role") in RA_ROLES else Severity.CRITICAL
        evidence = clock_lines + _cert_lines(dev, serial, "start date", "end date", "end   date")
        fix = fixes.set_clock(dev.platform)
        if end is not None and clock > end and start is not None and clock >= start:
            fix += ["! if the clock is right, the certificate has expired: enroll again"]
            fix += fixes.enroll(
                dev.platform, str(cert.get("trustpoint") or _first_trustpoint(dev)), _version(dev)
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
        last, nxt = when(crl.get("last_update")), when(crl.get("next_update"))
        if last is not None and clock < last:
            title = "Device clock is before the CRL's LastUpdate (CRL not yet valid)"
            fix = fixes.set_clock(dev.platform)
        elif nxt is not None and clock > nxt:
            title = "Device clock is after the CRL's NextUpdate (CRL expired)"
            fix = fixes.crl_request(dev.platform, _first_trustpoint(dev), _version(dev))
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
    if not any(c.get("role") in ("identity", "ca") for c in _certificates(dev)):
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
        fix = fixes.crl_request(dev.platform, name, _version(dev))
        fix += [
            "! or accept peers while no CRL can be fetched:",
            *fixes.crl_optional(dev.platform, name, _version(dev)),
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


# -- crypto hygiene -----------------------------------------------------------------------------------------


def _norm_cipher(value: Any) -> str:
    return str(value or "").lower().replace(" ", "-")


_PARAM_WORDS = {"encryption": ("encr",), "hash": ("hash", "integrity"), "group": ("group",)}


def _policy_lines(dev: DeviceOutputs, priority: Any, param: str) -> list[str]:
    """The policy's head line and its lines about param (PIX writes one full line per parameter)."""
    head = re.compile(rf"^(?:crypto )?(?:isakmp|ikev1|ikev2) policy {priority}\b")
    block = config_block(dev.lines(CONFIG), head)
    words = _PARAM_WORDS[param]
    out = [line for line in block if any(f" {w}" in f" {line.strip()}" for w in words) or line == block[0]]
    if block and not line_is_block(block[0]):
        out = [line for line in out if any(w in line for w in words)]
    return [dev.quote(CONFIG, line) for line in out]


def line_is_block(line: str) -> bool:
    """Whether a policy line opens a block (IOS/ASA) rather than carrying a value (PIX)."""
    return bool(re.match(r"^(?:crypto )?(?:isakmp|ikev1|ikev2) policy \d+\s*$", line.strip()))


def ike_hygiene(dev: DeviceOutputs) -> list[Finding]:
    """DES/3DES, MD5/SHA-1 and DH groups 1, 2, 5 in IKE policies."""
    out: list[Finding] = []
    for policy in dev.get(CONFIG).get("ike_policies") or []:
        priority = policy.get("priority")
        defaulted = set(policy.get("defaulted") or [])
        checks: list[tuple[str, str, str, str]] = []
        cipher = _norm_cipher(policy.get("encryption"))
        if cipher in WEAK_CIPHERS:
            checks.append((Code.WEAK_CIPHER, "encryption", cipher, f"{WEAK_CIPHERS[cipher]} encryption"))
        hashing = str(policy.get("hash") or "").lower()
        if hashing in WEAK_HASHES:
            checks.append((Code.WEAK_HASH, "hash", hashing, f"{WEAK_HASHES[hashing]} hash"))
        group = policy.get("group")
        if group in WEAK_GROUPS:
            checks.append(
                (Code.WEAK_DH_GROUP, "group", str(group), f"DH group {group} ({WEAK_GROUPS[group]})")
            )
        for code, param, value, label in checks:
            evidence = _policy_lines(dev, priority, param)
            if param in defaulted:
                evidence.append(f"{dev.command(CONFIG)}: ({param} not set: the default is {value})")
            out.append(
                Finding(
                    code,
                    Severity.WARNING,
                    f"IKE policy {priority} uses {label}",
                    f"ike policy {priority} {param}",
                    tuple(evidence),
                    tuple(fixes.ike_policy(dev.platform, priority, param)),
                )
            )
    return out


def transform_hygiene(dev: DeviceOutputs) -> list[Finding]:
    """DES/3DES and MD5/SHA-1 in IPsec transform sets."""
    out: list[Finding] = []
    for tset in dev.get(CONFIG).get("transform_sets") or []:
        name = str(tset.get("name") or "?")
        lines = [
            line
            for line in dev.find_lines(CONFIG, f"transform-set {name} ")
            if " set transform-set" not in line and "set ikev1 transform-set" not in line
        ]
        for transform in tset.get("transforms") or []:
            weak = WEAK_TRANSFORMS.get(str(transform).lower())
            if weak is None:
                continue
            code, label = weak
            out.append(
                Finding(
                    code,
                    Severity.WARNING,
                    f"Transform set {name} uses {label} ({transform})",
                    f"transform-set {name} {transform}",
                    tuple(lines),
                    tuple(fixes.transform_set(dev.platform, name)),
                )
            )
    return out


def _key_bits(key: dict[str, Any]) -> tuple[int | None, bool]:
    """(bits, declared): bits from the decoded key, or from the DER headers of damaged key data."""
    if isinstance(key.get("key_bits"), int):
        return key["key_bits"], False
    return declared_modulus_bits(str(key.get("key_data") or "")), True


def rsa_hygiene(dev: DeviceOutputs) -> list[Finding]:
    """RSA keys under 2048 bits: the device's own keys, and the certificates' keys."""
    out: list[Finding] = []
    keys = dev.get(KEYS).get("keys") or []
    readable = False
    for key in keys:
        bits, declared = _key_bits(key)
        if bits is None:
            continue
        readable = True
        if bits >= MIN_RSA_BITS:
            continue
        name = str(key.get("name") or "?")
        evidence = [
            line for line in dev.find_lines(KEYS, f"key name: {name}") if line.rstrip().endswith(name)
        ]
        evidence += dev.find_lines(KEYS, "modulus size")[:1]
        if declared:
            evidence.append(
                f"{dev.command(KEYS)}: (key data damaged; its DER header declares a {bits}-bit modulus)"
            )
        else:
            evidence.append(f"{dev.command(KEYS)}: (key data decodes to a {bits}-bit modulus)")
        out.append(
            Finding(
                Code.WEAK_RSA_KEY,
                Severity.WARNING,
                f"RSA key {name} is {bits} bits (under {MIN_RSA_BITS})",
                f"key {name}",
                tuple(evidence),
                tuple(
                    fixes.generate_key(dev.platform, name)
                    + fixes.enroll(dev.platform, _first_trustpoint(dev), _version(dev))
                ),
            )
        )
    for cert in _certificates(dev):
        bits = cert.get("key_bits")
        # The identity certificate holds the device key reported above; do not report it twice.
        if not isinstance(bits, int) or bits >= MIN_RSA_BITS or (cert.get("role") == "identity" and readable):
            continue
        serial = str(cert.get("serial") or "?")
        evidence = _chain_line(dev, serial) + _cert_lines(dev, serial, "public key")
        evidence.append(f"(the certificate's public key is {bits} bits)")
        if cert.get("role") == "identity":
            fix = fixes.generate_key(dev.platform, _first_trustpoint(dev)) + fixes.enroll(
                dev.platform, str(cert.get("trustpoint") or _first_trustpoint(dev)), _version(dev)
            )
        else:
            fix = ["! the CA must issue from a 2048-bit (or larger) key; then on the device:"]
            fix += fixes.authenticate(
                dev.platform, str(cert.get("trustpoint") or _first_trustpoint(dev)), _version(dev)
            )
        out.append(
            Finding(
                Code.WEAK_RSA_KEY,
                Severity.WARNING,
                f"{_sentence(_cert_label(cert))} has a {bits}-bit RSA key (under {MIN_RSA_BITS})",
                f"certificate {serial} key",
                tuple(evidence),
                tuple(fix),
            )
        )
    return out


def signature_hygiene(dev: DeviceOutputs) -> list[Finding]:
    """Certificates signed with SHA-1 or MD5."""
    out: list[Finding] = []
    for cert in _certificates(dev):
        algorithm = str(cert.get("signature_algorithm") or "")
        compact = algorithm.lower().replace(" ", "").replace("-", "")
        label = (
            "MD5"
            if "md5" in compact
            else "SHA-1"
            if "sha1" in compact or compact.startswith("shawith")
            else ""
        )
        if not label:
            continue
        serial = str(cert.get("serial") or "?")
        trustpoint = str(cert.get("trustpoint") or _first_trustpoint(dev))
        evidence = _chain_line(dev, serial) + _cert_lines(dev, serial, "signature algorithm")
        evidence.append(f"(signature algorithm {algorithm})")
        if cert.get("role") == "identity":
            fix = [
                "! have the CA sign with SHA-256, then:",
                *fixes.enroll(dev.platform, trustpoint, _version(dev)),
            ]
        else:
            fix = ["! the CA must re-issue with SHA-256; then on the device:"]
            fix += fixes.authenticate(dev.platform, trustpoint, _version(dev))
        out.append(
            Finding(
                Code.WEAK_CERT_SIGNATURE,
                Severity.WARNING,
                f"{_sentence(_cert_label(cert))} is signed with {label}",
                f"certificate {serial} signature",
                tuple(evidence),
                tuple(fix),
            )
        )
    return out


# -- chain ------------------------------------------------------------------------------------------------


def chain_signatures(dev: DeviceOutputs) -> list[Finding]:
    """A certificate of the chain whose signature does not verify against the chain's CA key."""
    out: list[Finding] = []
    for chain in dev.get(CONFIG).get("certificate_chains") or []:
        trustpoint = str(chain.get("trustpoint") or _first_trustpoint(dev))
        for cert in chain.get("certificates") or []:
            if cert.get("signature_valid") is not False:
                continue
            serial = str(cert.get("serial") or "?")
            evidence = _chain_line(dev, serial)
            evidence.append(f"({cert.get('signature_error') or 'signature does not verify'})")
            critical = cert.get("role") in ("identity", "ca")
            out.append(
                Finding(
                    Code.CERT_SIGNATURE_INVALID,
                    Severity.CRITICAL if critical else Severity.WARNING,
                    f"{_sentence(_cert_label(cert))} does not verify against its CA",
                    f"certificate {serial}",
                    tuple(evidence),
                    tuple(fixes.authenticate(dev.platform, trustpoint, _version(dev))),
                )
            )
    return out


def key_matches_certificate(dev: DeviceOutputs) -> list[Finding]:
    """The identity certificate's public key is none of the device's keys (re-keyed without re-enrolling)."""
    from pki.x509 import public_key_matches

    keys = [k for k in dev.get(KEYS).get("keys") or [] if k.get("decodable") and k.get("key_data")]
    if not keys:
        return []
    out: list[Finding] = []
    for serial, cert_hex in identity_certificate_hex(dev.raw.get(CONFIG, "")).items():
        results = [public_key_matches(str(k["key_data"]), cert_hex) for k in keys]
        if any(r is True for r in results) or all(r is None for r in results):
            continue
        evidence = _chain_line(dev, serial)
        evidence += list(dev.find_lines(KEYS, "key name:"))
        evidence.append("(the certificate's public key equals none of the keys above)")
        trustpoint = _first_trustpoint(dev)
        out.append(
            Finding(
                Code.KEY_CERT_MISMATCH,
                Severity.CRITICAL,
                f"Identity certificate {serial} does not hold any of the device's keys",
                f"certificate {serial} key",
                tuple(evidence),
                (
                    "! the key was regenerated after enrollment: enroll again for the current key",
                    *fixes.enroll(dev.platform, trustpoint, _version(dev)),
                ),
            )
        )
    return out


# -- management --------------------------------------------------------------------------------------------


def _ios_major(version: str | None) -> int | None:
    if not version:
        return None
    head = version.split(".")[0]
    return int(head) if head.isdigit() else None


def cleartext_management(dev: DeviceOutputs) -> list[Finding]:
    """Telnet allowed in the configuration, or used by vpnportal itself to log in."""
    evidence: list[str] = []
    lines = dev.lines(CONFIG)
    telnet_lines: list[str] = []
    if dev.platform == IOS and dev.get(CONFIG):
        for block in _vty_blocks(lines):
            transport = [line for line in block if line.strip().startswith("transport input")]
            words = transport[-1].split()[2:] if transport else []
            if any(w in ("telnet", "all") for w in words):
                evidence += [dev.quote(CONFIG, block[0]), dev.quote(CONFIG, transport[-1])]
            elif not transport and (_ios_major(_version(dev)) or 0) < 15:
                # IOS 12 lets every protocol in on a vty without `transport input`; quote only the head
                # line, the block may hold a line password.
                evidence.append(dev.quote(CONFIG, block[0]))
                evidence.append(f"{dev.command(CONFIG)}: (no `transport input`: IOS 12 accepts telnet)")
    elif dev.platform in (PIX, ASA):
        telnet_lines = [line for line in lines if re.match(r"^telnet \d", line.strip())]
        evidence += [dev.quote(CONFIG, line) for line in telnet_lines]
    if dev.transport == "telnet":
        evidence.append("(vpnportal itself logs in to this device over telnet)")
    if not evidence:
        return []
    return [
        Finding(
            Code.CLEARTEXT_MANAGEMENT,
            Severity.WARNING,
            "Management over telnet: passwords cross the network in clear text",
            "telnet",
            tuple(evidence),
            tuple(fixes.ssh_only(dev.platform, telnet_lines)),
        )
    ]


def _vty_blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        if line.startswith("line vty"):
            current = [line]
            blocks.append(current)
        elif current is not None and line.startswith(" ") and line.strip():
            current.append(line)
        else:
            current = None
    return blocks


DEVICE_RULES: tuple[Rule, ...] = (
    isakmp_identity,
    clock_validity,
    crl_missing,
    ike_hygiene,
    transform_hygiene,
    rsa_hygiene,
    signature_hygiene,
    chain_signatures,
    key_matches_certificate,
    cleartext_management,
)


def diagnose_device(dev: DeviceOutputs) -> list[Finding]:
    """Every device rule over one device's outputs."""
    out: list[Finding] = []
    for rule in DEVICE_RULES:
        out.extend(rule(dev))
    return out
