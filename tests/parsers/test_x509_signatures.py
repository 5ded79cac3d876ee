"""Certificate signatures verify for every algorithm cryptography verifies, as IOS prints the chain."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from devices.parsers.config import parse_running_config
from pki.x509 import decode_chain

NOW = datetime(2026, 3, 1, tzinfo=UTC)
CA_NAME = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "sjvpn")])
ROUTER_NAME = x509.Name([x509.NameAttribute(NameOID.UNSTRUCTURED_NAME, "1720-1.cisco.com")])

# (key maker, the sign() arguments that go with it) per signature scheme.
Scheme = tuple[Callable[[], Any], dict[str, Any]]
SCHEMES: dict[str, Scheme] = {
    "rsa-pkcs1v15": (lambda: rsa.generate_private_key(65537, 2048), {"algorithm": hashes.SHA256()}),
    "rsa-pss": (
        lambda: rsa.generate_private_key(65537, 2048),
        {
            "algorithm": hashes.SHA256(),
            "rsa_padding": padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH),
        },
    ),
    "ecdsa-p256": (lambda: ec.generate_private_key(ec.SECP256R1()), {"algorithm": hashes.SHA256()}),
    "ecdsa-p384": (lambda: ec.generate_private_key(ec.SECP384R1()), {"algorithm": hashes.SHA384()}),
    "ed25519": (ed25519.Ed25519PrivateKey.generate, {"algorithm": None}),
    "ed448": (ed448.Ed448PrivateKey.generate, {"algorithm": None}),
    "dsa": (lambda: dsa.generate_private_key(2048), {"algorithm": hashes.SHA256()}),
}


def certificate(
    subject: x509.Name, issuer: x509.Name, key: Any, signer: Any, sign: dict[str, Any], serial: int
) -> bytes:
    """DER of a certificate of `key` for `subject`, signed by `signer` as `issuer`."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
    )
    return builder.sign(signer, **sign).public_bytes(serialization.Encoding.DER)


def ios_hex(der: bytes) -> str:
    """DER as IOS prints it in the running configuration: 4-byte words, eight to a line."""
    words = [der[i : i + 4].hex().upper() for i in range(0, len(der), 4)]
    return "\n".join("    " + " ".join(words[i : i + 8]) for i in range(0, len(words), 8))


@functools.cache
def key(scheme: str, number: int) -> Any:
    """The scheme's key number `number`, made once per run (RSA and DSA generation is slow)."""
    return SCHEMES[scheme][0]()


def chain(scheme: str, *, wrong_key: bool = False, tamper: bool = False) -> dict[int, bytes]:
    """A CA (serial 1) and a router certificate (serial 2) signed with `scheme`, by serial."""
    sign = SCHEMES[scheme][1]
    ca_key, router_key = key(scheme, 0), key(scheme, 1)
    ca = certificate(CA_NAME, CA_NAME, ca_key, ca_key, sign, 1)
    # A CA of the same name with another key: the router certificate names the CA but was not signed by it.
    signer = key(scheme, 2) if wrong_key else ca_key
    router = certificate(ROUTER_NAME, CA_NAME, router_key, signer, sign, 2)
    if tamper:
        # One byte of the signed part changed (inside the subject name): the signature no longer covers it.
        at = router.index(b"1720-1")
        router = router[:at] + b"7" + router[at + 1 :]
    return {1: ca, 2: router}


def running_config(certs: dict[int, bytes]) -> str:
    """A running configuration holding the chain the way `show running-config` prints it."""
    return (
        "hostname 1720-1\n!\n"
        "crypto pki certificate chain vpn\n"
        f" certificate {2:02X}\n{ios_hex(certs[2])}\n  quit\n"
        f" certificate ca {1:02X}\n{ios_hex(certs[1])}\n  quit\n"
        "!\nend\n"
    )


def entries(certs: dict[int, bytes]) -> list[tuple[str, str, str]]:
    return [("", "02", ios_hex(certs[2])), ("ca", "01", ios_hex(certs[1]))]


def by_serial(parsed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["serial"]: c for c in parsed["certificates"]}


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_a_good_chain_verifies_through_the_config_parser(scheme: str) -> None:
    result = parse_running_config(running_config(chain(scheme)))
    (parsed,) = result["certificate_chains"]
    certs = by_serial(parsed)
    assert certs["01"]["signature_valid"] is True, certs["01"].get("signature_error")  # self-signed CA
    assert certs["02"]["signature_valid"] is True, certs["02"].get("signature_error")
    assert not [w for w in result["warnings"] if "verif" in w]


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_a_good_chain_verifies_through_decode_chain(scheme: str) -> None:
    parsed, warnings = decode_chain("vpn", entries(chain(scheme)))
    assert [c["signature_valid"] for c in parsed["certificates"]] == [True, True]
    assert warnings == []


def test_the_rsa_pss_chain_names_its_algorithm() -> None:
    parsed, _ = decode_chain("vpn", entries(chain("rsa-pss")))
    assert {c["signature_algorithm"] for c in parsed["certificates"]} == {"rsassaPss"}


@pytest.mark.parametrize("scheme", ["rsa-pkcs1v15", "rsa-pss", "ecdsa-p256", "ed25519"])
def test_a_certificate_signed_by_another_key_does_not_verify(scheme: str) -> None:
    result = parse_running_config(running_config(chain(scheme, wrong_key=True)))
    certs = by_serial(result["certificate_chains"][0])
    assert certs["01"]["signature_valid"] is True
    assert certs["02"]["signature_valid"] is False
    assert certs["02"]["signature_error"] == "signature does not verify against the CA certificate's key"
    # Decoded and read whole: the failed signature is on the record, not a parse warning.
    assert result["warnings"] == []


@pytest.mark.parametrize("scheme", ["rsa-pkcs1v15", "rsa-pss", "ecdsa-p384", "ed448"])
def test_a_tampered_certificate_does_not_verify(scheme: str) -> None:
    parsed, warnings = decode_chain("vpn", entries(chain(scheme, tamper=True)))
    certs = by_serial(parsed)
    assert certs["02"]["subject"] == "hostname=7720-1.cisco.com"  # still decodes, the signature is wrong
    assert (certs["01"]["signature_valid"], certs["02"]["signature_valid"]) == (True, False)
    assert "does not verify" in certs["02"]["signature_error"] and warnings == []


def test_a_certificate_of_another_issuer_is_not_called_issued_by_the_ca() -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    sign = {"algorithm": hashes.SHA256()}
    other = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "elsewhere")])
    certs = {
        1: certificate(CA_NAME, CA_NAME, ca_key, ca_key, sign, 1),
        2: certificate(ROUTER_NAME, other, ec.generate_private_key(ec.SECP256R1()), ca_key, sign, 2),
    }
    parsed, warnings = decode_chain("vpn", entries(certs))
    router = by_serial(parsed)["02"]
    assert router["signature_valid"] is False
    assert "OU=elsewhere" in router["signature_error"] and warnings == []
