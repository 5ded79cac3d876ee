"""Personas: the seed's 1720-1 and pix520-1, and modern IOS-XE / ASA 9 devices built from an index.

Each kind carries its platform (netmiko name), SSH algorithm profile, prompt style and pager.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from .clock import Zone
from .device import CertEntry, CrlEntry

ALGORITHMS: dict[str, dict[str, list[str]]] = {
    # IOS 12.2(6) and PIX 6.0: SHA-1 DH group 1, ssh-rsa host keys, CBC ciphers, SHA-1/MD5 MACs.
    "legacy": {
        "kex_algs": ["diffie-hellman-group1-sha1"],
        "encryption_algs": ["aes128-cbc", "3des-cbc"],
        "mac_algs": ["hmac-sha1", "hmac-md5"],
        "signature_algs": ["ssh-rsa"],
        "compression_algs": ["none"],
    },
    "modern": {
        "kex_algs": [
            "curve25519-sha256",
            "curve25519-sha256@libssh.org",
            "ecdh-sha2-nistp256",
            "diffie-hellman-group14-sha256",
        ],
        "encryption_algs": ["aes128-ctr", "aes256-ctr", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"],
        "mac_algs": ["hmac-sha2-256", "hmac-sha2-512", "hmac-sha2-256-etm@openssh.com"],
        "signature_algs": ["ssh-ed25519", "rsa-sha2-256", "rsa-sha2-512"],
        "compression_algs": ["none"],
    },
}


@dataclass(frozen=True)
class Kind:
    """What a persona kind is: platform, algorithms, prompt style, pager, SSH banner."""

    name: str
    platform: str
    algorithms: str
    prompt_space: bool  # PIX/ASA print `host# `, IOS `host#`
    pager: str  # ios | asa | none
    server_version: str
    host_key: str  # rsa | ed25519


KINDS: dict[str, Kind] = {
    "ios122": Kind("ios122", "cisco_ios", "legacy", False, "ios", "Cisco-1.25", "rsa"),
    "ios15": Kind("ios15", "cisco_ios", "modern", False, "ios", "Cisco-1.25", "ed25519"),
    "pix60": Kind("pix60", "cisco_pix", "legacy", True, "none", "Cisco-1.25", "rsa"),
    "asa9": Kind("asa9", "cisco_asa", "modern", True, "asa", "Cisco-1.25", "ed25519"),
}

# The modern personas' demo credentials (user `admin`), documented in docs/simulator.md.
MODERN_PASSWORD = "cisco123"  # noqa: S105

_SEED_CHAIN_FILE = "ios122_running_config.txt"
SEED_ISSUER = [("OU", "sjvpn"), ("O", "cisco"), ("C", "us")]
SEED_RA_SUBJECT = [("CN", "First Officer"), ("OU", "sjvpn"), ("O", "cisco"), ("C", "us")]
SEED_CRL_LAST = datetime(2002, 1, 11, 0, 17, 34, tzinfo=UTC)
SEED_CRL_NEXT = datetime(2002, 1, 12, 1, 17, 34, tzinfo=UTC)


def seed_chain_der() -> dict[int, bytes]:
    """The DER of each certificate in the seed router's `crypto ca certificate chain`, by serial."""
    text = (resources.files("simulator") / "data" / _SEED_CHAIN_FILE).read_text()
    out: dict[int, bytes] = {}
    serial: int | None = None
    hexdata: list[str] = []
    for line in text.splitlines():
        m = re.match(r"^  certificate (?:\S+ )?([0-9A-F]+)$", line)
        if m:
            serial, hexdata = int(m.group(1), 16), []
        elif line == "  quit" and serial is not None:
            out[serial] = bytes.fromhex("".join(hexdata))
            serial = None
        elif serial is not None:
            hexdata.append(line.replace(" ", ""))
    return out


def _seed_ra_and_ca(with_der: bool) -> list[CertEntry]:
    der = seed_chain_der() if with_der else {}
    ra_from = datetime(2001, 6, 19, 22, 3, 31, tzinfo=UTC)
    ra_to = datetime(2004, 6, 19, 22, 33, 31, tzinfo=UTC)
    return [
        CertEntry(
            "ra_signature",
            0x3B2FD319,
            "Available",
            SEED_ISSUER,
            SEED_RA_SUBJECT,
            None,
            ra_from,
            ra_to,
            der.get(0x3B2FD319),
            key_usage="Signature",
        ),
        CertEntry(
            "ra_encryption",
            0x3B2FD318,
            "Available",
            SEED_ISSUER,
            SEED_RA_SUBJECT,
            None,
            ra_from,
            ra_to,
            der.get(0x3B2FD318),
            key_usage="Encryption",
        ),
        CertEntry(
            "ca",
            0x3B2FD307,
            "Available",
            SEED_ISSUER,
            SEED_ISSUER,
            None,
            datetime(2001, 6, 19, 22, 2, 40, tzinfo=UTC),
            datetime(2021, 6, 19, 22, 32, 40, tzinfo=UTC),
            der.get(0x3B2FD307),
        ),
    ]


def _seed_certificates(
    enrolled: bool, serial: int, fqdn: str, valid: tuple[datetime, datetime], with_der: bool
) -> list[CertEntry]:
    """A seed device's certificates: its own (unless not enrolled yet), then the RA pair and the CA."""
    certs: list[CertEntry] = []
    if enrolled:
        der = seed_chain_der()[serial] if with_der else None
        certs.append(CertEntry("identity", serial, "Available", SEED_ISSUER, [], fqdn, *valid, der))
    return certs + _seed_ra_and_ca(with_der=with_der)


def _seed_common() -> dict[str, Any]:
    """What both seed devices share: /28 outside, /24 inside, phase 2 proposal, ACL 130, CA and CRL."""
    return {
        "outside_mask": "255.255.255.240",
        "inside_mask": "255.255.255.0",
        "transform_set": "myset",
        "transforms": "esp-des esp-md5-hmac",
        "acl": 130,
        "ca_profile": "seed",
        "crl": CrlEntry("OU = sjvpn, O = cisco, C = us", SEED_CRL_LAST, SEED_CRL_NEXT),
        "key_bits": 1024,
    }


def seed_router(enrolled: bool = True) -> dict[str, Any]:
    """Device fields for the seed's Cisco 1720 `1720-1` (IOS 12.2(6))."""
    valid = (datetime(2002, 1, 11, 3, 6, 14, tzinfo=UTC), datetime(2003, 1, 11, 3, 36, 14, tzinfo=UTC))
    return {
        **_seed_common(),
        "name": "1720-1",
        "kind": "ios122",
        "platform": "cisco_ios",
        "hostname": "1720-1",
        "domain": "cisco.com",
        "username": "cisco",
        "password": "cisco",
        "enable": "ww",
        "zone": Zone("PST", -480),
        "outside_if": "FastEthernet0",
        "outside_ip": "172.16.172.39",
        "inside_net": "1.1.1.0",
        "crypto_map": "vpn",
        "crypto_map_seq": 10,
        "trustpoint": "vpn",
        "enrollment_url": "http://171.69.89.16:80",
        "ike_conn_id": 110,
        "ipsec_conn_base": 200,
        "serial_number": "JAD05010BB5",
        "certificates": _seed_certificates(enrolled, 0x3B2FD652, "1720-1.cisco.com", valid, with_der=True),
        "config_template": _SEED_CHAIN_FILE,
        "key_generated_at": datetime(2002, 1, 11, 3, 26, 22, tzinfo=UTC),
        "extra": {"seed_mypubkey": True},
    }


def seed_pix(enrolled: bool = True) -> dict[str, Any]:
    """Device fields for the seed's PIX 520 `pix520-1` (PIX 6.0(1))."""
    valid = (datetime(2002, 1, 11, 4, 13, 45, tzinfo=UTC), datetime(2003, 1, 11, 4, 43, 45, tzinfo=UTC))
    return {
        **_seed_common(),
        "name": "pix520-1",
        "kind": "pix60",
        "platform": "cisco_pix",
        "hostname": "pix520-1",
        "domain": "vpn.com",
        "username": "pix",
        "password": "cisco",
        "enable": "cisco",
        "zone": Zone("UTC", 0),
        "outside_if": "outside",
        "outside_ip": "172.16.172.34",
        "inside_net": "192.168.4.0",
        "crypto_map": "mymap",
        "crypto_map_seq": 5,
        "trustpoint": "cisco",
        "enrollment_url": "171.69.89.16:/cgi-bin",
        "ike_conn_id": 1,
        "ipsec_conn_base": 3,
        "serial_number": "480430455",
        "certificates": _seed_certificates(enrolled, 0x3B2FD653, "pix520-1.vpn.com", valid, with_der=False),
        "pager_lines": 0,
        "key_generated_at": datetime(2002, 1, 11, 4, 54, 34, tzinfo=UTC),
    }


def modern_device(
    kind: str, name: str, index: int, now: datetime, validity: dict[str, Any]
) -> dict[str, Any]:
    """Device fields for an IOS-XE router (`ios15`) or an ASA 9 (`asa9`) numbered `index`."""
    hi, lo = divmod(index, 250)
    outside_ip = f"198.18.{hi}.{lo + 2}"
    inside_net = f"10.{(index // 256) % 256}.{index % 256}.0"
    not_before = now - timedelta(days=float(validity.get("cert_age_days", 30)))
    not_after = now + timedelta(days=float(validity.get("cert_days_left", 335)))
    domain = "example.com"
    fqdn = f"{name}.{domain}"
    modern_issuer = [("CN", "vpnportal-sim-ca"), ("O", "vpnportal-sim"), ("C", "us")]
    certs = [
        CertEntry(
            "identity",
            0x3B400000 + index,
            "Available",
            modern_issuer,
            [("unstructuredName", fqdn), ("O", "vpnportal-sim"), ("C", "us")],
            fqdn,
            not_before,
            not_after,
        ),
        CertEntry(
            "ca",
            0x1A2B3C01,
            "Available",
            modern_issuer,
            modern_issuer,
            None,
            datetime(now.year - 2, 1, 1, tzinfo=UTC),
            datetime(now.year + 18, 1, 1, tzinfo=UTC),
            key_usage="Signature",
        ),
    ]
    crl_last = now - timedelta(hours=float(validity.get("crl_age_hours", 1)))
    crl_next = now + timedelta(hours=float(validity.get("crl_hours_left", 23)))
    common: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "hostname": name,
        "domain": domain,
        "zone": Zone("UTC", 0),
        "outside_ip": outside_ip,
        "outside_mask": "255.255.255.0",
        "inside_net": inside_net,
        "inside_mask": "255.255.255.0",
        "transform_set": "TS",
        "acl": 100,
        "trustpoint": "SIMCA",
        "enrollment_url": "http://198.51.100.10:80/cgi-bin/pkiclient.exe",
        "ca_profile": "modern",
        "serial_number": f"FCZ{2000 + index:07d}",
        "certificates": certs,
        "crl": CrlEntry(
            "cn=vpnportal-sim-ca,o=vpnportal-sim,c=us",
            crl_last,
            crl_next,
            retrieved_from="http://198.51.100.10/crl/sim.crl",
        ),
        "key_bits": 2048,
        "extra": {"crl_url": "http://198.51.100.10/crl/sim.crl"},
    }
    if kind == "ios15":
        common.update(
            platform="cisco_ios",
            username="admin",
            password=MODERN_PASSWORD,
            enable=MODERN_PASSWORD,
            outside_if="GigabitEthernet1",
            crypto_map="VPNMAP",
            crypto_map_seq=10,
            transforms="esp-aes-256 esp-sha256-hmac",  # as PIX/ASA write it; render_ios spells it for IOS
            ike_conn_id=1001,
            ipsec_conn_base=2001,
        )
    else:
        common.update(
            platform="cisco_asa",
            username="admin",
            password=MODERN_PASSWORD,
            enable=MODERN_PASSWORD,
            outside_if="outside",
            crypto_map="outside_map",
            crypto_map_seq=10,
            transforms="esp-aes-256 esp-sha-hmac",
            ike_conn_id=1,
            ipsec_conn_base=4096 * 3 + 1,
        )
    return common
