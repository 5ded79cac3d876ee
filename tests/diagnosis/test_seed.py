"""The seed pair gives exactly the expected findings, and its healthy points give none."""

from __future__ import annotations

from devices.diagnosis.device import diagnose_device
from devices.diagnosis.model import Code, Severity
from devices.diagnosis.pair import diagnose_pair

from .helpers import keys, pix, router

# DES, MD5, DH group 1 and short RSA keys throughout; SHA-1 signatures; the RA certificates' damaged
# signatures; telnet on both; the PIX's implied `isakmp identity address`; 3600 s against 28800 s.
ROUTER_EXPECTED = {
    (Code.WEAK_CIPHER, "ike policy 10 encryption"),
    (Code.WEAK_HASH, "ike policy 10 hash"),
    (Code.WEAK_DH_GROUP, "ike policy 10 group"),
    (Code.WEAK_CIPHER, "transform-set myset esp-des"),
    (Code.WEAK_HASH, "transform-set myset esp-md5-hmac"),
    (Code.WEAK_RSA_KEY, "key 1720-1.cisco.com"),
    (Code.WEAK_RSA_KEY, "key 1720-1.cisco.com.server"),
    (Code.WEAK_RSA_KEY, "certificate 3B2FD307 key"),
    (Code.WEAK_RSA_KEY, "certificate 3B2FD319 key"),
    (Code.WEAK_RSA_KEY, "certificate 3B2FD318 key"),
    (Code.WEAK_CERT_SIGNATURE, "certificate 3B2FD652 signature"),
    (Code.WEAK_CERT_SIGNATURE, "certificate 3B2FD307 signature"),
    (Code.WEAK_CERT_SIGNATURE, "certificate 3B2FD319 signature"),
    (Code.WEAK_CERT_SIGNATURE, "certificate 3B2FD318 signature"),
    (Code.CERT_SIGNATURE_INVALID, "certificate 3B2FD319"),
    (Code.CERT_SIGNATURE_INVALID, "certificate 3B2FD318"),
    (Code.CLEARTEXT_MANAGEMENT, "telnet"),
}
PIX_EXPECTED = {
    (Code.ISAKMP_IDENTITY_ADDRESS, "isakmp identity"),
    (Code.WEAK_CIPHER, "ike policy 10 encryption"),
    (Code.WEAK_HASH, "ike policy 10 hash"),
    (Code.WEAK_DH_GROUP, "ike policy 10 group"),
    (Code.WEAK_CIPHER, "transform-set myset esp-des"),
    (Code.WEAK_HASH, "transform-set myset esp-md5-hmac"),
    (Code.WEAK_RSA_KEY, "key pix520-1.vpn.com"),
    (Code.CLEARTEXT_MANAGEMENT, "telnet"),
}
PAIR_EXPECTED = {(Code.LIFETIME_MISMATCH, "ipsec lifetime")}


def test_it_finds_exactly_the_seed_routers_problems() -> None:
    assert keys(diagnose_device(router())) == ROUTER_EXPECTED


def test_it_finds_exactly_the_seed_pixs_problems() -> None:
    assert keys(diagnose_device(pix())) == PIX_EXPECTED


def test_it_finds_only_the_lifetime_difference_between_the_seed_ends() -> None:
    findings = diagnose_pair(router(), pix())
    assert keys(findings) == PAIR_EXPECTED
    (lifetime,) = findings
    assert lifetime.severity == Severity.WARNING
    assert any("3600 s" in line for line in lifetime.evidence)
    assert any("28800 s" in line for line in lifetime.evidence)
    assert lifetime.device == "1720-1"
    assert "crypto ipsec security-association lifetime seconds 28800" in lifetime.fix


def test_it_leaves_the_seeds_healthy_points_alone() -> None:
    found = diagnose_device(router()) + diagnose_device(pix()) + diagnose_pair(router(), pix())
    codes = {f.code for f in found}
    # The CA and router certificates verify, the router key is its certificate's, the clocks sit inside
    # every validity window, both hold a CRL, the ACLs mirror, the peers point at each other.
    for healthy in (
        Code.KEY_CERT_MISMATCH,
        Code.CLOCK_OUTSIDE_CERT,
        Code.CLOCK_OUTSIDE_CRL,
        Code.CRL_MISSING,
        Code.ACL_NOT_MIRRORED,
        Code.PEER_ADDRESS_MISMATCH,
        Code.NO_COMMON_TRANSFORM,
        Code.NO_COMMON_IKE_POLICY,
    ):
        assert healthy not in codes
    invalid = {f.subject for f in found if f.code == Code.CERT_SIGNATURE_INVALID}
    assert invalid == {"certificate 3B2FD319", "certificate 3B2FD318"}
    # The router itself says `crypto isakmp identity hostname`.
    assert not [f for f in diagnose_device(router()) if f.code == Code.ISAKMP_IDENTITY_ADDRESS]


def test_it_quotes_the_lines_that_show_each_problem() -> None:
    found = {(f.code, f.subject): f for f in diagnose_device(pix())}
    identity = found[(Code.ISAKMP_IDENTITY_ADDRESS, "isakmp identity")]
    assert identity.severity == Severity.WARNING  # implied by the PIX 6 default, not configured
    assert "show ca certificate: Name: pix520-1.vpn.com" in identity.evidence
    assert identity.fix == ("isakmp identity hostname",)
    key = found[(Code.WEAK_RSA_KEY, "key pix520-1.vpn.com")]
    assert any("declares a 512-bit modulus" in line for line in key.evidence)
    des = found[(Code.WEAK_CIPHER, "ike policy 10 encryption")]
    assert des.evidence == ("write terminal: isakmp policy 10 encryption des",)
    assert "isakmp policy 10 encryption aes-256" in des.fix
    telnet = found[(Code.CLEARTEXT_MANAGEMENT, "telnet")]
    assert "write terminal: telnet 192.168.4.0 255.255.255.0 inside" in telnet.evidence
    assert "no telnet 192.168.4.0 255.255.255.0 inside" in telnet.fix
    routers = {(f.code, f.subject): f for f in diagnose_device(router())}
    group = routers[(Code.WEAK_DH_GROUP, "ike policy 10 group")]
    assert "show running-config: (group not set: the default is 1)" in group.evidence
    assert " group 14" in group.fix
    ra = routers[(Code.CERT_SIGNATURE_INVALID, "certificate 3B2FD319")]
    assert ra.evidence[0] == "show running-config: certificate ra-sign 3B2FD319"
    assert ra.severity == Severity.WARNING  # RA certificates serve enrollment only
    # A vty password is never quoted as evidence.
    assert not any("password" in line for f in routers.values() for line in f.evidence)
