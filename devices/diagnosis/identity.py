"""ISAKMP identity: does the identity the device sends match a name its certificate carries?"""

from __future__ import annotations

from devices.diagnosis import facts, fixes
from devices.diagnosis.model import CONFIG, Code, DeviceOutputs, Finding, Phrase, Severity
from devices.diagnosis.text import ASA, IOS, PIX, has_ipv4
from vpnportal.translated_text import deferred

# What IKE identifies itself by when the configuration says nothing: address on IOS and PIX 6, and
# ASA picks by authentication (auto).
DEFAULT_IDENTITY = {IOS: "address", PIX: "address", ASA: "auto"}


def isakmp_identity(dev: DeviceOutputs) -> list[Finding]:
    """Identity `address` while the certificate carries only the FQDN (the guide's "Addr not in Cert")."""
    config = dev.get(CONFIG)
    if not config:
        return []
    configured = config.get("isakmp_identity")
    identity = configured or DEFAULT_IDENTITY.get(dev.platform)
    if identity != "address":
        return []
    identities = [c for c in facts.certificates(dev) if c.get("role") == "identity"]
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
            Phrase(
                deferred(
                    "%(command)s: (no `isakmp identity` line: this platform then identifies by address)",
                    command=dev.command(CONFIG),
                )
            )
        ]
        # Only the peer's check fails (IKMP_NO_ID_CERT_ADDR_MATCH); the seed's tunnel still came up.
        severity = Severity.WARNING
    for cert in identities:
        evidence += facts.cert_lines(dev, str(cert.get("serial") or ""), "name:", "hostname=", "subject")
    return [
        Finding(
            Code.ISAKMP_IDENTITY_ADDRESS,
            severity,
            Phrase(deferred("ISAKMP identity is the address but the certificate carries only the FQDN")),
            "isakmp identity",
            tuple(evidence),
            tuple(fixes.identity_hostname(dev.platform)),
        )
    ]
