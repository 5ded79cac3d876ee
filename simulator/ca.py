"""A real certificate authority for the simulated devices, kept in the state folder.

The seed's CA key is unknown, so the simulator's CA for the seed personas reuses the seed CA's name,
serial (3B2FD307) and validity with a key of its own: certificates granted by a simulated enrollment
verify against the CA certificate the device then holds. cryptography >= 42 refuses RSA keys under
1,024 bits and SHA-1 signatures, so granted certificates are RSA-1024/2048 with sha256WithRSA.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

SEED_CA_SERIAL = 0x3B2FD307
SEED_CA_NOT_BEFORE = datetime(2001, 6, 19, 22, 2, 40, tzinfo=UTC)
SEED_CA_NOT_AFTER = datetime(2021, 6, 19, 22, 32, 40, tzinfo=UTC)


def _name(parts: list[tuple[str, str]]) -> x509.Name:
    """Build a Name from (attribute, value) pairs in DER order (C first, as the seed's CA does)."""
    oids = {
        "C": NameOID.COUNTRY_NAME,
        "O": NameOID.ORGANIZATION_NAME,
        "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
        "CN": NameOID.COMMON_NAME,
        "unstructuredName": x509.ObjectIdentifier("1.2.840.113549.1.9.2"),
        "serialNumber": NameOID.SERIAL_NUMBER,
    }
    attrs = []
    for key, value in parts:
        if key == "unstructuredName":
            # PKCS#9 unstructuredName is an IA5String, as the seed's router certificate shows.
            attrs.append(x509.NameAttribute(oids[key], value, _type=x509.name._ASN1Type.IA5String))
        else:
            attrs.append(x509.NameAttribute(oids[key], value))
    return x509.Name(attrs)


def load_or_create_key(path: Path, bits: int = 2048) -> rsa.RSAPrivateKey:
    """Read an RSA key from `path`, generating and saving it (mode 0600) the first time."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    tmp.chmod(0o600)
    tmp.replace(path)
    return key


@dataclass(frozen=True)
class CaProfile:
    """Which CA: its name, serial and validity."""

    name: str
    subject: tuple[tuple[str, str], ...]
    serial: int
    not_before: datetime
    not_after: datetime
    key_bits: int = 1024


SEED_PROFILE = CaProfile(
    name="seed",
    subject=(("C", "us"), ("O", "cisco"), ("OU", "sjvpn")),
    serial=SEED_CA_SERIAL,
    not_before=SEED_CA_NOT_BEFORE,
    not_after=SEED_CA_NOT_AFTER,
    key_bits=1024,
)


def modern_profile(now: datetime) -> CaProfile:
    """A CA valid around the simulated now: the modern personas' issuing CA."""
    year = now.year
    return CaProfile(
        name="modern",
        subject=(("C", "us"), ("O", "vpnportal-sim"), ("CN", "vpnportal-sim-ca")),
        serial=0x1A2B3C01,
        not_before=datetime(year - 2, 1, 1, tzinfo=UTC),
        not_after=datetime(year + 18, 1, 1, tzinfo=UTC),
        key_bits=2048,
    )


class SimCA:
    """A CA whose key lives in `<state>/ca/<profile>.key`; it signs the devices' certificates."""

    def __init__(self, state_dir: Path, profile: CaProfile) -> None:
        self.profile = profile
        self._lock = threading.Lock()
        folder = state_dir / "ca"
        self.key = load_or_create_key(folder / f"{profile.name}.key", profile.key_bits)
        cert_path = folder / f"{profile.name}.pem"
        cert = None
        if cert_path.exists():
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            pub = cert.public_key()
            if (
                not isinstance(pub, rsa.RSAPublicKey)
                or pub.public_numbers() != self.key.public_key().public_numbers()
            ):
                cert = None
        if cert is None:
            cert = self._self_sign()
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.certificate = cert
        self._serial_path = folder / f"{profile.name}.serial"

    def _self_sign(self) -> x509.Certificate:
        name = _name(list(self.profile.subject))
        ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(self.profile.serial)
            .not_valid_before(self.profile.not_before)
            .not_valid_after(self.profile.not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=False,
            )
            .add_extension(ski, critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def next_serial(self, hint: str) -> int:
        """A fresh serial, persisted so restarts never reuse one (seed-like 3B2Fxxxx style)."""
        with self._lock:
            current = int(self._serial_path.read_text()) if self._serial_path.exists() else None
            if current is None:
                base = int.from_bytes(hashlib.sha256(hint.encode()).digest()[:2], "big")
                current = 0x3B300000 + base * 16
            current += 1
            self._serial_path.write_text(str(current))
            return current

    def issue(
        self,
        *,
        fqdn: str,
        public_key: rsa.RSAPublicKey,
        not_before: datetime,
        not_after: datetime,
        serial: int,
        ip_address: str | None = None,
        device_serial: str | None = None,
    ) -> x509.Certificate:
        """Sign a device certificate as the seed's CA did: the FQDN as unstructuredName and dNSName."""
        import ipaddress

        parts: list[tuple[str, str]] = [(k, v) for k, v in self.profile.subject if k != "CN"]
        parts.append(("unstructuredName", fqdn))
        if device_serial:
            parts.append(("serialNumber", device_serial))
        san: list[x509.GeneralName] = [x509.DNSName(fqdn)]
        if ip_address:
            san.append(x509.IPAddress(ipaddress.ip_address(ip_address)))
        crl_dp = x509.CRLDistributionPoints(
            [
                x509.DistributionPoint(
                    full_name=[
                        x509.DirectoryName(
                            _name([("C", "us"), ("O", "cisco"), ("OU", "sjvpn"), ("CN", "CRL1")])
                        )
                    ],
                    relative_name=None,
                    reasons=None,
                    crl_issuer=None,
                )
            ]
        )
        return (
            x509.CertificateBuilder()
            .subject_name(_name(parts))
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(serial)
            .not_valid_before(not_before.astimezone(UTC).replace(microsecond=0))
            .not_valid_after(not_after.astimezone(UTC).replace(microsecond=0))
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=True,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=False,
            )
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(crl_dp, critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def verify(self, cert: x509.Certificate) -> bool:
        """Whether `cert` carries this CA's signature."""
        try:
            cert.verify_directly_issued_by(self.certificate)
        except Exception:
            return False
        return True


def der_hex_lines(der: bytes, upper: bool = True, words_per_line: int = 8, indent: str = "    ") -> list[str]:
    """IOS/ASA `certificate` hex: eight 4-byte words a line."""
    text = der.hex()
    if upper:
        text = text.upper()
    words = [text[i : i + 8] for i in range(0, len(text), 8)]
    return [indent + " ".join(words[i : i + words_per_line]) for i in range(0, len(words), words_per_line)]


def md5_fingerprint(data: bytes, upper: bool = True) -> str:
    """A request fingerprint as the devices print it: four 8-hex-digit words."""
    digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if upper:
        digest = digest.upper()
    return " ".join(digest[i : i + 8] for i in range(0, 32, 8))
