"""Decode the hex of `crypto ca|pki certificate chain` blocks as DER X.509 and verify them (pure, no Django)."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

CHAIN_ROLES = {
    "": "identity",
    "ca": "ca",
    "ra-sign": "ra_signature",
    "ra-encrypt": "ra_encryption",
    "ra-general": "ra_signature",
    "self-signed": "identity",
    "rollover": "identity",
}

# Short names as IOS prints them (`hostname=` for unstructuredName, `ea=` for emailAddress).
_SHORT_NAMES = {
    NameOID.COMMON_NAME: "CN",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.COUNTRY_NAME: "C",
    NameOID.LOCALITY_NAME: "L",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.DOMAIN_COMPONENT: "DC",
    NameOID.EMAIL_ADDRESS: "EA",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.UNSTRUCTURED_NAME: "hostname",
    NameOID.STREET_ADDRESS: "street",
    NameOID.USER_ID: "UID",
}
_UNSTRUCTURED_ADDRESS = x509.ObjectIdentifier("1.2.840.113549.1.9.8")
_HEX_WORD = re.compile(r"^[0-9A-Fa-f]+$")


def hex_to_der(hex_text: str) -> bytes:
    """Join the hex words IOS prints (eight to a line) into DER bytes; ValueError if not hex."""
    words = hex_text.split()
    if not words or not all(_HEX_WORD.match(word) for word in words):
        raise ValueError("not hex")
    joined = "".join(words)
    if len(joined) % 2:
        raise ValueError(f"odd number of hex digits ({len(joined)})")
    return bytes.fromhex(joined)


def display_name(name: x509.Name) -> str:
    """A Name in Cisco's display order and the contract's form: `OU=sjvpn, O=cisco, C=us`."""
    parts: list[str] = []
    for rdn in reversed(list(name.rdns)):
        for attribute in rdn:
            oid = attribute.oid
            label = _SHORT_NAMES.get(oid) or (
                "ipaddress" if oid == _UNSTRUCTURED_ADDRESS else oid.dotted_string
            )
            value = attribute.value if isinstance(attribute.value, str) else attribute.value.hex()
            parts.append(f"{label}={value}")
    return ", ".join(parts)


def _verify(cert: x509.Certificate, issuer: x509.Certificate) -> tuple[bool, str | None]:
    """Check that `issuer` signed cert, with the scheme the certificate names; (valid, reason when not).

    The scheme and its parameters come from the certificate's signature algorithm: RSA PKCS#1 v1.5 or
    PSS (its own hash, MGF and salt length), ECDSA, Ed25519, Ed448, DSA. `verify_directly_issued_by`
    would do the same but refuses SHA-1, and the CAs of IOS 12.2 and PIX 6 sign with SHA-1 or MD5."""
    if cert.issuer != issuer.subject:
        return False, (
            f"issued by {display_name(cert.issuer) or 'an empty name'}, "
            f"not by the CA certificate's subject {display_name(issuer.subject) or '(empty)'}"
        )
    signature, tbs = cert.signature, cert.tbs_certificate_bytes
    try:
        key = issuer.public_key()
        parameters = cert.signature_algorithm_parameters
        algorithm = cert.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey):
            if not isinstance(parameters, padding.PSS | padding.PKCS1v15) or algorithm is None:
                return False, f"cannot verify: an RSA key with {cert.signature_algorithm_oid.dotted_string}"
            key.verify(signature, tbs, parameters, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if not isinstance(parameters, ec.ECDSA):
                return False, f"cannot verify: an EC key with {cert.signature_algorithm_oid.dotted_string}"
            key.verify(signature, tbs, parameters)
        elif isinstance(key, dsa.DSAPublicKey):
            if algorithm is None:
                return False, f"cannot verify: a DSA key with {cert.signature_algorithm_oid.dotted_string}"
            key.verify(signature, tbs, algorithm)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, tbs)
        else:
            return False, "cannot verify: unsupported key type"
    except InvalidSignature:
        return False, "signature does not verify against the CA certificate's key"
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        # A key of one type with a signature of another, or an algorithm this OpenSSL does not offer.
        return False, f"cannot verify: {exc}"
    return True, None


def key_bits(key: Any) -> int | None:
    """The key size in bits of a public key, when it has one."""
    size = getattr(key, "key_size", None)
    return int(size) if isinstance(size, int) else None


def describe_certificate(der: bytes) -> tuple[dict[str, Any], x509.Certificate]:
    """Decode one DER certificate into the contract's fields (signature_valid left to the caller)."""
    cert = x509.load_der_x509_certificate(der)
    try:
        algorithm_name = cert.signature_algorithm_oid._name
    except AttributeError:  # pragma: no cover - every supported version has it
        algorithm_name = cert.signature_algorithm_oid.dotted_string
    try:
        public_key = cert.public_key()
        bits = key_bits(public_key)
    except (ValueError, UnsupportedAlgorithm):
        public_key, bits = None, None
    sans: list[str] = []
    with contextlib.suppress(x509.ExtensionNotFound, ValueError):  # no SAN, or one cryptography can't read
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        sans = [str(getattr(general, "value", general)) for general in extension.value]
    info = {
        "serial": format(cert.serial_number, "X") if cert.serial_number >= 0 else None,
        "subject": display_name(cert.subject),
        "issuer": display_name(cert.issuer),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "key_bits": bits,
        "signature_algorithm": algorithm_name,
        "subject_alt_names": sans,
        "fingerprint_sha1": cert.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303 - display only
        "self_signed": cert.subject == cert.issuer,
    }
    return info, cert


def decode_chain(trustpoint: str, entries: list[tuple[str, str, str]]) -> tuple[dict[str, Any], list[str]]:
    """Decode a chain's (role keyword, serial, hex) entries and verify each against the chain's CA.

    1. Each entry's hex is decoded as DER; a failure is reported on the entry (`error`), never raised.
    2. The CA certificate (`certificate ca ...`) verifies itself and every other certificate.
    3. `signature_valid` is True/False, or None when the chain holds no usable CA certificate.
    """
    warnings: list[str] = []
    decoded: list[tuple[dict[str, Any], x509.Certificate | None]] = []
    for keyword, serial, hex_text in entries:
        role = CHAIN_ROLES.get(keyword.lower(), "identity")
        record: dict[str, Any] = {
            "serial": serial.upper() or None,
            "role": role,
            "subject": None,
            "issuer": None,
            "not_before": None,
            "not_after": None,
            "key_bits": None,
            "signature_algorithm": None,
            "signature_valid": None,
        }
        cert: x509.Certificate | None = None
        try:
            info, cert = describe_certificate(hex_to_der(hex_text))
            if info["serial"] and serial and info["serial"] != serial.upper().lstrip("0"):
                warnings.append(f"chain {trustpoint}: certificate {serial} holds serial {info['serial']}")
            info["serial"] = serial.upper() or info["serial"]
            record.update(info)
        except ValueError as exc:
            record["error"] = f"cannot decode certificate: {exc}"
            warnings.append(f"chain {trustpoint}: certificate {serial}: {record['error']}")
        decoded.append((record, cert))
    ca_cert = next((cert for record, cert in decoded if record["role"] == "ca" and cert is not None), None)
    if ca_cert is not None:
        try:
            ca_cert.public_key()
        except (ValueError, UnsupportedAlgorithm):
            ca_cert = None  # a CA key cryptography cannot load verifies nothing: signature_valid stays None
    for record, cert in decoded:
        if cert is None or ca_cert is None:
            continue
        valid, reason = _verify(cert, ca_cert)
        record["signature_valid"] = valid
        if not valid:
            # Decoded whole and read: a fact about the certificate (signature_valid), not a parse warning.
            record["signature_error"] = reason
    return {"trustpoint": trustpoint, "certificates": [record for record, _ in decoded]}, warnings


def public_key_der(hex_text: str) -> bytes:
    """DER SubjectPublicKeyInfo from `show crypto key mypubkey rsa` Key Data hex."""
    return hex_to_der(hex_text)


def public_key_matches(key_hex: str, certificate_hex: str) -> bool | None:
    """True if the device key (mypubkey hex) is the certificate's key; None when either cannot be read."""
    try:
        device_key = serialization.load_der_public_key(public_key_der(key_hex))
        cert = x509.load_der_x509_certificate(hex_to_der(certificate_hex))
        cert_key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return None
    encoding, fmt = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return bool(device_key.public_bytes(encoding, fmt) == cert_key.public_bytes(encoding, fmt))
