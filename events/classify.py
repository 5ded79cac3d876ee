"""What a Cisco syslog message means: its kind and the peer addresses and SPIs it names (pure, no Django).

The table of recognised messages is docs/syslog.md; the kinds are `events.choices.EventKind` (the same
strings; tests/events/test_classify.py holds both). Anything not recognised is `unclassified`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from events.syslog_format import SyslogMessage

_IPV4 = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}"
_IPV4_RE = re.compile(rf"(?<![\d.]){_IPV4}(?![\d])")
_SPI_RE = re.compile(r"spi\s*=?\s*(0x[0-9a-f]{1,8})", re.I)


@dataclass(frozen=True)
class Classification:
    """A message's kind, the peer addresses it names (most likely first) and the SPIs it names."""

    kind: str
    peers: tuple[str, ...] = ()
    spis: tuple[int, ...] = ()


def addresses(text: str) -> list[str]:
    """Every IPv4 address in the text, each once, in order."""
    return list(dict.fromkeys(_IPV4_RE.findall(text)))


def spis(text: str) -> tuple[int, ...]:
    """Every SPI the text names (`SPI= 0x1234ABCD`, `spi=0x...`, `sa_spi= 0x...(4660)`)."""
    return tuple(dict.fromkeys(int(v, 16) for v in _SPI_RE.findall(text)))


def _first(pattern: str, text: str) -> list[str]:
    m = re.search(pattern, text, re.I)
    return [m.group(1)] if m else []


def _peers(text: str, *patterns: str) -> tuple[str, ...]:
    preferred: list[str] = []
    for pattern in patterns:
        preferred += _first(pattern, text)
    return tuple(dict.fromkeys(preferred + addresses(text)))


def _session_status(msg: SyslogMessage) -> str:
    m = re.search(r"tunnel(?:\s+v\d)?\s+is\s+(UP|DOWN)", msg.text, re.I)
    if not m:
        return "unclassified"
    return "tunnel_up" if m.group(1).upper() == "UP" else "tunnel_down"


def _pki(msg: SyslogMessage) -> str:
    code, text = msg.code.upper(), msg.text.lower()
    if "CRL" in code or "crl" in text:
        if "FAIL" in code or re.search(r"fail|unable|could not|error", text):
            return "crl_fetch_failed"
        return "pki"
    if "EXPIR" in code or "expire" in text:
        if "WARN" in code or "will expire" in text or "expires soon" in text or "about to expire" in text:
            return "cert_expiring"
        return "cert_expired"
    if (
        code in ("CERTRET", "CERT_INSTALL", "CERTRENEWAUTO_OK")
        or "received from certificate authority" in text
    ):
        return "cert_granted"
    if re.search(r"ENROLL|CERTREQ|CSR|PENDING|RENEW|CERTRETFAIL", code):
        return "cert_enrollment"
    return "pki"


def _asa_pki(msg: SyslogMessage) -> str:
    text = msg.text.lower()
    if "crl" in text and re.search(r"fail|unable|could not|error|too many", text):
        return "crl_fetch_failed"
    if "expired" in text:
        return "cert_expired"
    if msg.code == "717003":
        return "cert_granted"
    if msg.code in ("717002", "717001"):
        return "cert_enrollment"
    return "pki"


# IOS mnemonics (FACILITY-MNEMONIC, severity left out: devices differ in the level they log at).
_IOS: dict[str, Callable[[SyslogMessage], str]] = {
    "CRYPTO-SESSION_STATUS": _session_status,
    "CRYPTO-IKMP_NO_SA": lambda m: "ike_failure",
    "CRYPTO-IKMP_MODE_FAILURE": lambda m: "ike_failure",
    "CRYPTO-RECVD_PKT_INV_SPI": lambda m: "invalid_spi",
    "CRYPTO-PKT_REPLAY_ERR": lambda m: "replay_error",
    "CRYPTO-IKMP_INVAL_CERT": lambda m: "cert_invalid",
    "SYS-RESTART": lambda m: "restart",
    "SYS-RELOAD": lambda m: "restart",
    "SYS-CLOCKUPDATE": lambda m: "clock_update",
}
# ASA and PIX message ids.
_ASA: dict[str, Callable[[SyslogMessage], str]] = {
    "602301": lambda m: "sa_created",  # PIX 6: sa created
    "602302": lambda m: "sa_deleted",  # PIX 6: deleting SA
    "602303": lambda m: "sa_created",
    "602304": lambda m: "sa_deleted",
    "713119": lambda m: "phase1_up",
    "713120": lambda m: "tunnel_up",
    "713259": lambda m: "tunnel_down",  # session is being torn down, with its reason
    "113019": lambda m: "tunnel_down",  # session disconnected, with its reason
    "199005": lambda m: "restart",  # reload requested
}


def classify(msg: SyslogMessage) -> Classification:
    """The kind of one parsed message and the peers and SPIs it names (see docs/syslog.md)."""
    kind = "unclassified"
    if msg.facility in ("ASA", "PIX", "FWSM"):
        rule = _ASA.get(msg.code)
        if rule is not None:
            kind = rule(msg)
        elif msg.code.startswith("717"):
            kind = _asa_pki(msg)
    elif msg.facility == "PKI":
        kind = _pki(msg)
    elif msg.mnemonic:
        rule = _IOS.get(f"{msg.facility}-{msg.code}")
        if rule is not None:
            kind = rule(msg)
    if kind == "unclassified":
        return Classification(kind)
    text = msg.text
    peers = _peers(
        text,
        rf"Peer\s+({_IPV4})",
        rf"\bIP\s*=\s*({_IPV4})",
        rf"srcaddr=({_IPV4})",
        rf"peer at\s+({_IPV4})",
        rf"from\s+({_IPV4})",
        rf"between\s+{_IPV4}\s+and\s+({_IPV4})",
    )
    return Classification(kind, peers, spis(text))
