"""What the diagnosis rules read (one device's outputs) and what they return (findings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# One severity scale for findings and alerts, with its rank.
from vpnportal.choices import Severity as Severity
from vpnportal.translated_text import StoredText, english

# Logical kinds of a poll's outputs (devices.commands names them the same way).
CONFIG = "config"
CERTIFICATES = "certificates"
CRLS = "crls"
CLOCK = "clock"
IKE = "ike"
IPSEC = "ipsec"
KEYS = "keys"


class Code:
    """Finding codes; docs/diagnosis.md has one section per code."""

    ISAKMP_IDENTITY_ADDRESS = "isakmp_identity_address"
    CLOCK_OUTSIDE_CERT = "clock_outside_cert_validity"
    CLOCK_OUTSIDE_CRL = "clock_outside_crl_validity"
    CRL_MISSING = "crl_missing"
    ENROLLMENT_STUCK = "enrollment_stuck"
    CA_UNREACHABLE = "ca_unreachable"
    ACL_NOT_MIRRORED = "crypto_acl_not_mirrored"
    NO_COMMON_TRANSFORM = "no_common_transform_set"
    NO_COMMON_IKE_POLICY = "no_common_ike_policy"
    LIFETIME_MISMATCH = "ipsec_lifetime_mismatch"
    PEER_ADDRESS_MISMATCH = "peer_address_mismatch"
    WEAK_CIPHER = "weak_cipher"
    WEAK_HASH = "weak_hash"
    WEAK_DH_GROUP = "weak_dh_group"
    WEAK_RSA_KEY = "weak_rsa_key"
    WEAK_CERT_SIGNATURE = "weak_certificate_signature"
    CERT_SIGNATURE_INVALID = "certificate_signature_invalid"
    KEY_CERT_MISMATCH = "device_key_certificate_mismatch"
    CLEARTEXT_MANAGEMENT = "cleartext_management"

    # The hygiene codes: what the weak_crypto alert is made of.
    HYGIENE = frozenset({WEAK_CIPHER, WEAK_HASH, WEAK_DH_GROUP, WEAK_RSA_KEY, WEAK_CERT_SIGNATURE})


class Phrase(str):
    """Text for people, in English, that keeps its deferred form (vpnportal/translated_text.py).

    A rule writes `Phrase(deferred("... %(name)s ...", name=...))` where it wrote an English string: the
    finding's title, or a remark among its evidence or fix lines. It reads, compares and joins as that
    English text; storing the finding keeps `stored` too, so a page shows it in the reader's language.
    Device lines and commands stay plain strings: they are shown as the device takes them.
    """

    stored: StoredText

    def __new__(cls, stored: StoredText) -> Phrase:
        text = super().__new__(cls, english(stored))
        text.stored = stored
        return text

    def __reduce__(self) -> tuple[type[Phrase], tuple[StoredText]]:
        return (Phrase, (self.stored,))


def deferred_form(text: str) -> StoredText | None:
    """The deferred form a text carries (a Phrase), None for a device line, a command or a plain string."""
    return text.stored if isinstance(text, Phrase) else None


@dataclass(frozen=True)
class Finding:
    """One problem found in the outputs: what, how bad, the lines that show it, and the commands that fix it.

    The title, and the remarks among the evidence and fix lines, are Phrases (English that keeps its
    deferred form); see devices.diagnosis.stored for how they are kept and shown."""

    code: str
    severity: str
    title: str
    subject: str
    evidence: tuple[str, ...] = ()
    fix: tuple[str, ...] = ()
    # For a pair finding, the device whose configuration the fix applies to ("" for either/both).
    device: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The finding as plain JSON-ready data."""
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.title,
            "subject": self.subject,
            "evidence": list(self.evidence),
            "fix": list(self.fix),
            "device": self.device,
        }


@dataclass
class DeviceOutputs:
    """One device's latest outputs: parsed results and raw text by logical kind, and the command texts."""

    name: str
    platform: str
    parsed: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)
    # How vpnportal itself logs in (ssh | telnet): telnet is clear-text management whatever the config says.
    transport: str = "ssh"

    def get(self, kind: str) -> dict[str, Any]:
        """The parsed result of a kind ({} when it was not collected or failed)."""
        result = self.parsed.get(kind) or {}
        return {} if result.get("error") else result

    def command(self, kind: str) -> str:
        """The command that produced a kind, for evidence labels."""
        return self.commands.get(kind) or kind

    def quote(self, kind: str, line: str) -> str:
        """An evidence line: the command, then the line as the device printed it."""
        return f"{self.command(kind)}: {line.strip()}"

    def lines(self, kind: str) -> list[str]:
        """The raw output of a kind, line by line."""
        return self.raw.get(kind, "").replace("\r\n", "\n").split("\n")

    def find_lines(self, kind: str, *needles: str) -> list[str]:
        """Lines of a raw output that contain any needle (case-insensitive), quoted as evidence."""
        lowered = [n.lower() for n in needles]
        return [
            self.quote(kind, line) for line in self.lines(kind) if any(n in line.lower() for n in lowered)
        ]
