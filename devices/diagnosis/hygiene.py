"""Crypto hygiene: weak IKE policies and transform sets, short RSA keys, SHA-1 and MD5 signatures."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_noop

from devices.diagnosis import facts, fixes
from devices.diagnosis.model import CONFIG, KEYS, Code, DeviceOutputs, Finding, Phrase, Severity
from devices.diagnosis.text import config_block, declared_modulus_bits
from vpnportal.translated_text import deferred

MIN_RSA_BITS = 2048
WEAK_CIPHERS = {"des": "DES", "3des": "3DES"}
WEAK_HASHES = {"md5": "MD5", "sha": "SHA-1", "sha1": "SHA-1"}
WEAK_GROUPS = {1: 768, 2: 1024, 5: 1536}  # modulus bits
# One message per certificate role (facts.cert_phrase).
SHORT_CERTIFICATE_KEY = {
    "identity": gettext_noop(
        "Identity certificate %(serial)s has a %(bits)s-bit RSA key (under %(minimum)s)"
    ),
    "ca": gettext_noop("CA certificate %(serial)s has a %(bits)s-bit RSA key (under %(minimum)s)"),
    "ra_signature": gettext_noop(
        "RA signature certificate %(serial)s has a %(bits)s-bit RSA key (under %(minimum)s)"
    ),
    "ra_encryption": gettext_noop(
        "RA encryption certificate %(serial)s has a %(bits)s-bit RSA key (under %(minimum)s)"
    ),
}
WEAK_SIGNATURE = {
    "identity": gettext_noop("Identity certificate %(serial)s is signed with %(algorithm)s"),
    "ca": gettext_noop("CA certificate %(serial)s is signed with %(algorithm)s"),
    "ra_signature": gettext_noop("RA signature certificate %(serial)s is signed with %(algorithm)s"),
    "ra_encryption": gettext_noop("RA encryption certificate %(serial)s is signed with %(algorithm)s"),
}
WEAK_TRANSFORMS = {
    "esp-des": (Code.WEAK_CIPHER, "DES"),
    "esp-3des": (Code.WEAK_CIPHER, "3DES"),
    "esp-md5-hmac": (Code.WEAK_HASH, "MD5"),
    "ah-md5-hmac": (Code.WEAK_HASH, "MD5"),
    "esp-sha-hmac": (Code.WEAK_HASH, "SHA-1"),
    "ah-sha-hmac": (Code.WEAK_HASH, "SHA-1"),
}


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
        checks: list[tuple[str, str, str, Phrase]] = []
        cipher = _norm_cipher(policy.get("encryption"))
        if cipher in WEAK_CIPHERS:
            title = deferred(
                "IKE policy %(priority)s uses %(cipher)s encryption",
                priority=priority,
                cipher=WEAK_CIPHERS[cipher],
            )
            checks.append((Code.WEAK_CIPHER, "encryption", cipher, Phrase(title)))
        hashing = str(policy.get("hash") or "").lower()
        if hashing in WEAK_HASHES:
            title = deferred(
                "IKE policy %(priority)s uses %(hash)s hash", priority=priority, hash=WEAK_HASHES[hashing]
            )
            checks.append((Code.WEAK_HASH, "hash", hashing, Phrase(title)))
        group = policy.get("group")
        if group in WEAK_GROUPS:
            title = deferred(
                "IKE policy %(priority)s uses DH group %(group)s (%(bits)s-bit)",
                priority=priority,
                group=group,
                bits=WEAK_GROUPS[group],
            )
            checks.append((Code.WEAK_DH_GROUP, "group", str(group), Phrase(title)))
        for code, param, value, title_text in checks:
            evidence: list[str] = _policy_lines(dev, priority, param)
            if param in defaulted:
                note = deferred(
                    "%(command)s: (%(param)s not set: the default is %(value)s)",
                    command=dev.command(CONFIG),
                    param=param,
                    value=value,
                )
                evidence.append(Phrase(note))
            out.append(
                Finding(
                    code,
                    Severity.WARNING,
                    title_text,
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
                    Phrase(
                        deferred(
                            "Transform set %(name)s uses %(algorithm)s (%(transform)s)",
                            name=name,
                            algorithm=label,
                            transform=str(transform),
                        )
                    ),
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
        evidence: list[str] = [
            line for line in dev.find_lines(KEYS, f"key name: {name}") if line.rstrip().endswith(name)
        ]
        evidence += dev.find_lines(KEYS, "modulus size")[:1]
        if declared:
            note = deferred(
                "%(command)s: (key data damaged; its DER header declares a %(bits)s-bit modulus)",
                command=dev.command(KEYS),
                bits=bits,
            )
        else:
            note = deferred(
                "%(command)s: (key data decodes to a %(bits)s-bit modulus)",
                command=dev.command(KEYS),
                bits=bits,
            )
        evidence.append(Phrase(note))
        out.append(
            Finding(
                Code.WEAK_RSA_KEY,
                Severity.WARNING,
                Phrase(
                    deferred(
                        "RSA key %(name)s is %(bits)s bits (under %(minimum)s)",
                        name=name,
                        bits=bits,
                        minimum=MIN_RSA_BITS,
                    )
                ),
                f"key {name}",
                tuple(evidence),
                tuple(
                    fixes.generate_key(dev.platform, name)
                    + fixes.enroll(dev.platform, facts.first_trustpoint(dev), facts.version(dev))
                ),
            )
        )
    for cert in facts.certificates(dev):
        bits = cert.get("key_bits")
        # The identity certificate holds the device key reported above; do not report it twice.
        if not isinstance(bits, int) or bits >= MIN_RSA_BITS or (cert.get("role") == "identity" and readable):
            continue
        serial = str(cert.get("serial") or "?")
        evidence = facts.chain_lines(dev, serial) + facts.cert_lines(dev, serial, "public key")
        evidence.append(Phrase(deferred("(the certificate's public key is %(bits)s bits)", bits=bits)))
        if cert.get("role") == "identity":
            fix = fixes.generate_key(dev.platform, facts.first_trustpoint(dev)) + fixes.enroll(
                dev.platform, str(cert.get("trustpoint") or facts.first_trustpoint(dev)), facts.version(dev)
            )
        else:
            fix = [
                Phrase(deferred("! the CA must issue from a 2048-bit (or larger) key; then on the device:"))
            ]
            fix += fixes.authenticate(
                dev.platform, str(cert.get("trustpoint") or facts.first_trustpoint(dev)), facts.version(dev)
            )
        out.append(
            Finding(
                Code.WEAK_RSA_KEY,
                Severity.WARNING,
                facts.cert_phrase(cert, SHORT_CERTIFICATE_KEY, bits=bits, minimum=MIN_RSA_BITS),
                f"certificate {serial} key",
                tuple(evidence),
                tuple(fix),
            )
        )
    return out


def signature_hygiene(dev: DeviceOutputs) -> list[Finding]:
    """Certificates signed with SHA-1 or MD5."""
    out: list[Finding] = []
    for cert in facts.certificates(dev):
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
        trustpoint = str(cert.get("trustpoint") or facts.first_trustpoint(dev))
        evidence = facts.chain_lines(dev, serial) + facts.cert_lines(dev, serial, "signature algorithm")
        evidence.append(Phrase(deferred("(signature algorithm %(algorithm)s)", algorithm=algorithm)))
        if cert.get("role") == "identity":
            fix = [
                Phrase(deferred("! have the CA sign with SHA-256, then:")),
                *fixes.enroll(dev.platform, trustpoint, facts.version(dev)),
            ]
        else:
            fix = [Phrase(deferred("! the CA must re-issue with SHA-256; then on the device:"))]
            fix += fixes.authenticate(dev.platform, trustpoint, facts.version(dev))
        out.append(
            Finding(
                Code.WEAK_CERT_SIGNATURE,
                Severity.WARNING,
                facts.cert_phrase(cert, WEAK_SIGNATURE, algorithm=label),
                f"certificate {serial} signature",
                tuple(evidence),
                tuple(fix),
            )
        )
    return out
