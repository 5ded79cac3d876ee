"""The certificate chain: signatures that do not verify, and an identity certificate for a key the device no longer has."""

from __future__ import annotations

from devices.diagnosis import facts, fixes
from devices.diagnosis.model import CONFIG, KEYS, Code, DeviceOutputs, Finding, Severity
from devices.diagnosis.text import identity_certificate_hex


def chain_signatures(dev: DeviceOutputs) -> list[Finding]:
    """A certificate of the chain whose signature does not verify against the chain's CA key."""
    out: list[Finding] = []
    for chain in dev.get(CONFIG).get("certificate_chains") or []:
        trustpoint = str(chain.get("trustpoint") or facts.first_trustpoint(dev))
        for cert in chain.get("certificates") or []:
            if cert.get("signature_valid") is not False:
                continue
            serial = str(cert.get("serial") or "?")
            evidence = facts.chain_lines(dev, serial)
            evidence.append(f"({cert.get('signature_error') or 'signature does not verify'})")
            critical = cert.get("role") in ("identity", "ca")
            out.append(
                Finding(
                    Code.CERT_SIGNATURE_INVALID,
                    Severity.CRITICAL if critical else Severity.WARNING,
                    f"{facts.sentence(facts.cert_label(cert))} does not verify against its CA",
                    f"certificate {serial}",
                    tuple(evidence),
                    tuple(fixes.authenticate(dev.platform, trustpoint, facts.version(dev))),
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
        evidence = facts.chain_lines(dev, serial)
        evidence += list(dev.find_lines(KEYS, "key name:"))
        evidence.append("(the certificate's public key equals none of the keys above)")
        trustpoint = facts.first_trustpoint(dev)
        out.append(
            Finding(
                Code.KEY_CERT_MISMATCH,
                Severity.CRITICAL,
                f"Identity certificate {serial} does not hold any of the device's keys",
                f"certificate {serial} key",
                tuple(evidence),
                (
                    "! the key was regenerated after enrollment: enroll again for the current key",
                    *fixes.enroll(dev.platform, trustpoint, facts.version(dev)),
                ),
            )
        )
    return out
