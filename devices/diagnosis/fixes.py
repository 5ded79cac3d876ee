"""Suggested commands per platform; lines starting with `!` are remarks the device would ignore.

Commands are plain strings, shown as the device takes them; remarks are Phrases, shown in the reader's
language (devices/diagnosis/wording.py).
"""

from __future__ import annotations

from devices.diagnosis.model import Phrase
from devices.diagnosis.text import ASA, IOS, PIX
from vpnportal.translated_text import deferred


def _pki(platform: str, version: str | None) -> str:
    """`pki` on IOS 12.3(7)T and later, `ca` on older IOS (the command matrix, docs/contracts.md §1)."""
    if platform == IOS and version and version.split(".")[0].isdigit() and int(version.split(".")[0]) >= 15:
        return "pki"
    return "ca"


def identity_hostname(platform: str) -> list[str]:
    """Make IKE identify the device by the FQDN its certificate carries."""
    if platform == PIX:
        return ["isakmp identity hostname"]
    if platform == ASA:
        return ["crypto isakmp identity auto"]
    return ["crypto isakmp identity hostname"]


def set_clock(platform: str, ntp_hint: str = "<ntp-server>") -> list[str]:
    """Set the clock now and keep it right with NTP."""
    if platform == PIX:
        return ["clock set <hh:mm:ss> <month> <day> <year>", f"ntp server {ntp_hint} source inside"]
    if platform == ASA:
        return ["clock set <hh:mm:ss> <month> <day> <year>", f"ntp server {ntp_hint}"]
    return ["clock set <hh:mm:ss> <month> <day> <year>", f"ntp server {ntp_hint}"]


def crl_request(platform: str, trustpoint: str, version: str | None = None) -> list[str]:
    """Fetch a fresh CRL from the CA."""
    if platform == PIX:
        return [f"ca crl request {trustpoint}", "ca save all"]
    if platform == ASA:
        return [f"crypto ca crl request {trustpoint}"]
    return [f"crypto {_pki(platform, version)} crl request {trustpoint}"]


def crl_optional(platform: str, trustpoint: str, version: str | None = None) -> list[str]:
    """Accept peers' certificates when no CRL can be had (the guide's `crl optional`)."""
    if platform == PIX:
        return [f"ca configure {trustpoint} ra <retry-period> <retry-count> crloptional"]
    if platform == ASA:
        return [f"crypto ca trustpoint {trustpoint}", " revocation-check crl none"]
    if _pki(platform, version) == "pki":
        return [f"crypto pki trustpoint {trustpoint}", " revocation-check crl none"]
    return [f"crypto ca identity {trustpoint}", " crl optional"]


def enroll(platform: str, trustpoint: str, version: str | None = None, form: str = "") -> list[str]:
    """Request a new certificate for the device's current key (form: the pki/ca form the device speaks)."""
    if platform == PIX:
        return [f"ca enroll {trustpoint} <challenge-password>", "ca save all"]
    if platform == ASA:
        return [f"crypto ca enroll {trustpoint}", "write memory"]
    return [f"crypto {form or _pki(platform, version)} enroll {trustpoint}", "write memory"]


def authenticate(platform: str, trustpoint: str, version: str | None = None) -> list[str]:
    """Fetch the CA and RA certificates again."""
    if platform == PIX:
        return [f"ca authenticate {trustpoint}", "ca save all"]
    if platform == ASA:
        return [f"crypto ca authenticate {trustpoint}"]
    return [f"crypto {_pki(platform, version)} authenticate {trustpoint}"]


def generate_key(platform: str, label: str) -> list[str]:
    """A 2048-bit RSA key; the certificate must be enrolled again for it."""
    if platform == PIX:
        return [
            Phrase(deferred("! PIX 6.0 generates at most 1024-bit keys: upgrade to 6.3 (2048) or ASA first")),
            "ca generate rsa key 2048",
            "ca save all",
        ]
    if platform == ASA:
        return [f"crypto key generate rsa label {label} modulus 2048"]
    return [f"crypto key generate rsa general-keys label {label} modulus 2048"]


def ike_policy(platform: str, priority: int | None, param: str) -> list[str]:
    """The modern value of one IKE policy parameter."""
    prio = priority if priority is not None else 10
    values = {"encryption": "aes 256", "hash": "sha256", "group": "14"}
    if platform == PIX:
        pix = {"encryption": "aes-256", "hash": "sha", "group": "5"}
        note = Phrase(
            deferred("! PIX 6.3 offers AES but no SHA-256 nor DH group 14: migrate to ASA for those")
        )
        return [note, f"isakmp policy {prio} {param} {pix[param]}"]
    if platform == ASA:
        if param == "hash":
            return [
                Phrase(deferred("! IKEv1 on ASA stops at SHA-1: move the tunnel to IKEv2")),
                f"crypto ikev2 policy {prio}",
                " encryption aes-256",
                " integrity sha256",
                " group 14",
                " prf sha256",
            ]
        asa = {"encryption": "aes-256", "group": "14"}
        return [f"crypto ikev1 policy {prio}", f" {param} {asa[param]}"]
    word = {"encryption": "encryption", "hash": "hash", "group": "group"}[param]
    return [
        Phrase(
            deferred("! IOS before 12.2(13)T has no AES, before 15.x no SHA-256 nor group 14: upgrade first")
        ),
        f"crypto isakmp policy {prio}",
        f" {word} {values[param]}",
    ]


def transform_set(platform: str, name: str) -> list[str]:
    """A transform set with AES-256 and SHA-256 (SHA-1 where the platform has nothing better)."""
    if platform == PIX:
        return [
            Phrase(deferred("! PIX 6.3: esp-aes-256 esp-sha-hmac is the best it has")),
            f"crypto ipsec transform-set {name} esp-aes-256 esp-sha-hmac",
        ]
    if platform == ASA:
        return [
            f"crypto ipsec ikev2 ipsec-proposal {name}",
            " protocol esp encryption aes-256",
            " protocol esp integrity sha-256",
        ]
    return [f"crypto ipsec transform-set {name} esp-aes 256 esp-sha256-hmac"]


def ssh_only(platform: str, telnet_lines: list[str]) -> list[str]:
    """Management over SSH only."""
    if platform in (PIX, ASA):
        out = [f"no {line.strip()}" for line in telnet_lines if line.strip().startswith("telnet ")]
        out.append("ssh <management-network> <mask> inside")
        if platform == PIX:
            out.insert(
                0,
                Phrase(
                    deferred(
                        "! PIX 6 speaks SSHv1 only: restrict it to the management network, plan the move to ASA"
                    )
                ),
            )
        return out
    return [
        "crypto key generate rsa general-keys modulus 2048",
        "ip ssh version 2",
        "line vty 0 15",
        " transport input ssh",
        " login local",
    ]


def ipsec_lifetime(platform: str, seconds: int) -> list[str]:
    """The global IPsec SA lifetime."""
    return [f"crypto ipsec security-association lifetime seconds {seconds}"]


def set_peer(platform: str, crypto_map: str, seq: int | None, address: str) -> list[str]:
    """Point a crypto map entry at the other end."""
    if platform == IOS:
        return [f"crypto map {crypto_map} {seq} ipsec-isakmp", f" set peer {address}"]
    return [f"crypto map {crypto_map} {seq} set peer {address}"]
