"""The certificate chain: signatures that do not verify, and an identity certificate for a key the device no longer has."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from devices.diagnosis import facts, fixes
from devices.diagnosis.model import CONFIG, KEYS, Code, DeviceOutputs, Finding, Phrase, Severity
from devices.diagnosis.text import identity_certificate_hex
from vpnportal.translated_text import deferred

# One message per certificate role (facts.cert_phrase).
DOES_NOT_VERIFY = {
    "identity": gettext_noop("Identity certificate %(serial)s does not verify against its CA"),
    "ca": gettext_noop("CA certificate %(serial)s does not verify against its CA"),
    "ra_signature": gettext_noop("RA signature certificate %(serial)s does not verify against its CA"),
    "ra_encryption": gettext_noop("RA encryption certificate %(serial)s does not verify against its CA"),
}


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
            # The verifier's reason (pki.x509) is English; vpnportal's own remark when it gives none.
            reason = cert.get("signature_error")
            evidence.append(f"({reason})" if reason else Phrase(deferred("(signature does not verify)")))
            critical = cert.get("role") in ("identity", "ca")
            out.append(
                Finding(
                    Code.CERT_SIGNATURE_INVALID,
                    Severity.CRITICAL if critical else Severity.WARNING,
                    facts.cert_phrase(cert, DOES_NOT_VERIFY),
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
        evidence.append(Phrase(deferred("(the certificate's public key equals none of the keys above)")))
        trustpoint = facts.first_trustpoint(dev)
        out.append(
            Finding(
                Code.KEY_CERT_MISMATCH,
                Severity.CRITICAL,
                Phrase(
                    deferred(
                        "Identity certificate %(serial)s does not hold any of the device's keys",
                        serial=serial,
                    )
                ),
                f"certificate {serial} key",
                tuple(evidence),
                (
                    Phrase(
                        deferred(
                            "! the key was regenerated after enrollment: enroll again for the current key"
                        )
                    ),
                    *fixes.enroll(dev.platform, trustpoint, facts.version(dev)),
                ),
            )
        )
    return out
